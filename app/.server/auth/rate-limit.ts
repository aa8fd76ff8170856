import { and, eq, gte, inArray, lt, lte, or, sql } from "drizzle-orm";
import { rateLimits } from "../db/schema";
import type { Deps } from "../deps";
import { fail } from "../result";
import { keyedHash } from "./keyed-hash";

/**
 * Per-key counters in D1, shared by every isolate (an in-memory counter would
 * not be). Each hit checks and changes its counter in one statement, before any
 * slow work, so parallel requests cannot slip past a limit.
 */
export const LIMITS = {
  /** Sign-in attempts per IP: generous for a shared office NAT, tight for a script. */
  signInPerIp: { limit: 30, windowMs: 15 * 60 * 1000 },
  /** Step 1 ("Next") per IP: it reveals nothing, but it is where a script would start. */
  signInStep1PerIp: { limit: 60, windowMs: 15 * 60 * 1000 },
  /** A hospital's staff may register from one address on the same morning; a script may not. */
  registrationPerIp: { limit: 20, windowMs: 60 * 60 * 1000 },
  /** Anything that sends email on request (forgot User ID, reset links, codes). */
  emailSendPerIp: { limit: 10, windowMs: 15 * 60 * 1000 },
  /**
   * Emails sent on request to one address ("Forgot User ID?", reset links,
   * registration), whoever asks and from wherever: a rotating set of IP
   * addresses must not flood an inbox. One counter for the three screens.
   */
  emailPerRecipientHour: { limit: 3, windowMs: 60 * 60 * 1000 },
  emailPerRecipientDay: { limit: 10, windowMs: 24 * 60 * 60 * 1000 },
  /** Password checks of signed-in forms (change password, change questions) per account. */
  passwordFormsPerUser: { limit: 10, windowMs: 15 * 60 * 1000 },
} as const;

export interface Rule {
  limit: number;
  windowMs: number;
}

/** A fixed window: the first hit opens it, hits past the limit are refused until it closes. */
export async function hitRateLimit(
  deps: Pick<Deps, "db" | "now">,
  key: string,
  rule: Rule,
): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
  const now = deps.now().getTime();
  const windowStart = now - rule.windowMs;
  const [row] = await deps.db
    .insert(rateLimits)
    .values({ key, count: 1, windowStartsAt: new Date(now) })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStartsAt} <= ${windowStart} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        windowStartsAt: sql`CASE WHEN ${rateLimits.windowStartsAt} <= ${windowStart} THEN ${now} ELSE ${rateLimits.windowStartsAt} END`,
      },
    })
    .returning({ count: rateLimits.count, windowStartsAt: rateLimits.windowStartsAt });
  const allowed = row.count <= rule.limit;
  const retryAfterSeconds = allowed ? 0 : Math.ceil((row.windowStartsAt.getTime() + rule.windowMs - now) / 1000);
  return { allowed, retryAfterSeconds };
}

/**
 * Consecutive failures with a lock (sign-in lockout): an attempt claims a slot
 * before the password is checked; at `limit` claimed slots further attempts are
 * refused for `windowMs` after the last one, without counting. A success
 * clears the key. The window restarts when attempts stop for `windowMs`.
 */
export async function claimAttempt(
  deps: Pick<Deps, "db" | "now">,
  key: string,
  rule: Rule,
): Promise<{ allowed: true; count: number; lockedUntil: Date | null } | { allowed: false; lockedUntil: Date }> {
  const now = deps.now().getTime();
  const stale = now - rule.windowMs;
  const [row] = await deps.db
    .insert(rateLimits)
    .values({ key, count: 1, windowStartsAt: new Date(now) })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStartsAt} <= ${stale} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        // Here the "window start" is the last attempt: the lock runs from the one that reached the limit.
        windowStartsAt: new Date(now),
      },
      setWhere: or(sql`${rateLimits.count} < ${rule.limit}`, lte(rateLimits.windowStartsAt, new Date(stale))),
    })
    .returning({ count: rateLimits.count });
  if (row)
    return {
      allowed: true,
      count: row.count,
      lockedUntil: row.count >= rule.limit ? new Date(now + rule.windowMs) : null,
    };
  const held = await deps.db
    .select({ at: rateLimits.windowStartsAt })
    .from(rateLimits)
    .where(eq(rateLimits.key, key))
    .get();
  return { allowed: false, lockedUntil: new Date((held?.at.getTime() ?? now) + rule.windowMs) };
}

export async function clearAttempts(deps: Pick<Deps, "db">, keys: string[]) {
  if (keys.length > 0) await deps.db.delete(rateLimits).where(inArray(rateLimits.key, keys));
}

/** Every counter whose key starts with `prefix` (all of an account's sign-in locks, say). */
export async function clearAttemptsWithPrefix(deps: Pick<Deps, "db">, prefix: string) {
  // A key range, not LIKE: D1 refuses long LIKE patterns, and a range uses the primary key.
  await deps.db.delete(rateLimits).where(and(gte(rateLimits.key, prefix), lt(rateLimits.key, `${prefix}\u{10FFFF}`)));
}

/**
 * The client as a limit sees it: an IPv4 address, or an IPv6 address's /64
 * (one household or phone gets a whole /64, so per-address limits would be
 * trivially dodged).
 */
export function clientKey(ip: string | null): string {
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  const [head, tail] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g || "0").replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export const ipKey = (scope: string, ip: string | null) => `${scope}:ip:${clientKey(ip)}`;

/**
 * The mailbox an address delivers to, for counting: lower case, without a `+tag`
 * (victim+1@, victim+2@ … reach one inbox), and for Gmail without dots and with
 * googlemail.com as gmail.com.
 */
export function canonicalMailbox(email: string): string {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf("@");
  if (at < 1) return address;
  let local = address.slice(0, at).replace(/\+.*$/u, "");
  let domain = address.slice(at + 1);
  if (domain === "googlemail.com") domain = "gmail.com";
  if (domain === "gmail.com") local = local.replaceAll(".", "");
  return `${local || address.slice(0, at)}@${domain}`;
}

/** The per-recipient counters' keys: the mailbox only as a keyed hash of its canonical form. */
export function recipientKeys(deps: Pick<Deps, "env">, email: string) {
  const hash = keyedHash(deps.env, "email-recipient", canonicalMailbox(email));
  return { hour: `email-to:hour:${hash}`, day: `email-to:day:${hash}` };
}

/**
 * Whether one more email on request may go to `email` (at most 3 an hour and 10
 * a day). Counted for every request, whether or not the address is registered,
 * before anything is looked up: the answer and its cost are the same either
 * way, and a capped request is answered exactly as a sent one (the caller sends
 * nothing). The day counts only requests the hour let through.
 */
export async function hitRecipientLimit(deps: Pick<Deps, "db" | "now" | "env">, email: string): Promise<boolean> {
  const keys = recipientKeys(deps, email);
  if (!(await hitRateLimit(deps, keys.hour, LIMITS.emailPerRecipientHour)).allowed) return false;
  return (await hitRateLimit(deps, keys.day, LIMITS.emailPerRecipientDay)).allowed;
}

/** The failure every throttled endpoint returns: how long until the client may try again (the screen words it). */
export function throttled(retryAfterSeconds: number) {
  return fail("throttled", { detail: { retryAfterSeconds } });
}
