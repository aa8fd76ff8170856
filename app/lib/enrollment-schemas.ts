import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import { PhoneSchema } from "./schemas";
import { STATES } from "./states";

/** New User Enrollment: identity proofing (steps 1 to 6) and MFA devices. */

/** Step 1: consent to identity proofing. */
export const ConsentSchema = z.object({
  consent: z.literal("yes", { error: "Check the box to give your consent." }),
});

/** Step 2: legal name and date of birth. */
export const IdentitySchema = z.object({
  firstName: z
    .string({ error: "Enter your legal first name." })
    .trim()
    .min(1, "Enter your legal first name.")
    .max(50, "Enter at most 50 characters."),
  middleName: z.string().trim().max(50, "Enter at most 50 characters.").optional().default(""),
  lastName: z
    .string({ error: "Enter your legal last name." })
    .trim()
    .min(1, "Enter your legal last name.")
    .max(50, "Enter at most 50 characters."),
  dateOfBirth: z
    .string({ error: "Enter your date of birth as YYYY-MM-DD, for example 1974-03-12." })
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter your date of birth as YYYY-MM-DD, for example 1974-03-12.")
    .refine((v) => {
      const d = new Date(`${v}T00:00:00Z`);
      const age = (Date.now() - d.getTime()) / (365.25 * 86400000);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v && age >= 13 && age <= 120;
    }, "Enter a real date of birth."),
});
export type IdentityInput = z.infer<typeof IdentitySchema>;

/** Step 3: home address. */
export const AddressSchema = z.object({
  line1: z
    .string({ error: "Enter your street address." })
    .trim()
    .min(1, "Enter your street address.")
    .max(100, "Enter at most 100 characters."),
  line2: z.string().trim().max(100, "Enter at most 100 characters.").optional().default(""),
  city: z
    .string({ error: "Enter your city." })
    .trim()
    .min(1, "Enter your city.")
    .max(60, "Enter at most 60 characters."),
  state: z.string({ error: "Choose your state." }).refine((v) => STATES.some((s) => s[0] === v), "Choose your state."),
  zip: z
    .string({ error: "Enter a 5-digit ZIP Code, like 43212." })
    .trim()
    .regex(/^\d{5}(-\d{4})?$/, "Enter a 5-digit ZIP Code, like 43212."),
});
export type AddressInput = z.infer<typeof AddressSchema>;

/** Step 4: phone and the last four of the SSN (sent to the provider, never kept or sent back). */
export const PhoneSsnSchema = z.object({
  phone: PhoneSchema,
  ssnLast4: z
    .string({ error: "Enter the last 4 digits of your Social Security Number." })
    .trim()
    .regex(/^\d{4}$/, "Enter the last 4 digits of your Social Security Number."),
});
export type PhoneSsnInput = z.infer<typeof PhoneSsnSchema>;

/** Step 5: one choice per question the provider asked (field name: the question's id). */
export function kbaAnswersSchema(questions: readonly { id: string; choices: readonly string[] }[]) {
  return z.object(
    Object.fromEntries(
      questions.map((q) => [
        q.id,
        z.string({ error: "Choose an answer." }).refine((v) => q.choices.includes(v), "Choose an answer."),
      ]),
    ),
  );
}
export type KbaAnswersInput = Record<string, string>;

/** Step 6, after 3 failed attempts: ask the help desk. */
export const ManualProofingSchema = z.object({
  intent: z.literal("manual"),
  note: z.string().trim().max(500, "Keep the note under 500 characters.").optional().default(""),
});
export type ManualProofingInput = z.infer<typeof ManualProofingSchema>;

// ------------------------------------------------------------------ MFA devices

/** Where a device screen returns: New User Enrollment, or the profile's device list. */
const from = z.enum(["enrollment", "profile"]).catch("enrollment");

const deviceName = (fallback: string) =>
  z
    .string()
    .trim()
    .max(40, "Keep the name under 40 characters.")
    .optional()
    .transform((name) => name || fallback);

/** Authenticator app, first screen: its name. */
export const TotpBeginSchema = z.object({
  intent: z.literal("begin"),
  from,
  name: deviceName("Authenticator app"),
});

/** Authenticator app, second screen: the code it shows. */
export const TotpConfirmSchema = z.object({
  from,
  deviceId: z.string({ error: "That set-up has expired. Start again." }).max(100),
  code: z
    .string({ error: "Enter the 6-digit Security Code your app shows." })
    .transform((code) => code.replace(/\s+/g, ""))
    .refine((code) => /^\d{6}$/.test(code), "Enter the 6-digit Security Code your app shows."),
});
export type TotpConfirmInput = z.output<typeof TotpConfirmSchema>;

/** Email as a device: "Send Me a Code". */
export const EmailSendSchema = z.object({ intent: z.literal("send"), from });

/** Email as a device: the code we sent. */
export const EmailVerifySchema = z.object({
  intent: z.literal("verify"),
  from,
  code: z
    .string({ error: "That code is not right, or it has expired. Send a new one if you need to." })
    .trim()
    .max(20, "That code is not right, or it has expired. Send a new one if you need to."),
});

/** Security key or passkey: its name, and the browser's new credential (added by the page's script). */
export const SecurityKeySchema = z.object({
  from,
  name: deviceName("Security key"),
  credential: z
    .string()
    .max(50_000)
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        const parsed = JSON.parse(value);
        if (typeof parsed?.challengeId === "string" && typeof parsed?.response === "object")
          return parsed as { challengeId: string; response: RegistrationResponseJSON };
      } catch {}
      ctx.addIssue({ code: "custom", message: "Your browser did not send a security key. Try again." });
      return z.NEVER;
    }),
});

/** "Almost done: recovery codes": create (or replace) them, then finish. */
export const FinishEnrollmentSchema = z.object({
  intent: z.enum(["create", "done"]).catch("create"),
});

/** Profile, MFA devices: a new name. */
export const RenameDeviceSchema = z.object({
  intent: z.literal("rename"),
  deviceId: z.string({ error: "That device is not on your account." }).max(100),
  name: z
    .string({ error: "Give the device a name of 1 to 40 characters." })
    .trim()
    .min(1, "Give the device a name of 1 to 40 characters.")
    .max(40, "Give the device a name of 1 to 40 characters."),
});
export type RenameDeviceInput = z.infer<typeof RenameDeviceSchema>;

/** Profile, MFA devices: remove one. */
export const RemoveDeviceSchema = z.object({
  intent: z.literal("remove"),
  deviceId: z.string({ error: "That device is not on your account." }).max(100),
});

/** Profile, MFA devices: new recovery codes. */
export const RegenerateCodesSchema = z.object({ intent: z.literal("regenerate") });

/** The device screen's forms, by the intent each posts. */
export const DeviceIntentSchema = z.object({
  intent: z.enum(["rename", "remove", "regenerate"], { error: "Choose an action." }),
});
