import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import { CHALLENGE_QUESTIONS, type ChallengeQuestionKey } from "./challenge-questions";
import { looksLikeRecoveryCode, SECOND_FACTOR_TYPES, STRONG_TYPES } from "./mfa";
import { LoginIdSchema } from "./schemas";

/** Sign-in, its recovery and step-up. Wrong credentials are the services' to say. */

/** "Welcome to CMS Enterprise Portal", step 1: the User ID alone ("Next"). */
export const LoginStartSchema = z.object({
  intent: z.literal("next").optional(),
  userId: LoginIdSchema,
});

/**
 * Step 2: password, MFA Device Type and Security Code ("Log In"), or "Send" to have an
 * emailed code sent. The security key's assertion replaces the code when the script has one.
 */
export const LoginSchema = z
  .object({
    intent: z.enum(["login", "send-code"]).optional().default("login"),
    userId: LoginIdSchema,
    redirectTo: z.string().max(2000).optional(),
    password: z.string().optional().default(""),
    deviceType: z.enum(SECOND_FACTOR_TYPES).optional(),
    code: z.string().max(200).optional(),
    assertion: z.string().max(20_000).optional(),
  })
  .superRefine((value, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (value.intent === "send-code") {
      if (value.deviceType !== "email") issue("deviceType", 'Choose MFA Device Type "Email" to have a code sent.');
      return;
    }
    if (!value.password) issue("password", "Enter your password.");
    const code = value.code?.trim();
    if (!code) return;
    if (value.deviceType === "recovery") {
      if (!looksLikeRecoveryCode(code)) issue("code", "Enter a recovery code: 28 letters and digits, like 7K3M-9P2X-…");
    } else if (value.deviceType !== "webauthn" && !/^\d{6}$/.test(code.replace(/\s+/g, "")))
      issue("code", "Enter the 6 digits of your security code.");
    if (!value.deviceType) issue("deviceType", "Select the MFA Device Type that shows the code.");
  })
  .transform((value) => ({
    ...value,
    /** What the service checks: the security key's answer, or the typed code. */
    secondFactor: (value.deviceType === "webauthn" ? value.assertion : value.code)?.trim() || null,
  }));
export type LoginInput = z.output<typeof LoginSchema>;

/** "Log In with a Passkey": the browser's answer, posted by the page's script. */
export const PasskeyLoginSchema = z.object({
  intent: z.literal("passkey"),
  redirectTo: z.string().max(2000).optional(),
  assertion: z
    .string({ error: "That passkey could not be used to log in. Log in with your User ID instead." })
    .max(20_000)
    .transform((value, ctx) => {
      try {
        const parsed = JSON.parse(value);
        if (typeof parsed?.challengeId === "string" && typeof parsed?.response?.id === "string")
          return parsed as { challengeId: string; response: AuthenticationResponseJSON };
      } catch {}
      ctx.addIssue({
        code: "custom",
        message: "That passkey could not be used to log in. Log in with your User ID instead.",
      });
      return z.NEVER;
    }),
});

const QUESTION_KEYS = Object.keys(CHALLENGE_QUESTIONS) as ChallengeQuestionKey[];

/**
 * "Unable to Access Security Code?": the answers, one field per question key (the screen
 * shows the account's three). Whether they match is the service's to say.
 */
export const RecoverWithQuestionsSchema = z
  .object({
    userId: LoginIdSchema,
    ...(Object.fromEntries(QUESTION_KEYS.map((key) => [key, z.string().max(100).optional()])) as Record<
      ChallengeQuestionKey,
      z.ZodOptional<z.ZodString>
    >),
  })
  .transform(({ userId, ...answers }) => ({
    loginId: userId,
    answers: answers as Partial<Record<ChallengeQuestionKey, string>>,
  }));
export type RecoverWithQuestionsInput = z.output<typeof RecoverWithQuestionsSchema>;
/** The answers are secrets: never sent back (their field names are the question keys). */
export const RECOVERY_ANSWER_FIELDS: string[] = QUESTION_KEYS;

/** "Confirm it is you": a strong factor only. */
export const StepUpSchema = z
  .object({
    redirectTo: z.string().max(2000).optional(),
    deviceType: z.enum(STRONG_TYPES as [string, ...string[]], {
      error: "Choose Authenticator App, Security Key or Recovery Code.",
    }),
    code: z.string().max(200).optional(),
    assertion: z.string().max(20_000).optional(),
  })
  .superRefine((value, ctx) => {
    const answer = value.deviceType === "webauthn" ? value.assertion : value.code;
    // A security key's answer comes from the script; without one the code field is what is missing.
    if (!answer?.trim()) ctx.addIssue({ code: "custom", path: ["code"], message: "Enter the Security Code." });
  })
  .transform((value) => ({
    redirectTo: value.redirectTo,
    type: value.deviceType as (typeof STRONG_TYPES)[number],
    code: (value.deviceType === "webauthn" ? value.assertion : value.code) ?? "",
  }));
export type StepUpInput = z.output<typeof StepUpSchema>;
