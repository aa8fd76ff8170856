import { parseWithZod } from "@conform-to/zod/v4";
import { describe, expect, it } from "vitest";
import { cityMatchExpression, MAX_NAME_WORDS, nameMatchExpression } from "../../app/.server/organizations/search";
import { OrganizationSearchSchema } from "../../app/lib/organization-search";

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.set(key, value);
  const submission = parseWithZod(data, { schema: OrganizationSearchSchema });
  if (submission.status === "success") return { ok: true as const, value: submission.value };
  const fieldErrors = Object.fromEntries(
    Object.entries(submission.error ?? {}).map(([key, messages]) => [key, messages?.[0]]),
  );
  return { ok: false as const, fieldErrors, values: submission.payload };
};

const blank = { name: "", zip: "", ccn: "", orgType: "", city: "", npi: "", state: "", country: "", tin: "" };

describe("Search Organizations form", () => {
  it('asks for 3 or more characters of the name: "Enter 3 or more characters."', () => {
    for (const name of ["", "oh", "  oh  ", "   ", "o"]) {
      const result = form({ ...blank, name });
      expect(result.ok, name).toBe(false);
      if (!result.ok) expect(result.fieldErrors.name).toBe("Enter 3 or more characters.");
    }
    const missing = OrganizationSearchSchema.safeParse({});
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.find((i) => i.path[0] === "name")?.message).toBe("Enter 3 or more characters.");
  });

  it("accepts a name of 3 characters, trimmed, with every other field left blank", () => {
    expect(form({ ...blank, name: "  ohi " })).toEqual({
      ok: true,
      value: {
        name: "ohi",
        zip: undefined,
        ccn: undefined,
        orgType: undefined,
        city: undefined,
        npi: undefined,
        state: undefined,
        country: undefined,
        tin: undefined,
        page: 1,
      },
    });
  });

  it("caps the name at 100 characters and keeps what was typed on failure", () => {
    const result = form({ ...blank, name: "a".repeat(101), city: "Columbus" });
    expect(result).toMatchObject({
      ok: false,
      fieldErrors: { name: "Enter at most 100 characters." },
      values: { city: "Columbus" },
    });
  });

  it("normalises the filters: state and CCN upper case, TIN without its hyphen, city spaces collapsed", () => {
    const result = form({
      name: "ohio",
      zip: "432",
      ccn: "36a0",
      orgType: " QARM Org Security ",
      city: " Colorado   Springs ",
      npi: "12345",
      state: "oh",
      country: "us",
      tin: "12-345",
      page: "3",
    });
    expect(result).toEqual({
      ok: true,
      value: {
        name: "ohio",
        zip: "432",
        ccn: "36A0",
        orgType: "QARM Org Security",
        city: "Colorado Springs",
        npi: "12345",
        state: "OH",
        country: "US",
        tin: "12345",
        page: 3,
      },
    });
  });

  it("refuses malformed filters with a message next to each", () => {
    const result = form({
      name: "ohio",
      zip: "4321a",
      ccn: "36-123",
      orgType: "x".repeat(101),
      city: "c".repeat(61),
      npi: "12345678901",
      state: "XX",
      country: "c".repeat(61),
      tin: "12-34567890",
      page: "0",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.fieldErrors).toEqual({
      zip: "Enter up to 5 digits of the ZIP code.",
      ccn: "Enter up to 6 letters or digits of the CCN.",
      orgType: "Choose an organization type from the list.",
      city: "Enter at most 60 characters.",
      npi: "Enter up to 10 digits of the NPI.",
      state: "Choose a state from the list.",
      country: "Enter at most 60 characters.",
      tin: "Enter up to 9 digits of the TIN.",
      page: "Choose a page from 1 to 40. Narrow the search to see more.",
    });
  });

  it("takes a positive whole page number, 1 when absent", () => {
    const page = (value: string | undefined) => {
      const result = OrganizationSearchSchema.safeParse({
        name: "ohio",
        ...(value === undefined ? {} : { page: value }),
      });
      return result.success ? result.data.page : result.error.issues[0].message;
    };
    expect(page(undefined)).toBe(1);
    expect(page("")).toBe(1);
    expect(page("2")).toBe(2);
    for (const bad of ["0", "-1", "1.5", "abc", "41"])
      expect(page(bad), bad).toBe("Choose a page from 1 to 40. Narrow the search to see more.");
  });
});

describe("full-text expression for the name", () => {
  it("makes every word a quoted prefix restricted to the name column", () => {
    expect(nameMatchExpression("regional office")).toBe('name : "regional"* AND name : "office"*');
    expect(nameMatchExpression("  Ohio   surv ")).toBe('name : "Ohio"* AND name : "surv"*');
  });

  it("splits a word the way the index does, and folds accents", () => {
    expect(nameMatchExpression("St. Mary's")).toBe('name : "St"* AND name : "Mary s"*');
    expect(nameMatchExpression("Óhio")).toBe('name : "Ohio"*');
  });

  it("leaves nothing of FTS5's syntax: only letters, digits and spaces between the quotes", () => {
    const attempts = [
      'regional" OR "ohio',
      "NEAR(regional ohio, 2)",
      "name:regional",
      "{name city} : regional",
      "^regional",
      "regional -ohio",
      "(regional OR ohio) NOT x",
      "regional*",
      "regional + ohio",
      "a\u0000b",
    ];
    for (const attempt of attempts) {
      const expression = nameMatchExpression(attempt);
      expect(expression, attempt).not.toBeNull();
      const parts = expression!.split(" AND ");
      for (const part of parts) expect(part, attempt).toMatch(/^name : "[\p{L}\p{N}]+( [\p{L}\p{N}]+)*"\*$/u);
    }
    // Operators survive only as quoted words, which FTS5 reads as text.
    expect(nameMatchExpression("regional OR ohio")).toBe('name : "regional"* AND name : "OR"* AND name : "ohio"*');
  });

  it("is null when no word is left, or when there are more words than any name has", () => {
    for (const empty of ["", "   ", '"', "*", "()", "-:^", "''", "(*)"])
      expect(nameMatchExpression(empty), empty).toBeNull();
    expect(nameMatchExpression(Array(MAX_NAME_WORDS).fill("a").join(" "))).not.toBeNull();
    expect(
      nameMatchExpression(
        Array(MAX_NAME_WORDS + 1)
          .fill("a")
          .join(" "),
      ),
    ).toBeNull();
  });
});

describe("full-text expression for the city", () => {
  it("anchors the city's words to its start, the last one a prefix, restricted to the city column", () => {
    expect(cityMatchExpression("SALT LAKE C")).toBe('city : ^ "SALT LAKE C"*');
    expect(cityMatchExpression("st. lou")).toBe('city : ^ "st lou"*');
    expect(cityMatchExpression("Bogotá")).toBe('city : ^ "Bogota"*');
  });

  it("leaves nothing of FTS5's syntax, and is null without a letter or digit", () => {
    expect(cityMatchExpression('x" OR name : *')).toBe('city : ^ "x OR name"*');
    for (const city of ["-", "  ", '"', "^", "()"]) expect(cityMatchExpression(city), city).toBeNull();
  });
});
