import { z } from "zod";
import { parseDateField } from "./dates";

/**
 * The Audit Log's filters (SPEC: every security-relevant event goes to an
 * append-only audit log that approvers and admins can read within their
 * scope): the words, the event types offered, and the schema that reads the
 * filter form's query string on the server and in the browser.
 */

export const AUDIT_LOG_MESSAGES = {
  userId: "Enter a User ID: letters and digits only, for example THOMTY64.",
  requestId: "Enter a Request ID as QR- and 8 letters or digits, for example QR-7K3M9P2X.",
  type: "Choose an event type from the list.",
  from: "Enter the From date as mm/dd/yyyy, for example 03/12/2026.",
  to: "Enter the To date as mm/dd/yyyy, for example 03/12/2026.",
  toBeforeFrom: "Enter a To date on or after the From date.",
} as const;

/** Events a page shows; the CSV holds at most CSV_ROW_LIMIT (newest first). */
export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_CSV_ROW_LIMIT = 10_000;

/**
 * The event types the portal writes, for the "Event type" list. A type not
 * listed here (a newer one) can still be filtered by, from the address.
 */
export const AUDIT_EVENT_TYPES = [
  "access_request.approved",
  "access_request.cancelled",
  "access_request.expired",
  "access_request.rejected",
  "access_request.submitted",
  "audit_log.exported",
  "account.deactivated",
  "account.held",
  "account.locked",
  "account.name_changed",
  "account.reactivated",
  "account.reported_not_me",
  "account.restricted",
  "account.unlocked",
  "challenge_questions.change_failed",
  "challenge_questions.changed",
  "challenge_questions.set",
  "email.dead_lettered",
  "email.resent",
  "enrollment.completed",
  "mfa.challenge_failed",
  "mfa.challenge_passed",
  "mfa.code_sent",
  "mfa.device_added",
  "mfa.device_removed",
  "mfa.device_renamed",
  "mfa.enroll_failed",
  "mfa.locked",
  "mfa.recovery_codes_issued",
  "mfa.reset_by_help_desk",
  "oidc.authorized",
  "oidc.client_disabled",
  "oidc.client_enabled",
  "oidc.client_registered",
  "oidc.client_updated",
  "oidc.code_reused",
  "oidc.consent_granted",
  "oidc.consent_refused",
  "oidc.disconnected",
  "oidc.logout_failed",
  "organization.created",
  "organization.deactivated",
  "organization.imported",
  "organization.reactivated",
  "organization.updated",
  "password.change_failed",
  "password.changed",
  "password.reset",
  "password.reset_requested",
  "password.reset_second_factor_failed",
  "password.set_at_first_sign_in",
  "proofing.applicant_found",
  "proofing.failed",
  "proofing.manual_rejected",
  "proofing.manual_requested",
  "proofing.manual_verified",
  "proofing.started",
  "proofing.verified",
  "role.removed_by_holder",
  "role.rules_changed",
  "session.ended",
  "session.step_up_failed",
  "session.stepped_up",
  "sessions.ended_others",
  "signin.failure",
  "signin.success",
  "signin.throttled",
  "signout",
  "terms.published",
  "user.register_existing_email",
  "user.registered",
  "user_id.reminder_requested",
  "user_role.expired",
  "user_role.lapsed",
  "user_role.recertified",
  "user_role.revoked",
  "user_role.revoked_inactive",
] as const;

export const AUDIT_OUTCOME_LABELS: Record<string, string> = {
  success: "Success",
  failure: "Failure",
  info: "Info",
};

/** How event types are written: lower-case words joined by "_" and ".". */
const EVENT_TYPE_PATTERN = /^[a-z][a-z_]*(\.[a-z][a-z_]*)*$/;
/** Letters and digits: every User ID the portal issues (and longer than any). */
const USER_ID_PATTERN = /^[A-Za-z0-9]{1,32}$/;
const m = AUDIT_LOG_MESSAGES;

/** An empty box is an absent filter: a GET form sends "" for every field left blank. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

const date = (message: string) =>
  z
    .string()
    .max(20, message)
    .transform((v, ctx) => {
      const iso = parseDateField(v);
      // The log starts in this century; far-off years are typing mistakes (and outside Eastern time's rules).
      const year = iso ? Number(iso.slice(0, 4)) : 0;
      if (!iso || year < 2000 || year > 2100) {
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      }
      return iso;
    });

/**
 * The filters. `readRequestId` turns what was typed into a Request ID, or null:
 * the server passes the access module's `parseRequestId`; the browser, which
 * cannot load it, only trims, and leaves the check to the server.
 */
export function auditLogFilterSchema(
  readRequestId: (value: string) => string | null = (value) => value.trim().toUpperCase(),
) {
  return z
    .object({
      userId: optional(
        z
          .string()
          .trim()
          .max(32, m.userId)
          .regex(USER_ID_PATTERN, m.userId)
          .transform((v) => v.toUpperCase()),
      ),
      requestId: optional(
        z
          .string()
          .max(20, m.requestId)
          .transform((v, ctx) => {
            const id = readRequestId(v);
            if (!id) ctx.addIssue({ code: "custom", message: m.requestId });
            return id ?? z.NEVER;
          }),
      ),
      type: optional(z.string().trim().max(64, m.type).regex(EVENT_TYPE_PATTERN, m.type)),
      from: optional(date(m.from)),
      to: optional(date(m.to)),
    })
    .superRefine((value, ctx) => {
      if (value.from && value.to && value.to < value.from)
        ctx.addIssue({ code: "custom", path: ["to"], message: m.toBeforeFrom });
    });
}

export type AuditLogFilters = z.output<ReturnType<typeof auditLogFilterSchema>>;

/** The filter form's field names, in the order the query string carries them. */
export const AUDIT_FILTER_FIELDS = ["userId", "requestId", "type", "from", "to"] as const;

/** The page asked for: a whole number from 1; anything else is the first page. */
export function readPage(value: string | null): number {
  const page = Number(value);
  return Number.isSafeInteger(page) && page >= 1 ? page : 1;
}
