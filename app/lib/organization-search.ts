import { z } from "zod";
import { STATES } from "./states";

/** "Search Organizations" (SPEC 2.5): the form's messages, in one place for translation. */
export const ORGANIZATION_SEARCH_MESSAGES = {
  name: "Enter 3 or more characters.",
  nameTooLong: "Enter at most 100 characters.",
  zip: "Enter up to 5 digits of the ZIP code.",
  ccn: "Enter up to 6 letters or digits of the CCN.",
  npi: "Enter up to 10 digits of the NPI.",
  tin: "Enter up to 9 digits of the TIN.",
  state: "Choose a state from the list.",
  orgType: "Choose an organization type from the list.",
  city: "Enter at most 60 characters.",
  country: "Enter at most 60 characters.",
  page: "Choose a page from 1 to 40. Narrow the search to see more.",
} as const;

/** Fewer characters match too much of the directory to be useful (the original portal's rule). */
export const ORG_NAME_MIN_LENGTH = 3;
/** Longer than any organization's name; keeps the full-text query small. */
export const ORG_NAME_MAX_LENGTH = 100;
/**
 * The most matches a search lists (and ranks). More than that is not a list anyone reads,
 * and ranking tens of thousands of names would cost every search: the screen asks for a
 * narrower search instead.
 */
export const MAX_RESULTS = 1000;
/** 25 results a page: the last page of `MAX_RESULTS` matches. */
export const MAX_PAGE = 40;

const STATE_CODES = new Set(STATES.map(([code]) => code));
const m = ORGANIZATION_SEARCH_MESSAGES;

/** An empty box is an absent filter: forms post "" for every field left blank. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

const text = (max: number, message: string) => z.string().trim().max(max, message);

export const OrganizationSearchSchema = z.object({
  name: z.string({ error: m.name }).trim().min(ORG_NAME_MIN_LENGTH, m.name).max(ORG_NAME_MAX_LENGTH, m.nameTooLong),
  zip: optional(text(5, m.zip).regex(/^\d{1,5}$/, m.zip)),
  ccn: optional(
    text(6, m.ccn)
      .regex(/^[A-Za-z0-9]{1,6}$/, m.ccn)
      .transform((v) => v.toUpperCase()),
  ),
  orgType: optional(text(100, m.orgType)),
  city: optional(text(60, m.city).transform((v) => v.replace(/\s+/g, " "))),
  npi: optional(text(10, m.npi).regex(/^\d{1,10}$/, m.npi)),
  state: optional(
    text(2, m.state)
      .transform((v) => v.toUpperCase())
      .refine((v) => STATE_CODES.has(v), m.state),
  ),
  country: optional(text(60, m.country).transform((v) => v.toUpperCase())),
  // TINs are written 12-3456789; the hyphen is optional here.
  tin: optional(
    z
      .string()
      .trim()
      .transform((v) => v.replace(/-/g, ""))
      .pipe(z.string().regex(/^\d{1,9}$/, m.tin)),
  ),
  page: z.preprocess(
    (v) => (v === undefined || (typeof v === "string" && v.trim() === "") ? 1 : Number(v)),
    z.number({ error: m.page }).int(m.page).min(1, m.page).max(MAX_PAGE, m.page),
  ),
});

export type OrganizationSearchInput = z.infer<typeof OrganizationSearchSchema>;

/** One row of "Search Organizations" results: the columns the original portal shows, and the id to choose it by. */
export interface OrganizationHit {
  id: number;
  status: "Active" | "Inactive";
  name: string;
  orgType: string;
  address1: string;
  address2: string;
  city: string;
  state: string;
  zip: string;
  country: string;
}
