import { describe, expect, it } from "vitest";
import { formatDateField, parseDateField } from "../../app/lib/dates";
import { paginationItems } from "../../app/lib/pagination";

describe("pagination page range (the design system's rule)", () => {
  it("lists every page when there are seven or fewer", () => {
    expect(paginationItems(1, 1)).toEqual([1]);
    expect(paginationItems(4, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("shows the first five pages, a gap and the last near the start", () => {
    expect(paginationItems(1, 12)).toEqual([1, 2, 3, 4, 5, "ellipsis", 12]);
    expect(paginationItems(4, 12)).toEqual([1, 2, 3, 4, 5, "ellipsis", 12]);
  });

  it("shows one page either side of the current one in the middle, with both ends", () => {
    expect(paginationItems(5, 12)).toEqual([1, "ellipsis", 4, 5, 6, "ellipsis", 12]);
    expect(paginationItems(8, 12)).toEqual([1, "ellipsis", 7, 8, 9, "ellipsis", 12]);
  });

  it("shows the last five pages, a gap and the first near the end", () => {
    expect(paginationItems(9, 12)).toEqual([1, "ellipsis", 8, 9, 10, 11, 12]);
    expect(paginationItems(10, 12)).toEqual([1, "ellipsis", 8, 9, 10, 11, 12]);
    expect(paginationItems(12, 12)).toEqual([1, "ellipsis", 8, 9, 10, 11, 12]);
  });

  it("never shows more than seven entries, and always the current page once", () => {
    for (let total = 1; total <= 40; total++) {
      for (let current = 1; current <= total; current++) {
        const items = paginationItems(current, total);
        expect(items.length).toBeLessThanOrEqual(7);
        expect(items.filter((i) => i === current)).toHaveLength(1);
        expect(items[0]).toBe(1);
        expect(items.at(-1)).toBe(total);
        const pages = items.filter((i): i is number => i !== "ellipsis");
        expect(pages).toEqual([...pages].sort((a, b) => a - b));
      }
    }
  });

  it("keeps a page number out of range on the nearest page, and has nothing for no pages", () => {
    expect(paginationItems(0, 3)).toEqual([1, 2, 3]);
    expect(paginationItems(99, 12)).toEqual(paginationItems(12, 12));
    expect(paginationItems(1, 0)).toEqual([]);
  });
});

describe("single-input date field (mm/dd/yyyy)", () => {
  it("reads month, day and year into an ISO date", () => {
    expect(parseDateField("03/12/1974")).toBe("1974-03-12");
    expect(parseDateField(" 3/2/2026 ")).toBe("2026-03-02");
    expect(parseDateField("03-12-1974")).toBe("1974-03-12");
  });

  it("takes eight digits, since a phone's number pad has no slash", () => {
    expect(parseDateField("03121974")).toBe("1974-03-12");
  });

  it("refuses dates that do not exist and other formats", () => {
    expect(parseDateField("02/30/2026")).toBeNull();
    expect(parseDateField("02/29/2025")).toBeNull();
    expect(parseDateField("02/29/2024")).toBe("2024-02-29");
    expect(parseDateField("13/01/2026")).toBeNull();
    expect(parseDateField("00/10/2026")).toBeNull();
    expect(parseDateField("1974-03-12")).toBeNull();
    expect(parseDateField("12/03/74")).toBeNull();
    expect(parseDateField("")).toBeNull();
  });

  it("shows an ISO date as mm/dd/yyyy and leaves a user's unparsed input alone", () => {
    expect(formatDateField("1974-03-12")).toBe("03/12/1974");
    expect(formatDateField("3/12")).toBe("3/12");
  });
});
