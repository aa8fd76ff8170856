import { z } from "zod";

/**
 * Deciding an access request (SPEC 2.6): "Approve", or "Reject" with a reason
 * from a short list plus free text. The list is what the requester reads in
 * the rejection email, so each reason says what to fix.
 */
export const REJECTION_REASONS = {
  not_affiliated: "You are not known to work for or with this organization",
  wrong_role: "The role does not match your job; request the role you need",
  wrong_organization: "The request names the wrong organization",
  no_business_need: "There is no business need for this access",
  incomplete: "The request lacks the information needed to decide it",
  other: "Another reason (explained below)",
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;

export const REJECTION_REASON_CODES = Object.keys(REJECTION_REASONS) as [RejectionReason, ...RejectionReason[]];

export const DECISION_DETAILS_MAX = 1000;

const details = z
  .string()
  .trim()
  .max(DECISION_DETAILS_MAX, `Enter ${DECISION_DETAILS_MAX} characters or fewer.`)
  .optional();

export const ApproveSchema = z.object({
  intent: z.literal("approve"),
});

export const RejectSchema = z
  .object({
    intent: z.literal("reject"),
    reasonCode: z.enum(REJECTION_REASON_CODES, { error: "Choose a reason for rejecting this request." }),
    details,
  })
  .superRefine((value, ctx) => {
    if (value.reasonCode === "other" && !value.details)
      ctx.addIssue({ code: "custom", path: ["details"], message: "Explain the reason for rejecting this request." });
  });

export type RejectInput = z.infer<typeof RejectSchema>;

export const RevokeSchema = z.object({
  intent: z.literal("revoke"),
  userRoleId: z.string().trim().min(1).max(100),
  reason: z
    .string({ error: "Enter the reason for revoking this role." })
    .trim()
    .min(1, "Enter the reason for revoking this role.")
    .max(DECISION_DETAILS_MAX, `Enter ${DECISION_DETAILS_MAX} characters or fewer.`),
});

export type RevokeInput = z.infer<typeof RevokeSchema>;
