import { describe, expect, it } from "vitest";
import { newRequestId, parseRequestId, REQUEST_ID_PATTERN } from "../../app/.server/access/request-id";
import { formatDateUS, parseDateInput } from "../../app/lib/access-request";

describe("Request IDs", () => {
  it("are QR- and eight characters with no 0/O, 1/I/L or U, and differ every time", () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newRequestId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(REQUEST_ID_PATTERN);
      expect(id.slice(3)).not.toMatch(/[01OILU]/);
    }
  });

  it("are read back from what a person typed, and nothing else", () => {
    expect(parseRequestId(" qr-7k3m9p2x ")).toBe("QR-7K3M9P2X");
    for (const bad of [
      "QR-7K3M9P2",
      "QR-7K3M9P2XX",
      "QR-7K3M9P2O",
      "7K3M9P2X",
      "",
      null,
      undefined,
      "QR-7K3M9P2X' OR 1=1",
    ])
      expect(parseRequestId(bad)).toBeNull();
  });
});

describe("request dates", () => {
  it("accept mm/dd/yyyy, a phone keypad's eight digits and ISO, and refuse dates that do not exist", () => {
    expect(parseDateInput("01/31/2027")).toBe("2027-01-31");
    expect(parseDateInput("1/5/2027")).toBe("2027-01-05");
    expect(parseDateInput("01312027")).toBe("2027-01-31");
    expect(parseDateInput("2027-01-31")).toBe("2027-01-31");
    for (const bad of ["02/30/2027", "13/01/2027", "2027-02-30", "01/31/1999", "01/31/2101", "tomorrow", ""])
      expect(parseDateInput(bad), bad).toBeNull();
    expect(formatDateUS("2027-01-31")).toBe("01/31/2027");
    expect(formatDateUS(null)).toBe("");
  });
});
