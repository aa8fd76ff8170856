import { z } from "zod";

/**
 * Administration forms (SPEC 2.8): one schema per form, shared by the route's
 * action and its component (see `app/lib/forms.ts`).
 */

// ------------------------------------------------------------------ Failed email

/** Resend one failed email: a dead letter (email_log) or a retired outbox row. */
export const ResendEmailSchema = z.object({
  source: z.enum(["dead_letter", "outbox"], { error: "That email could not be resent." }),
  idempotencyKey: z.string({ error: "That email could not be resent." }).min(1).max(300),
});
export type ResendEmailInput = z.infer<typeof ResendEmailSchema>;

// ------------------------------------------------------------------ Manual proofing

/** The documents the help desk may check in manual proofing. */
export const PROOFING_EVIDENCE_TYPES = [
  { value: "drivers_license", label: "Driver's license" },
  { value: "state_id", label: "State ID card" },
  { value: "passport", label: "U.S. passport" },
  { value: "passport_card", label: "U.S. passport card" },
  { value: "military_id", label: "Military ID" },
  { value: "permanent_resident_card", label: "Permanent resident card" },
] as const;

export type ProofingEvidenceType = (typeof PROOFING_EVIDENCE_TYPES)[number]["value"];

export const evidenceLabel = (value: string | null) =>
  PROOFING_EVIDENCE_TYPES.find((t) => t.value === value)?.label ?? value ?? "";

export const PROOFING_MESSAGES = {
  decision: "Choose Mark Identity Verified or Could Not Verify.",
  evidenceType: "Choose the document you checked.",
  evidenceLast4: "Enter the last 4 letters or digits of the document's number.",
  denialReason: "Enter the reason, as the person will read it in their email.",
  denialReasonLength: "Keep the reason under 500 characters.",
  undecided: "That request could not be decided.",
};

/**
 * One manual-proofing decision. Approval records the evidence checked (which
 * document, the last four characters of its number); a denial needs a reason,
 * which is emailed to the person.
 */
export const AdminProofingDecisionSchema = z
  .object({
    reviewId: z.string({ error: PROOFING_MESSAGES.undecided }).max(100),
    intent: z.enum(["verify", "reject"], { error: PROOFING_MESSAGES.decision }),
    evidenceType: z.string().optional(),
    evidenceLast4: z.string().trim().optional(),
    denialReason: z.string().trim().max(500, PROOFING_MESSAGES.denialReasonLength).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.intent === "verify") {
      if (!PROOFING_EVIDENCE_TYPES.some((t) => t.value === v.evidenceType))
        ctx.addIssue({ code: "custom", path: ["evidenceType"], message: PROOFING_MESSAGES.evidenceType });
      if (!/^[A-Za-z0-9]{4}$/.test(v.evidenceLast4 ?? ""))
        ctx.addIssue({ code: "custom", path: ["evidenceLast4"], message: PROOFING_MESSAGES.evidenceLast4 });
    } else if (!v.denialReason) {
      ctx.addIssue({ code: "custom", path: ["denialReason"], message: PROOFING_MESSAGES.denialReason });
    }
  })
  .transform((v) =>
    v.intent === "verify"
      ? {
          reviewId: v.reviewId,
          verified: true as const,
          evidence: { type: v.evidenceType as ProofingEvidenceType, last4: (v.evidenceLast4 ?? "").toUpperCase() },
        }
      : { reviewId: v.reviewId, verified: false as const, denialReason: v.denialReason ?? "" },
  );
export type AdminProofingDecisionInput = z.output<typeof AdminProofingDecisionSchema>;

// ------------------------------------------------------------------ Programs, roles and rules

export const APPROVER_RULES = [
  {
    value: "security_official_else_help_desk",
    label: "Security Officials of the organization; the help desk when it has none",
  },
  { value: "help_desk_only", label: "The help desk only" },
] as const;
export type ApproverRule = (typeof APPROVER_RULES)[number]["value"];

/** One role's rules: the organization types it is for, whether it needs an End Date, who approves. */
export const RoleRulesSchema = z.object({
  roleId: z.coerce.number({ error: "That role could not be changed." }).int().positive(),
  orgTypeIds: z
    .array(z.coerce.number().int().positive(), { error: "Choose at least one organization type." })
    .min(1, "Choose at least one organization type."),
  requiresEndDate: z
    .string()
    .optional()
    .transform((v) => v === "on" || v === "true"),
  approverRule: z.enum(["security_official_else_help_desk", "help_desk_only"], {
    error: "Choose who approves requests for this role.",
  }),
});
export type RoleRulesInput = z.output<typeof RoleRulesSchema>;
