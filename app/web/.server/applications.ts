import type { ChangeCode, RegistrationCode, RegistrationProblem } from "~/.server/oidc/registration";
import type { FailureCopy, FailureFacts } from "~/lib/failure-words";
import { wordsFor } from "~/lib/failure-words";
import type { ReplyErrors } from "~/lib/forms";

/**
 * Administration › Applications (SPEC 2.9): the words for what
 * `checkRegistration`, `registerClient` and `updateClient` refuse, shared by the
 * register and edit screens (app/routes/admin.applications.*).
 */

const value = (facts: FailureFacts) => String(facts.value ?? "");
const key = (facts: FailureFacts) => `Key ${facts.key ?? 1}`;

export const REGISTRATION_WORDS = {
  name_required: "Enter the application's name.",
  name_too_long: "Enter at most 100 characters.",
  program_unknown: "Choose a program from the list.",
  redirect_required: "Enter at least one Redirect URI.",
  uri_invalid: (f) =>
    `${value(f)} is not an address that can be registered: enter an absolute https:// address without a fragment (http://localhost or http://127.0.0.1 only outside production).`,
  uri_local_in_production: (f) => `${value(f)} is a local address: in production every address must be https://.`,
  uri_duplicate: (f) => `${value(f)} is entered twice: enter each address once.`,
  uris_too_many: (f) => `Enter at most ${f.max ?? 10} addresses, one per line.`,
  redirect_hosts:
    "Enter Redirect URIs on one host only: the application's users get identifiers for that host (its pairwise sector). Register another application for another host.",
  jwks_required: "Paste the application's public keys (JWKS).",
  jwks_not_json: 'The keys are not valid JSON: paste the JWK Set as {"keys": [...]}.',
  jwks_not_a_set: 'Paste a JWK Set: a JSON object with a "keys" list, {"keys": [...]}.',
  jwks_key_count: (f) => `Paste 1 to ${f.max ?? 5} keys.`,
  jwk_private: (f) =>
    `${key(f)} is a private key. Paste only the public keys: never share the private part, and replace this key if it was shared.`,
  jwk_type: (f) => `${key(f)} is not an EC P-256 or RSA public key.`,
  jwk_rsa_too_short: (f) => `${key(f)} is an RSA key shorter than 2048 bits: use 2048 bits or more.`,
  jwk_use: (f) => `${key(f)} is not a signing key: its "use" must be "sig" or absent.`,
  jwk_alg: (f) => `${key(f)} names another algorithm: ES256 for EC P-256 keys, RS256 for RSA keys.`,
  jwk_unusable: (f) => `${key(f)} cannot be read as a public key: check that it was pasted whole.`,
  assurance_invalid: "Choose a required assurance from the list.",
  alg_invalid: "Choose ES256 or RS256.",
} satisfies FailureCopy<RegistrationCode>;

export const CHANGE_WORDS = {
  program_unknown: "Choose a program from the list.",
  not_found: "This application no longer exists.",
  changed: "Someone else changed this application while you were editing it. Reload it and try again.",
  unchanged: "Nothing was changed.",
} satisfies FailureCopy<ChangeCode>;

/** Each problem's words next to its field. */
export function problemErrors(problems: RegistrationProblem[]): ReplyErrors {
  const fieldErrors: Record<string, string[]> = {};
  for (const p of problems) {
    if (fieldErrors[p.field]) continue;
    fieldErrors[p.field] = [wordsFor(REGISTRATION_WORDS, { code: p.code, detail: p.detail })];
  }
  return { fieldErrors };
}
