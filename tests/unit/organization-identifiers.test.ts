import { describe, expect, it } from "vitest";
import { CSV_MAX_FIELD_LENGTH, CSV_MAX_FIELDS, CsvError, csvRecords } from "../../app/lib/csv";
import { ORGANIZATION_MESSAGES, OrganizationSchema, valuesOf } from "../../app/lib/organization-admin";
import {
  isValidCcn,
  isValidNpi,
  isValidTin,
  isValidZip,
  normalizeTin,
  normalizeZip,
  npiCheckDigit,
} from "../../app/lib/organization-identifiers";

/** The organization identifiers of SPEC 2.8: CCN, NPI (with its Luhn check digit), TIN and ZIP. */

describe("NPI", () => {
  // 1234567893 is the worked example of the CMS NPI check-digit standard; the others pass the same check.
  const valid = ["1234567893", "1245319599", "1003000126", "1558444216"];

  it.each(valid)("accepts %s: 10 digits whose check digit is right", (npi) => {
    expect(isValidNpi(npi)).toBe(true);
  });

  it("computes the check digit over 80840 and the 9 leading digits (the CMS example: 123456789 → 3)", () => {
    expect(npiCheckDigit("123456789")).toBe(3);
    for (const npi of valid) expect(npiCheckDigit(npi.slice(0, 9))).toBe(Number(npi[9]));
  });

  it("refuses every other check digit", () => {
    for (let d = 0; d <= 9; d++) if (d !== 3) expect(isValidNpi(`123456789${d}`), String(d)).toBe(false);
  });

  it("refuses a transposition of two digits and a single wrong digit", () => {
    expect(isValidNpi("2134567893")).toBe(false);
    expect(isValidNpi("1234567883")).toBe(false);
  });

  it("refuses anything but 10 digits", () => {
    for (const npi of ["123456789", "12345678931", "12345 6789", "123456789a", "", "１２３４５６７８９３"])
      expect(isValidNpi(npi), npi).toBe(false);
  });
});

describe("CCN", () => {
  it("is exactly 6 letters or digits", () => {
    for (const ccn of ["360001", "36T001", "abc123"]) expect(isValidCcn(ccn), ccn).toBe(true);
    for (const ccn of ["36000", "3600011", "36-001", "36 001", ""]) expect(isValidCcn(ccn), ccn).toBe(false);
  });
});

describe("TIN", () => {
  it("is 9 digits, with or without the hyphen after the second, stored 12-3456789", () => {
    expect(isValidTin("123456789")).toBe(true);
    expect(isValidTin("12-3456789")).toBe(true);
    for (const tin of ["12345678", "1234567890", "123-456789", "12-345678a", ""])
      expect(isValidTin(tin), tin).toBe(false);
    expect(normalizeTin("123456789")).toBe("12-3456789");
    expect(normalizeTin("12-3456789")).toBe("12-3456789");
  });
});

describe("ZIP", () => {
  it("is 5 or 9 digits, stored 12345 or 12345-6789", () => {
    for (const zip of ["43215", "43215-1234", "432151234"]) expect(isValidZip(zip), zip).toBe(true);
    for (const zip of ["4321", "432151", "43215-123", "4321a", "43215 1234", ""])
      expect(isValidZip(zip), zip).toBe(false);
    expect(normalizeZip("432151234")).toBe("43215-1234");
    expect(normalizeZip("43215")).toBe("43215");
  });
});

describe("the organization form's schema", () => {
  const base = { name: "General Hospital", orgType: "Provider", city: "Columbus", state: "oh", zip: "43215" };
  const errorsOf = (input: Record<string, string>) => {
    const parsed = OrganizationSchema.safeParse(input);
    return parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
  };

  it("normalises a valid organization: upper case, stored identifier forms, blanks absent", () => {
    const parsed = OrganizationSchema.parse({
      ...base,
      ccn: "36t001",
      npi: "1234567893",
      tin: "123456789",
      address2: "",
    });
    expect(valuesOf(parsed)).toEqual({
      name: "GENERAL HOSPITAL",
      orgType: "Provider",
      address1: "",
      address2: "",
      city: "COLUMBUS",
      state: "OH",
      zip: "43215",
      country: "US",
      ccn: "36T001",
      npi: "1234567893",
      tin: "12-3456789",
    });
  });

  it("says what is wrong with each field", () => {
    expect(
      errorsOf({ ...base, name: "", npi: "1234567890", ccn: "36001", tin: "1234", zip: "4321", state: "XX" }),
    ).toEqual({
      name: ORGANIZATION_MESSAGES.name,
      npi: ORGANIZATION_MESSAGES.npiCheckDigit,
      ccn: ORGANIZATION_MESSAGES.ccn,
      tin: ORGANIZATION_MESSAGES.tin,
      zip: ORGANIZATION_MESSAGES.zip,
      state: ORGANIZATION_MESSAGES.state,
    });
    expect(errorsOf({ ...base, npi: "12345" })).toEqual({ npi: ORGANIZATION_MESSAGES.npi });
  });
});

describe("the streaming CSV reader", () => {
  /** The text cut into chunks of `size` characters, as a stream would deliver it. */
  const streamOf = (text: string, size: number) =>
    new ReadableStream<string>({
      start(controller) {
        for (let i = 0; i < text.length; i += size) controller.enqueue(text.slice(i, i + size));
        controller.close();
      },
    });
  const read = async (text: string, size = 3) => {
    const out: string[][] = [];
    for await (const { fields } of csvRecords(streamOf(text, size))) out.push(fields);
    return out;
  };

  it("reads quoted commas, doubled quotes, line breaks in quotes, CRLF and a BOM, whatever the chunking", async () => {
    const text = '\ufeffname,city\r\n"A, B ""C""",X\r\n"two\nlines",Y\n\nlast,Z';
    for (const size of [1, 2, 3, 7, 1000])
      expect(await read(text, size), String(size)).toEqual([
        ["name", "city"],
        ['A, B "C"', "X"],
        ["two\nlines", "Y"],
        ["last", "Z"],
      ]);
  });

  it("keeps empty fields", async () => {
    expect(await read("a,,c\n,,\n")).toEqual([
      ["a", "", "c"],
      ["", "", ""],
    ]);
  });

  it("refuses an unfinished quoted value", async () => {
    await expect(read('a,b\n"open,c\n')).rejects.toThrow(/Unfinished/);
  });

  it("refuses a record of too many values or too long a value, quoted or not, whatever the chunking", async () => {
    const wide = `a,b\n${",".repeat(CSV_MAX_FIELDS)}\n`;
    const long = `a,b\nx,${"y".repeat(CSV_MAX_FIELD_LENGTH + 1)}\n`;
    const longQuoted = `a,b\n"${"z".repeat(CSV_MAX_FIELD_LENGTH * 3)}`;
    for (const size of [5, 4096, 100_000]) {
      for (const text of [wide, long, longQuoted]) {
        const error = await read(text, size).catch((e: unknown) => e);
        expect(error, `${size}`).toBeInstanceOf(CsvError);
        expect(error as CsvError).toMatchObject({ kind: "size", record: 2 });
      }
    }
    // At the limits exactly: read.
    const [, row] = await read(`a\n${",".repeat(CSV_MAX_FIELDS - 1)}\n`);
    expect(row).toHaveLength(CSV_MAX_FIELDS);
    expect((await read(`a\n${"y".repeat(CSV_MAX_FIELD_LENGTH)}\n`, 100))[1][0]).toHaveLength(CSV_MAX_FIELD_LENGTH);
  });
});
