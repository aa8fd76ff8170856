import { sql } from "drizzle-orm";
import type { Deps } from "../deps";
import { rateLimits } from "../db/schema";
import { fail } from "../result";

/**
 * Per-key fixed-window counters in D1, shared by every isolate (an in-memory
 * counter would not be). One atomic upsert per hit.
 */
export const LIMITS = {
  /** Sign-in attempts per IP: generous for a shared office NAT, tight for a script. */
  signInPerIp: { limit: 30, windowMs: 15 * 60 * 1000 },
  /** A hospital's staff may register from one address on the same morning; a script may not. */
  registrationPerIp: { limit: 20, windowMs: 60 * 60 * 1000 },
  /** Anything that sends email on request (forgot User ID, reset links, codes). */
  emailSendPerIp: { limit: 10, windowMs: 15 * 60 * 1000 },
} as const;

export async function hitRateLimit(
  deps: Pick<Deps, "db" | "now">,
  key: string,
  rule: { limit: number; windowMs: number },
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

export const ipKey = (scope: string, ip: string | null) => `${scope}:ip:${ip ?? "unknown"}`;

/** The failure every throttled endpoint returns, in the same words. */
export function throttled(what: string, retryAfterSeconds: number) {
  return fail("throttled", { message: `Too many ${what} from your network. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.` });
}
