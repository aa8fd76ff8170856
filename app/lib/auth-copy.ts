import { type FailureFacts, factDate, factNumber } from "./failure-words";
import { formatTime } from "./format";
import type { SecondFactorType } from "./mfa";

/** Words several sign-in and account screens share; each screen's own words stay in its `COPY`. */

/** A per-network throttle (`retryAfterSeconds` among the facts): "Too many log-in attempts from your network…". */
export const tooManyFromNetwork = (what: string) => (facts: FailureFacts) =>
  `Too many ${what} from your network. Try again in ${Math.ceil(factNumber(facts, "retryAfterSeconds") / 60)} minutes.`;

/** The sign-in lock (SPEC 2.2), at sign-in and on forms that ask for the current password. */
export function lockedMessage(until: Date): string {
  return `Your account is locked until ${formatTime(until)} after too many failed attempts. We emailed a link that unlocks it (reset your password with your second factor); or wait until then.`;
}

/** The lock after too many wrong security codes (`until`), or the hold at the hard stop (`held`). */
export function mfaLockedMessage(facts: FailureFacts): string {
  if (facts.held)
    return "After too many wrong security codes this account is on hold. Contact the help desk to verify who you are.";
  return `Too many wrong security codes. Security codes are locked until ${formatTime(factDate(facts, "until"))}. Try again then, or use "Unable to Access Security Code?".`;
}

/** Emailed codes: the sends per 15 minutes, and (for requests before signing in) per day. */
export const EMAIL_CODE_LIMITS = {
  throttled: "We have already sent 3 codes in the last 15 minutes. Use the latest one, or wait before asking again.",
  throttled_today: "Too many codes were sent to this account today. Try again tomorrow or contact the help desk.",
} as const;

/** A security key needs the page's script; without it, say so and name what else the account has. */
export function securityKeyNeedsScript(strongTypes: readonly SecondFactorType[]): string {
  const others = strongTypes.filter((t) => t !== "webauthn");
  if (others.length === 0)
    return "Using a security key needs JavaScript. Turn it on in this browser, or call the help desk.";
  const names = others.map((t) => (t === "totp" ? "an authenticator app code" : "a recovery code"));
  return `Using a security key needs JavaScript. Turn it on, or use ${names.join(" or ")}.`;
}
