import { z } from "zod";

const trimmed = (label: string, max: number) =>
  z
    .string({ error: `Enter your ${label}.` })
    .trim()
    .min(1, `Enter your ${label}.`)
    .max(max, `Your ${label} must be at most ${max} characters.`);

const personName = (label: string) =>
  trimmed(label, 50).regex(
    /^[\p{L}][\p{L}\p{M}' .-]*$/u,
    `Your ${label} may use letters, spaces, hyphens and apostrophes.`,
  );

export const EmailSchema = z
  .string({ error: "Enter your email address." })
  .trim()
  .min(1, "Enter your email address.")
  .max(254, "Your email address is too long.")
  .email("Enter an email address like name@example.com.")
  .transform((v) => v.toLowerCase());

export const PhoneSchema = z
  .string({ error: "Enter your phone number." })
  .trim()
  .min(1, "Enter your phone number.")
  .refine((v) => /^\+?[\d\s().-]+$/.test(v) && v.replace(/\D/g, "").length >= 10 && v.replace(/\D/g, "").length <= 15, {
    message: "Enter a phone number with area code, like 614-555-0142.",
  });

export const RegistrationSchema = z.object({
  firstName: personName("first name"),
  lastName: personName("last name"),
  email: EmailSchema,
  phone: PhoneSchema,
});

export const LoginIdSchema = z
  .string({ error: "Enter your User ID." })
  .trim()
  .min(1, "Enter your User ID.")
  .max(20, "Enter your User ID.")
  .transform((v) => v.toUpperCase());

/** "Forgot User ID?" */
export const ForgotUserIdSchema = z.object({ email: EmailSchema });
export type ForgotUserIdInput = z.infer<typeof ForgotUserIdSchema>;

/** "Reset your password": the User ID and the email address on the profile. */
export const ForgotPasswordSchema = z.object({ userId: LoginIdSchema, email: EmailSchema });
export type ForgotPasswordInput = z.infer<typeof ForgotPasswordSchema>;

/** "Terms and Conditions": I Accept or Decline, for the destination program if one was chosen. */
export const TermsSchema = z.object({
  intent: z.enum(["accept", "decline"], { error: "Choose I Accept or Decline." }),
  program: z.string().max(20).optional(),
  /** Where sign-in goes afterwards (a link from an email, say); checked by `safeRedirectPath` on the server. */
  redirectTo: z.string().max(2048).optional(),
  /** The version shown: accepting records it, unless a newer one was published meanwhile. */
  version: z.string().max(40).optional(),
});

/** "This wasn't me": the emailed link's token, carried by the confirmation button. */
export const NotMeSchema = z.object({
  token: z.string({ error: "This link has expired or was already used." }).max(200),
});
export type NotMeInput = z.infer<typeof NotMeSchema>;
