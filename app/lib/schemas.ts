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
