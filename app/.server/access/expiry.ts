import { and, eq, inArray, isNotNull, lt } from "drizzle-orm";
import { todayEastern } from "~/lib/format";
import { auditInsert } from "../audit/record";
import { accessRequests, organizations, programs, rateLimits, roles, sessions, userRoles, users } from "../db/schema";
import type { Deps } from "../deps";
import { sendThroughOutbox } from "../mail/outbox";

/** SPEC 2.6: pending requests expire after 30 days. */
export const PENDING_REQUEST_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Keeps one cron run well inside a Worker invocation's limits; the next run takes the rest. */
const BATCH_LIMIT = 200;

/**
 * Marks pending role requests older than 30 days as expired, records each in the
 * audit log and tells the requester by email.
 */
export async function expirePendingRequests(deps: Deps): Promise<number> {
  const cutoff = new Date(deps.now().getTime() - PENDING_REQUEST_TTL_MS);
  const stale = await deps.db
    .select({
      id: accessRequests.id,
      userId: accessRequests.userId,
      email: users.email,
      firstName: users.firstName,
      roleName: roles.name,
      orgName: organizations.name,
      programName: programs.name,
      organizationId: accessRequests.organizationId,
      programId: accessRequests.programId,
    })
    .from(accessRequests)
    .innerJoin(users, eq(users.id, accessRequests.userId))
    .innerJoin(roles, eq(roles.id, accessRequests.roleId))
    .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
    .innerJoin(programs, eq(programs.id, accessRequests.programId))
    .where(and(eq(accessRequests.status, "pending"), lt(accessRequests.createdAt, cutoff)))
    .limit(BATCH_LIMIT);
  if (stale.length === 0) return 0;

  const now = deps.now();
  // The status guard makes this safe against an approver deciding at the same moment.
  const expired = await deps.db
    .update(accessRequests)
    .set({ status: "expired", decidedAt: now, decisionReason: "Expired after 30 days without a decision" })
    .where(
      and(
        inArray(
          accessRequests.id,
          stale.map((r) => r.id),
        ),
        eq(accessRequests.status, "pending"),
      ),
    )
    .returning({ id: accessRequests.id });
  const expiredIds = new Set(expired.map((r) => r.id));

  for (const r of stale.filter((s) => expiredIds.has(s.id))) {
    await auditInsert(deps, {
      eventType: "access_request.expired",
      outcome: "info",
      subjectUserId: r.userId,
      organizationId: r.organizationId,
      programId: r.programId,
      accessRequestId: r.id,
    });
    await sendThroughOutbox(deps, {
      template: "request_expired",
      to: r.email,
      idempotencyKey: `request_expired:${r.id}`,
      data: {
        firstName: r.firstName,
        requestId: r.id,
        roleName: r.roleName,
        organizationName: r.orgName,
        programName: r.programName,
      },
    });
  }
  return expiredIds.size;
}

/** Ends granted roles whose end date has passed (the role lasts through its end date). */
export async function expireEndedRoles(deps: Deps): Promise<number> {
  const today = todayEastern(deps.now());
  const ended = await deps.db
    .update(userRoles)
    .set({ status: "expired" })
    .where(and(eq(userRoles.status, "active"), isNotNull(userRoles.endDate), lt(userRoles.endDate, today)))
    .returning({
      id: userRoles.id,
      userId: userRoles.userId,
      roleId: userRoles.roleId,
      organizationId: userRoles.organizationId,
      programId: userRoles.programId,
      endDate: userRoles.endDate,
    });
  if (ended.length === 0) return 0;

  const people = await deps.db
    .select({ id: users.id, email: users.email, firstName: users.firstName })
    .from(users)
    .where(inArray(users.id, [...new Set(ended.map((e) => e.userId))]));
  const roleNames = await deps.db
    .select({ id: roles.id, name: roles.name })
    .from(roles)
    .where(inArray(roles.id, [...new Set(ended.map((e) => e.roleId))]));
  for (const e of ended) {
    const person = people.find((p) => p.id === e.userId);
    await auditInsert(deps, {
      eventType: "user_role.expired",
      outcome: "info",
      subjectUserId: e.userId,
      organizationId: e.organizationId,
      programId: e.programId,
      details: { userRoleId: e.id, endDate: e.endDate },
    });
    if (person) {
      await sendThroughOutbox(deps, {
        template: "role_expired",
        to: person.email,
        idempotencyKey: `role_expired:${e.id}`,
        data: {
          firstName: person.firstName,
          roleName: roleNames.find((r) => r.id === e.roleId)?.name ?? "A role",
          endDate: e.endDate ?? "",
        },
      });
    }
  }
  return ended.length;
}

/** Housekeeping: sessions past their absolute limit and stale throttling windows. */
export async function purgeExpiredRecords(deps: Deps): Promise<void> {
  const now = deps.now();
  await deps.db.batch([
    deps.db.delete(sessions).where(lt(sessions.expiresAt, now)),
    deps.db.delete(rateLimits).where(lt(rateLimits.windowStartsAt, new Date(now.getTime() - 24 * 60 * 60 * 1000))),
  ]);
}
