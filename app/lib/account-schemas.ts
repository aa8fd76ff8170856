import { z } from "zod";
import {
  CHALLENGE_QUESTION_COUNT,
  CHALLENGE_QUESTIONS,
  type ChallengeQuestionKey,
  normaliseAnswer,
} from "./challenge-questions";
import { SECOND_FACTOR_TYPES } from "./mfa";
import { checkPasswordShape, PASSWORD_MIN } from "./password-policy";

/**
 * The account's own forms: passwords and challenge questions (first sign-in, the profile, the
 * reset link) and the profile's sessions. The shape of a new password is checked here, on
 * both sides; what needs the account (its User ID and name, the common-password list, the
 * current password) is checked by the service.
 */

const PASSWORD_TOO_SHORT = `Your password must be at least ${PASSWORD_MIN} characters.`;
const PASSWORDS_DIFFER = "The two passwords do not match.";

export const NewPasswordSchema = z.string({ error: PASSWORD_TOO_SHORT }).superRefine((password, ctx) => {
  const problem = checkPasswordShape(password, {});
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const newPasswordFields = {
  newPassword: NewPasswordSchema,
  confirmPassword: z.string().optional(),
};

/** Only once the new password itself is acceptable, as the screens always said. */
function confirmMatches(
  value: { newPassword?: unknown; confirmPassword?: unknown },
  ctx: z.RefinementCtx,
  issues: readonly { path?: PropertyKey[] }[],
) {
  if (issues.some((issue) => issue.path?.[0] === "newPassword")) return;
  if (value.newPassword !== (value.confirmPassword ?? ""))
    ctx.addIssue({ code: "custom", message: PASSWORDS_DIFFER, path: ["confirmPassword"] });
}

const QUESTION_KEYS = Object.keys(CHALLENGE_QUESTIONS) as [ChallengeQuestionKey, ...ChallengeQuestionKey[]];
const NUMBERS = Array.from({ length: CHALLENGE_QUESTION_COUNT }, (_, i) => i + 1);

const questionFields = Object.fromEntries(
  NUMBERS.flatMap((n) => [
    [`question${n}`, z.enum(QUESTION_KEYS, { error: "Choose a question." })],
    [
      `answer${n}`,
      z
        .string({ error: "Enter an answer of at least 2 letters or digits." })
        .refine((answer) => normaliseAnswer(answer).length >= 2, "Enter an answer of at least 2 letters or digits.")
        .max(100, "Keep the answer under 100 characters."),
    ],
  ]),
) as Record<`question${1 | 2 | 3}`, z.ZodEnum<{ [K in ChallengeQuestionKey]: K }>> &
  Record<`answer${1 | 2 | 3}`, z.ZodString>;

export type ChosenAnswer = { key: ChallengeQuestionKey; answer: string };

/** Three different questions, each checked once its own field is fine. */
function differentQuestions(value: Record<string, unknown>, ctx: z.RefinementCtx) {
  const chosen: unknown[] = [];
  for (const n of NUMBERS) {
    const key = value[`question${n}`];
    if (typeof key !== "string" || !(key in CHALLENGE_QUESTIONS)) continue;
    if (chosen.includes(key))
      ctx.addIssue({ code: "custom", message: "Choose a different question for each answer.", path: [`question${n}`] });
    chosen.push(key);
  }
}

function answersOf(value: Record<string, string>): ChosenAnswer[] {
  return NUMBERS.map((n) => ({ key: value[`question${n}`] as ChallengeQuestionKey, answer: value[`answer${n}`] }));
}

/** Runs a whole-form check even when some fields failed, so every message shows at once. */
const always = { when: () => true } as const;

/** The fields of first sign-in, all of them (a screen shows the ones the account needs). */
type FirstSignInFields = Partial<
  Record<"newPassword" | "confirmPassword" | `question${1 | 2 | 3}` | `answer${1 | 2 | 3}`, string>
>;
export type FirstSignInInput = { newPassword?: string; answers?: ChosenAnswer[] };

/**
 * First sign-in: a new password, challenge questions, or both, as the account needs.
 * The service gets `{ newPassword?, answers? }`.
 */
export function firstSignInSchema(needs: { password: boolean; questions: boolean }) {
  return z
    .object({
      ...(needs.password ? newPasswordFields : {}),
      ...(needs.questions ? questionFields : {}),
    })
    .superRefine((value, ctx) => {
      const record = value as Record<string, unknown>;
      if (needs.password) confirmMatches(record, ctx, issuesOf(ctx));
      if (needs.questions) differentQuestions(record, ctx);
    }, always)
    .transform((value): FirstSignInInput => {
      const record = value as Record<string, string>;
      return {
        newPassword: needs.password ? record.newPassword : undefined,
        answers: needs.questions ? answersOf(record) : undefined,
      };
    }) as unknown as z.ZodType<FirstSignInInput, FirstSignInFields>;
}

/** Profile, "Change password". The current password is checked (and counted) by the service. */
export const ChangePasswordSchema = z
  .object({ currentPassword: z.string().optional().default(""), ...newPasswordFields })
  .superRefine((value, ctx) => confirmMatches(value, ctx, issuesOf(ctx)), always)
  .transform(({ currentPassword, newPassword }) => ({ currentPassword, newPassword }));
export type ChangePasswordInput = z.output<typeof ChangePasswordSchema>;

/** Profile, "Challenge questions": three new questions and the current password. */
export const ChangeQuestionsSchema = z
  .object({ ...questionFields, currentPassword: z.string().optional().default("") })
  .superRefine((value, ctx) => differentQuestions(value, ctx), always)
  .transform((value) => ({ answers: answersOf(value), currentPassword: value.currentPassword }));
export type ChangeQuestionsInput = z.output<typeof ChangeQuestionsSchema>;

/** "Choose a new password" from the emailed link, with a strong factor when the account has one. */
export const ResetPasswordSchema = z
  .object({
    token: z.string().max(200).optional().default(""),
    ...newPasswordFields,
    deviceType: z.enum(SECOND_FACTOR_TYPES).optional(),
    code: z.string().max(200).optional().default(""),
    /** A security key's answer, posted by the page's script instead of a code. */
    assertion: z.string().max(20_000).optional(),
  })
  .superRefine((value, ctx) => confirmMatches(value, ctx, issuesOf(ctx)), always)
  .transform(({ confirmPassword: _, ...rest }) => rest);
export type ResetPasswordInput = z.output<typeof ResetPasswordSchema>;

/** The issues found so far in this parse, kept by zod on the refinement context. */
function issuesOf(ctx: z.RefinementCtx): readonly { path?: PropertyKey[] }[] {
  return ctx.issues;
}

/** Profile, "Active sessions": sign out one other session. */
export const EndSessionSchema = z.object({
  intent: z.literal("end-session"),
  sessionId: z.string().max(100).optional().default(""),
});

/** Profile, "Active sessions": sign out every other session. */
export const EndOthersSchema = z.object({ intent: z.literal("end-others") });

/** The profile's forms, by the intent each posts. */
export const ProfileIntentSchema = z.object({
  intent: z.enum(["change-password", "change-questions", "end-session", "end-others"], {
    error: "Choose an action.",
  }),
});
