import { z } from "zod";

/** Publishing the Terms and Conditions (Administration): preview first, then publish. */
export const TERMS_BODY_MAX = 20_000;

export const TermsPublishSchema = z
  .object({
    intent: z.enum(["preview", "publish"]),
    version: z
      .string({ error: "Enter a version, for example 2027-01-15." })
      .trim()
      .max(40, "Enter 40 characters or fewer.")
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "Use letters, digits, dots and hyphens, for example 2027-01-15."),
    bodyMarkdown: z
      .string({ error: "Enter the text of the Terms and Conditions." })
      .trim()
      .min(20, "Enter the text of the Terms and Conditions.")
      .max(TERMS_BODY_MAX, `Enter ${TERMS_BODY_MAX.toLocaleString("en-US")} characters or fewer.`),
    confirm: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.intent === "publish" && value.confirm !== "on")
      ctx.addIssue({
        code: "custom",
        path: ["confirm"],
        message: "Confirm that everyone must accept this version at their next sign-in.",
      });
  });
