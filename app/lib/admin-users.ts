import { z } from "zod";

/**
 * Administration → Users (SPEC 2.8): finding an account, and the four things
 * an administrator may do to someone else's account. Each action is its own
 * form (its `intent` is also its form id) behind a confirmation; resetting MFA
 * and deactivating need a reason, which the audit log keeps.
 */

export const ADMIN_USERS_PAGE_SIZE = 25;
export const ADMIN_REASON_MAX = 1000;
export const ADMIN_SEARCH_MAX = 100;

export const UserSearchSchema = z.object({
  q: z
    .string()
    .trim()
    .max(ADMIN_SEARCH_MAX, `Enter ${ADMIN_SEARCH_MAX} characters or fewer.`)
    .optional()
    .transform((v) => v ?? ""),
});

const optionalReason = z
  .string()
  .trim()
  .max(ADMIN_REASON_MAX, `Enter ${ADMIN_REASON_MAX} characters or fewer.`)
  .optional()
  .transform((v) => v ?? "");

const requiredReason = (message: string) =>
  z
    .string({ error: message })
    .trim()
    .min(1, message)
    .max(ADMIN_REASON_MAX, `Enter ${ADMIN_REASON_MAX} characters or fewer.`);

export const UnlockSchema = z.object({ intent: z.literal("unlock"), reason: optionalReason });

export const ResetMfaSchema = z.object({
  intent: z.literal("reset-mfa"),
  reason: requiredReason("Enter how you verified this person's identity."),
});

export const DeactivateSchema = z.object({
  intent: z.literal("deactivate"),
  reason: requiredReason("Enter the reason for deactivating this account."),
});

export const ReactivateSchema = z.object({ intent: z.literal("reactivate"), reason: optionalReason });

export const ADMIN_USER_SCHEMAS = {
  unlock: UnlockSchema,
  "reset-mfa": ResetMfaSchema,
  deactivate: DeactivateSchema,
  reactivate: ReactivateSchema,
} as const;

export type AdminUserIntent = keyof typeof ADMIN_USER_SCHEMAS;

export function isAdminUserIntent(value: unknown): value is AdminUserIntent {
  return typeof value === "string" && Object.hasOwn(ADMIN_USER_SCHEMAS, value);
}
