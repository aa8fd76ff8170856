import { and, asc, count, eq, gt, gte, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { ACCOUNT_CEILING, SIGN_IN_LOCK } from "../auth/sign-in";
import {
  accessRequests,
  auditEvents,
  emailLog,
  outbox,
  programs,
  proofingReviews,
  rateLimits,
  users,
} from "../db/schema";
import type { Deps } from "../deps";
import { MAX_OUTBOX_ATTEMPTS } from "../mail/outbox";

/**
 * The Administration dashboard's numbers (SPEC 2.8), all from one D1 batch:
 * what waits for someone (pending requests, proofing reviews), how sign-in is
 * going (the last 24 hours), who is locked out, and email that did not go.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const LOCK_PREFIX = "signin-fail:";

export interface Dashboard {
  pendingByProgram: { programName: string; n: number }[];
  pendingByAge: { underThreeDays: number; threeToSeven: number; sevenToThirty: number; total: number };
  signIns: { success: number; failure: number };
  locked: { accounts: number; signInLocks: number };
  failedEmail: { failed: number; unqueued: number };
  proofingReviewsWaiting: number;
}

export async function loadDashboard(deps: Pick<Deps, "db" | "now">): Promise<Dashboard> {
  const now = deps.now().getTime();
  const ago = (ms: number) => new Date(now - ms);
  const pending = eq(accessRequests.status, "pending");
  // Named columns: D1 returns rows by column name, and three buckets would share one.
  const ageBucket = (from: number, to: number, name: string) =>
    sql<number>`coalesce(sum(CASE WHEN ${accessRequests.createdAt} > ${now - to * DAY_MS} AND ${accessRequests.createdAt} <= ${now - from * DAY_MS} THEN 1 ELSE 0 END), 0)`.as(
      name,
    );
  const isAccountKey = sql`substr(${rateLimits.key}, -8) = ':account'`;
  const [byProgram, byAge, signIns, lockedUsers, signInLocks, failedLog, stuckOutbox, reviews] = await deps.db.batch([
    deps.db
      .select({ programName: programs.name, n: count() })
      .from(accessRequests)
      .innerJoin(programs, eq(programs.id, accessRequests.programId))
      .where(pending)
      .groupBy(programs.id)
      .orderBy(asc(programs.sortOrder), asc(programs.name)),
    deps.db
      .select({
        underThreeDays: ageBucket(0, 3, "under_three"),
        threeToSeven: ageBucket(3, 7, "three_to_seven"),
        sevenToThirty: ageBucket(7, 30, "seven_to_thirty"),
        total: sql<number>`count(*)`.as("total"),
      })
      .from(accessRequests)
      .where(pending),
    deps.db
      .select({
        success:
          sql<number>`coalesce(sum(CASE WHEN ${auditEvents.eventType} = 'signin.success' THEN 1 ELSE 0 END), 0)`.as(
            "success",
          ),
        failure:
          sql<number>`coalesce(sum(CASE WHEN ${auditEvents.eventType} = 'signin.failure' THEN 1 ELSE 0 END), 0)`.as(
            "failure",
          ),
      })
      .from(auditEvents)
      .where(
        and(
          gt(auditEvents.occurredAt, ago(DAY_MS)),
          inArray(auditEvents.eventType, ["signin.success", "signin.failure"]),
        ),
      ),
    deps.db
      .select({ n: count() })
      .from(users)
      .where(or(gt(users.mfaLockedUntil, new Date(now)), isNotNull(users.heldAt))),
    // Sign-in locks in force, one per User ID typed (known or not: the key is a keyed hash).
    deps.db
      .select({
        n: sql<number>`count(DISTINCT substr(${rateLimits.key}, 1, ${LOCK_PREFIX.length} + instr(substr(${rateLimits.key}, ${LOCK_PREFIX.length + 1}), ':')))`,
      })
      .from(rateLimits)
      .where(
        and(
          gte(rateLimits.key, LOCK_PREFIX),
          lt(rateLimits.key, `${LOCK_PREFIX}\u{10FFFF}`),
          or(
            and(
              sql`NOT ${isAccountKey}`,
              gte(rateLimits.count, SIGN_IN_LOCK.limit),
              gt(rateLimits.windowStartsAt, ago(SIGN_IN_LOCK.windowMs)),
            ),
            and(
              isAccountKey,
              gte(rateLimits.count, ACCOUNT_CEILING.limit),
              gt(rateLimits.windowStartsAt, ago(ACCOUNT_CEILING.windowMs)),
            ),
          ),
        ),
      ),
    deps.db.select({ n: count() }).from(emailLog).where(eq(emailLog.status, "failed")),
    deps.db
      .select({ n: count() })
      .from(outbox)
      .where(and(isNull(outbox.queuedAt), gte(outbox.attempts, MAX_OUTBOX_ATTEMPTS))),
    deps.db.select({ n: count() }).from(proofingReviews).where(eq(proofingReviews.status, "open")),
  ]);
  const age = byAge[0];
  return {
    pendingByProgram: byProgram.map((r) => ({ programName: r.programName, n: Number(r.n) })),
    pendingByAge: {
      underThreeDays: Number(age?.underThreeDays ?? 0),
      threeToSeven: Number(age?.threeToSeven ?? 0),
      sevenToThirty: Number(age?.sevenToThirty ?? 0),
      total: Number(age?.total ?? 0),
    },
    signIns: { success: Number(signIns[0]?.success ?? 0), failure: Number(signIns[0]?.failure ?? 0) },
    locked: { accounts: lockedUsers[0]?.n ?? 0, signInLocks: Number(signInLocks[0]?.n ?? 0) },
    failedEmail: { failed: failedLog[0]?.n ?? 0, unqueued: stuckOutbox[0]?.n ?? 0 },
    proofingReviewsWaiting: reviews[0]?.n ?? 0,
  };
}
