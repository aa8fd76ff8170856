import { z } from "zod";
import { formatDateField, parseDateField } from "./dates";
import { todayEastern } from "./format";

/**
 * "Request User Access" (SPEC 2.5): the form's schema, shared by the server
 * action and the browser. The server re-checks everything that depends on data
 * (role rules, approvers, today's date) in `app/.server/access/requests.ts`.
 */

export const COMMENTS_MAX = 2000;
export const ADDITIONAL_INFO_MAX = 500;

/**
 * The design system's mm/dd/yyyy (also "3/12/2027" or "03122027", `parseDateField`) or an
 * ISO yyyy-mm-dd; yields ISO. Request dates fall between 2000 and 2100.
 */
export function parseDateInput(value: string): string | null {
  const trimmed = value.trim();
  const iso = parseDateField(/^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? formatDateField(trimmed) : trimmed);
  if (!iso) return null;
  const year = Number(iso.slice(0, 4));
  return year >= 2000 && year <= 2100 ? iso : null;
}

/** ISO yyyy-mm-dd → mm/dd/yyyy, as people read dates on this portal; nothing for no date. */
export function formatDateUS(iso: string | null | undefined): string {
  return iso ? formatDateField(iso) : "";
}

const dateField = (label: string) =>
  z.string({ error: `Enter the ${label} as mm/dd/yyyy.` }).transform((v, ctx) => {
    const iso = parseDateInput(v);
    if (!iso) {
      ctx.addIssue({ code: "custom", message: `Enter the ${label} as mm/dd/yyyy, for example 01/31/2027.` });
      return z.NEVER;
    }
    return iso;
  });

const id = (message: string) => z.number({ error: message }).int(message).positive(message);

export const AccessRequestSchema = z
  .object({
    /** Made when the form is first shown; a double click, retry or back button resubmits the same key. */
    submissionKey: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "This form has expired. Open it again."),
    programId: id("Select a Program."),
    organizationId: id("Search for and select an Organization."),
    roleId: id("Select a User Role."),
    startDate: dateField("Start Date"),
    endDateNotApplicable: z.boolean().optional(),
    endDate: dateField("End Date").optional(),
    approverUserId: z.string({ error: "Select an Approver." }).max(64, "Select an Approver."),
    additionalInfo: z
      .string()
      .trim()
      .max(ADDITIONAL_INFO_MAX, `Additional information must be at most ${ADDITIONAL_INFO_MAX} characters.`)
      .optional(),
    comments: z
      .string()
      .trim()
      .max(COMMENTS_MAX, `Comments must be at most ${COMMENTS_MAX.toLocaleString("en-US")} characters.`)
      .optional(),
  })
  .superRefine((value, ctx) => {
    if (!value.endDateNotApplicable && !value.endDate)
      ctx.addIssue({
        code: "custom",
        path: ["endDate"],
        message: 'Enter the End Date as mm/dd/yyyy, or check "Not Applicable".',
      });
    // The browser's clock here; the server checks again against its own (`checkRequest`).
    const today = todayEastern(new Date());
    if (value.startDate < today)
      ctx.addIssue({ code: "custom", path: ["startDate"], message: "The Start Date cannot be in the past." });
    if (!value.endDateNotApplicable && value.endDate && value.endDate < today)
      ctx.addIssue({ code: "custom", path: ["endDate"], message: "The End Date cannot be in the past." });
    else if (!value.endDateNotApplicable && value.endDate && value.endDate < value.startDate)
      ctx.addIssue({ code: "custom", path: ["endDate"], message: "The End Date must be on or after the Start Date." });
  });

export type AccessRequestInput = z.infer<typeof AccessRequestSchema>;

/** The original portal's note on the Organization Security Official request page (SPEC 2.5). */
export const QBIC_NOTE =
  "This request does not include access to the QBIC application. QBIC roles need an organization of type CMS, Regional Office, State Government or Contractor; request them separately under the QIES Business Intelligence Center program.";

export const REQUEST_STATUS_LABELS = {
  pending: "Pending",
  approved: "Approved",
  rejected: "Rejected",
  cancelled: "Cancelled",
  expired: "Expired",
} as const;

export type RequestStatus = keyof typeof REQUEST_STATUS_LABELS;
