import { hashPassword } from "../../../app/.server/auth/password";
import { type ChallengeQuestionKey, normaliseAnswer } from "../../../app/lib/challenge-questions";

/** The password of every factory user unless a test gives one. */
export const FACTORY_PASSWORD = "granite kettle orbit lantern";

/** The challenge answers every factory user gives; hashed like the ones typed at first sign-in. */
export const FACTORY_CHALLENGE_ANSWERS: Partial<Record<ChallengeQuestionKey, string>> = {
  first_pet: "Rex",
  birth_city: "Dayton",
  first_school: "Lincoln Elementary",
};

/** What is hashed for each: the password as typed, the answers normalised as the app checks them. */
export const FACTORY_SECRETS = [FACTORY_PASSWORD, ...Object.values(FACTORY_CHALLENGE_ANSWERS).map(normaliseAnswer)];

/**
 * scrypt at the app's parameters costs about a second a hash on the busy
 * two-core machine, and every factory user has a password and three answers.
 * The e2e setup hashes these once, while `wrangler dev` starts, and every
 * factory user shares the hashes (salts included), which the app verifies like
 * any other.
 */
export async function hashFactorySecrets(): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(FACTORY_SECRETS.map(async (s) => [s, await hashPassword(s)] as const)));
}
