import { z } from "zod";
import {
  isValidCcn,
  isValidNpi,
  isValidTin,
  isValidZip,
  NPI_PATTERN,
  normalizeTin,
  normalizeZip,
} from "./organization-identifiers";
import { STATES } from "./states";

/**
 * Administration › Organizations (SPEC 2.8): the create and edit form and each
 * row of a CSV import are checked by this one schema, in the browser and on
 * the server. Messages in one place for translation.
 */
export const ORGANIZATION_MESSAGES = {
  name: "Enter the organization's name.",
  nameTooLong: "Enter at most 200 characters.",
  orgType: "Choose an organization type from the list.",
  address: "Enter at most 200 characters.",
  city: "Enter the city.",
  cityTooLong: "Enter at most 60 characters.",
  state: "Choose a state from the list.",
  zip: "Enter a ZIP code of 5 or 9 digits, like 43215 or 43215-1234.",
  country: "Enter at most 60 characters.",
  ccn: "Enter a CCN of exactly 6 letters or digits.",
  npi: "Enter an NPI of 10 digits.",
  npiCheckDigit: "This NPI's check digit is wrong: check each digit.",
  tin: "Enter a TIN of 9 digits, like 12-3456789.",
  duplicate: (identifier: "CCN" | "NPI" | "TIN", name: string) =>
    `Another organization (${name}) already has this ${identifier}.`,
  changed: "Someone else changed this organization while you were editing it. Reload it and try again.",
  unchanged: "Nothing was changed.",
} as const;

const m = ORGANIZATION_MESSAGES;
const STATE_CODES = new Set(STATES.map(([code]) => code));

/** An empty box is an absent value: forms post "" for every field left blank, and so do CSV cells. */
const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const required = (message: string, max: number, tooLong: string) =>
  z.preprocess(blankToUndefined, z.string({ error: message }).trim().min(1, message).max(max, tooLong));
/** The directory stores names, addresses and cities upper case, as the original portal shows them. */
const upper = (v: string) => v.replace(/\s+/g, " ").toUpperCase();

export const OrganizationSchema = z.object({
  name: required(m.name, 200, m.nameTooLong).transform(upper),
  orgType: required(m.orgType, 100, m.orgType),
  address1: optional(z.string().trim().max(200, m.address).transform(upper)),
  address2: optional(z.string().trim().max(200, m.address).transform(upper)),
  city: required(m.city, 60, m.cityTooLong).transform(upper),
  state: required(m.state, 2, m.state)
    .transform((v) => v.toUpperCase())
    .refine((v) => STATE_CODES.has(v), m.state),
  zip: required(m.zip, 10, m.zip).refine(isValidZip, m.zip).transform(normalizeZip),
  country: optional(z.string().trim().max(60, m.country).transform(upper)),
  ccn: optional(
    z
      .string()
      .trim()
      .refine(isValidCcn, m.ccn)
      .transform((v) => v.toUpperCase()),
  ),
  npi: optional(
    z
      .string()
      .trim()
      .regex(NPI_PATTERN, m.npi)
      .refine((v) => !NPI_PATTERN.test(v) || isValidNpi(v), m.npiCheckDigit),
  ),
  tin: optional(z.string().trim().refine(isValidTin, m.tin).transform(normalizeTin)),
});

export type OrganizationFormInput = z.input<typeof OrganizationSchema>;
export type OrganizationInput = z.infer<typeof OrganizationSchema>;

/** The stored values of an organization's editable fields (absent text is "", absent identifiers null). */
export interface OrganizationValues {
  name: string;
  orgType: string;
  address1: string;
  address2: string;
  city: string;
  state: string;
  zip: string;
  country: string;
  ccn: string | null;
  npi: string | null;
  tin: string | null;
}

export function valuesOf(input: OrganizationInput): OrganizationValues {
  return {
    name: input.name,
    orgType: input.orgType,
    address1: input.address1 ?? "",
    address2: input.address2 ?? "",
    city: input.city,
    state: input.state,
    zip: input.zip,
    country: input.country ?? "US",
    ccn: input.ccn ?? null,
    npi: input.npi ?? null,
    tin: input.tin ?? null,
  };
}

export const ORGANIZATION_FIELDS = [
  "name",
  "orgType",
  "address1",
  "address2",
  "city",
  "state",
  "zip",
  "country",
  "ccn",
  "npi",
  "tin",
] as const satisfies readonly (keyof OrganizationValues)[];

export const IDENTIFIERS = ["npi", "ccn", "tin"] as const;
export const IDENTIFIER_LABELS = { ccn: "CCN", npi: "NPI", tin: "TIN" } as const;

/** Next to each identifier another organization already holds: which one holds it (names by identifier). */
export function takenIdentifierErrors(holders: Readonly<Record<string, unknown>>): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const key of IDENTIFIERS) {
    const name = holders[key];
    if (typeof name === "string") errors[key] = [ORGANIZATION_MESSAGES.duplicate(IDENTIFIER_LABELS[key], name)];
  }
  return errors;
}

/**
 * The CSV import's columns: the header row names them (any order, any case;
 * spaces, hyphens and underscores ignored, so "Org Type", "org_type" and
 * "orgtype" are one column). Columns not listed are ignored.
 */
export const IMPORT_COLUMNS: { column: string; field: keyof OrganizationValues; required: boolean; note: string }[] = [
  { column: "name", field: "name", required: true, note: "The organization's name." },
  {
    column: "org_type",
    field: "orgType",
    required: true,
    note: "An organization type, exactly as listed in the directory.",
  },
  { column: "address1", field: "address1", required: false, note: "Address line 1." },
  { column: "address2", field: "address2", required: false, note: "Address line 2." },
  { column: "city", field: "city", required: true, note: "City." },
  { column: "state", field: "state", required: true, note: "Two-letter postal code (OH)." },
  { column: "zip", field: "zip", required: true, note: "5 or 9 digits (43215 or 43215-1234)." },
  { column: "country", field: "country", required: false, note: "Blank means US." },
  { column: "ccn", field: "ccn", required: false, note: "Exactly 6 letters or digits." },
  { column: "npi", field: "npi", required: false, note: "10 digits with a valid check digit." },
  { column: "tin", field: "tin", required: false, note: "9 digits (123456789 or 12-3456789)." },
];

/** The header cell's name as a column key: "Org Type" → "orgtype". */
export const columnKey = (header: string) => header.toLowerCase().replace(/[\s_-]+/g, "");

/**
 * An import's bounds (see `app/.server/organizations/import.ts`): the preview
 * streams the file and the rows are written in the background, so these are
 * about one request's time and a day's work, not memory.
 */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 100_000;
/** How many row errors the page lists; the rest are counted. */
export const ERRORS_SHOWN = 200;

export const IMPORT_MESSAGES = {
  noIdentifier: "Give at least one of CCN, NPI or TIN, so the row is matched again on a later import.",
  repeated: (identifier: string, row: number) => `The same ${identifier} as row ${row}.`,
  missingColumns: (columns: string[]) =>
    `The header row lacks the column${columns.length > 1 ? "s" : ""} ${columns.join(", ")}.`,
  empty: "The file has no header row.",
  noFile: "Choose a CSV file.",
  tooLarge: (mb: number) => `The file is larger than ${mb} MB. Split it into smaller files and import each.`,
  tooManyRows: (rows: number) =>
    `The file has more than ${rows.toLocaleString("en-US")} rows. Split it into files of at most ${rows.toLocaleString("en-US")} rows and import each.`,
  badCsv: (row: number) => `Row ${row} has an unfinished quoted value: check its quotes.`,
  notWritten: (first: number, last: number, error: string) =>
    `Rows ${first} to ${last} could not be written after repeated attempts${error ? ` (${error})` : ""}. Import these rows again.`,
  rowTooLong: (row: number, fields: number, length: number) =>
    `Row ${row} is too long: a row has at most ${fields} values of at most ${length.toLocaleString("en-US")} characters each.`,
} as const;

export const IMPORT_TEMPLATE = `${IMPORT_COLUMNS.map((c) => c.column).join(",")}\r\nGENERAL HOSPITAL OF EXAMPLE,Provider,100 MAIN STREET,,COLUMBUS,OH,43215,US,360001,1234567893,12-3456789\r\n`;
