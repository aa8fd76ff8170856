import { z } from "zod";

/**
 * Administration › Applications (SPEC 2.9): the register and edit form as it is
 * posted. This schema only collects the text (the name is required, every box
 * has a length limit); `checkRegistration` in app/.server/oidc/registration.ts
 * checks what the text means (addresses, hosts, keys) and the screen words
 * its codes. Shared with the browser, which checks the same lengths.
 */
export const APPLICATION_LIMITS = {
  name: 100,
  uris: 4000,
  uri: 2000,
  jwks: 20_000,
} as const;

export const APPLICATION_FORM_MESSAGES = {
  name: "Enter the application's name.",
  nameTooLong: `Enter at most ${APPLICATION_LIMITS.name} characters.`,
  tooLong: (max: number) => `Enter at most ${max} characters.`,
} as const;

const m = APPLICATION_FORM_MESSAGES;
/** A box that may be left blank (the form posts "" and Conform reads it as absent): its text, or "". */
const text = (max: number) =>
  z
    .string()
    .max(max, m.tooLong(max))
    .optional()
    .transform((v) => v ?? "");

/**
 * The field names stay clear of the words that mark a secret field (`SECRET_FIELD` in ./forms: "token",
 * "code" …), whose input a failed form does not send back: hence `signingAlg`, not "idTokenAlg".
 */
export const ApplicationFormSchema = z.object({
  name: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z.string({ error: m.name }).trim().min(1, m.name).max(APPLICATION_LIMITS.name, m.nameTooLong),
  ),
  programId: text(20),
  redirectUris: text(APPLICATION_LIMITS.uris),
  postLogoutRedirectUris: text(APPLICATION_LIMITS.uris),
  backchannelLogoutUri: text(APPLICATION_LIMITS.uri),
  initiateLoginUri: text(APPLICATION_LIMITS.uri),
  jwks: text(APPLICATION_LIMITS.jwks),
  requiredAssurance: text(40),
  signingAlg: text(10),
});

export type ApplicationForm = z.infer<typeof ApplicationFormSchema>;

/** The "Required Assurance" choices (the values are the ACR levels of app/.server/oidc/config.ts). */
export const ASSURANCE_OPTIONS = [
  { value: "aal1", label: "AAL1" },
  { value: "aal2", label: "AAL2" },
  { value: "aal2_phishing_resistant", label: "AAL2, phishing-resistant" },
] as const;

export const ID_TOKEN_ALGS = ["ES256", "RS256"] as const;
