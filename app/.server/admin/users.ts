import { type AnyColumn, and, asc, count, desc, eq, gt, gte, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { AdminUserIntent } from "~/lib/admin-users";
import { formatTime } from "~/lib/format";
import { type Actor, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { newEmailToken } from "../auth/email-tokens";
import { hashPassword } from "../auth/password";
import { reenrollmentLink } from "../auth/reenrollment";
import { ACCOUNT_CEILING, SIGN_IN_LOCK, signInLockPrefix } from "../auth/sign-in";
import { randomToken } from "../auth/tokens";
import type { Client } from "../client";
import {
  accessRequests,
  auditEvents,
  mfaDevices,
  oneTimeCodes,
  organizations,
  passwordCredentials,
  programs,
  rateLimits,
  recoveryCodes,
  roles,
  sessions,
  userRoles,
  users,
  webauthnChallenges,
} from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, outboxEmail, outboxInsert } from "../mail/outbox";
import { drainLogoutsAfterResponse } from "../oidc/backchannel";
import { fail, ok, type Result, refused } from "../result";

/**
 * Administration → Users (SPEC 2.8): find an account, see its state, and the
 * help desk's four actions on it. Who may is `can(actor, "admin.manage",
 * { ownerUserId })` (an administrator, a strong factor from the last 15
 * minutes, never their own account). Each action is one D1 batch: one
 * conditional update of the account, its audit event written only if that
 * update changed a row (`changes() > 0` right after it), the email (Reset MFA,
 * with its re-enrollment link; Unlock of a "This wasn't me" hold, with a link
 * to choose a new password) only if the change happened, then the clean-up
 * that is harmless to repeat. Ten
 * posts at once: one change, one event, one email; the others are told nothing
 * was left to do.
 */

const END_OF_KEYS = "\u{10FFFF}";

/** The new-password link after Unlock of a "This wasn't me" hold: a day, since the help desk's call may come late. */
const UNLOCK_RESET_TTL_MS = 24 * 60 * 60 * 1000;

/** The account's sign-in lock counters (every client, and the account ceiling). */
function lockKeyRange(deps: Pick<Deps, "env">, loginId: string): { from: string; to: string } {
  const from = signInLockPrefix(deps.env, loginId);
  return { from, to: `${from}${END_OF_KEYS}` };
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
const startsWith = (column: AnyColumn, value: string) => sql`${column} LIKE ${`${escapeLike(value)}%`} ESCAPE '\\'`;

export interface UserSearchRow {
  id: string;
  loginId: string;
  firstName: string;
  lastName: string;
  email: string;
  status: "active" | "disabled";
  held: boolean;
  lastSignInAt: Date | null;
}

/**
 * By User ID (exact), email (exact) or name (the start of the first or last
 * name; two words: first and last, in either order), 25 a page, by name.
 */
export async function searchUsers(
  deps: Pick<Deps, "db">,
  query: string,
  page: number,
  pageSize: number,
): Promise<{ rows: UserSearchRow[]; total: number; page: number; pageCount: number }> {
  const q = query.trim();
  if (!q) return { rows: [], total: 0, page: 1, pageCount: 0 };
  const words = q.split(/[\s,]+/).filter(Boolean);
  const byName =
    words.length >= 2
      ? or(
          and(startsWith(users.firstName, words[0]), startsWith(users.lastName, words[words.length - 1])),
          and(startsWith(users.lastName, words[0]), startsWith(users.firstName, words[words.length - 1])),
        )
      : or(startsWith(users.firstName, q), startsWith(users.lastName, q));
  const where = or(eq(users.loginId, q.toUpperCase()), eq(users.email, q.toLowerCase()), byName);
  const [totals, firstPage] = await deps.db.batch([
    deps.db.select({ n: count() }).from(users).where(where),
    deps.db
      .select({
        id: users.id,
        loginId: users.loginId,
        firstName: users.firstName,
        lastName: users.lastName,
        email: users.email,
        status: users.status,
        heldAt: users.heldAt,
        lastSignInAt: users.lastSignInAt,
      })
      .from(users)
      .where(where)
      .orderBy(asc(users.lastName), asc(users.firstName), asc(users.loginId))
      .limit(pageSize)
      .offset((Math.max(1, page) - 1) * pageSize),
  ]);
  const total = totals[0]?.n ?? 0;
  const pageCount = Math.ceil(total / pageSize);
  return {
    rows: firstPage.map(({ heldAt, ...r }) => ({ ...r, held: heldAt !== null })),
    total,
    page: Math.max(1, page),
    pageCount,
  };
}

export const RECENT_EVENTS = 20;

/** Everything the account page shows, in one round trip. Never a device secret. */
export async function loadUserDetail(deps: Pick<Deps, "db" | "env" | "now">, userId: string) {
  const [userRows, devices, roleRows, requests, events] = await deps.db.batch([
    deps.db
      .select({
        id: users.id,
        loginId: users.loginId,
        firstName: users.firstName,
        lastName: users.lastName,
        email: users.email,
        status: users.status,
        mfaFailures: users.mfaFailures,
        mfaLockedUntil: users.mfaLockedUntil,
        heldAt: users.heldAt,
        heldReason: users.heldReason,
        identityVerifiedAt: users.identityVerifiedAt,
        enrollmentCompletedAt: users.enrollmentCompletedAt,
        lastSignInAt: users.lastSignInAt,
        createdAt: users.createdAt,
      })
      .from(users)
      .where(eq(users.id, userId)),
    deps.db
      .select({
        id: mfaDevices.id,
        kind: mfaDevices.kind,
        name: mfaDevices.name,
        label: mfaDevices.credentialLabel,
        createdAt: mfaDevices.createdAt,
        confirmedAt: mfaDevices.confirmedAt,
        lastUsedAt: mfaDevices.lastUsedAt,
      })
      .from(mfaDevices)
      .where(eq(mfaDevices.userId, userId))
      .orderBy(asc(mfaDevices.createdAt)),
    deps.db
      .select({
        id: userRoles.id,
        // Named columns: D1 returns a batch's rows by column name, and all three are "name".
        roleName: sql<string>`${roles.name}`.as("role_name"),
        organizationName: sql<string | null>`${organizations.name}`.as("organization_name"),
        programName: sql<string | null>`${programs.name}`.as("program_name"),
        status: userRoles.status,
        startDate: userRoles.startDate,
        endDate: userRoles.endDate,
        grantedAt: userRoles.grantedAt,
        endedAt: userRoles.endedAt,
      })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .leftJoin(organizations, eq(organizations.id, userRoles.organizationId))
      .leftJoin(programs, eq(programs.id, userRoles.programId))
      .where(eq(userRoles.userId, userId))
      .orderBy(desc(userRoles.grantedAt)),
    deps.db
      .select({
        id: accessRequests.id,
        status: accessRequests.status,
        roleName: roles.name,
        createdAt: accessRequests.createdAt,
      })
      .from(accessRequests)
      .innerJoin(roles, eq(roles.id, accessRequests.roleId))
      .where(eq(accessRequests.userId, userId))
      .orderBy(desc(accessRequests.createdAt)),
    deps.db
      .select({
        id: auditEvents.id,
        occurredAt: auditEvents.occurredAt,
        eventType: auditEvents.eventType,
        outcome: auditEvents.outcome,
        actorUserId: auditEvents.actorUserId,
      })
      .from(auditEvents)
      .where(eq(auditEvents.subjectUserId, userId))
      .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
      .limit(RECENT_EVENTS),
  ]);
  const user = userRows[0];
  if (!user) return null;
  const range = lockKeyRange(deps, user.loginId);
  const counters = await deps.db
    .select({ key: rateLimits.key, count: rateLimits.count, at: rateLimits.windowStartsAt })
    .from(rateLimits)
    .where(and(gte(rateLimits.key, range.from), lt(rateLimits.key, range.to)));
  const now = deps.now().getTime();
  // A counter at its limit locks from its last attempt (see `claimAttempt`).
  const signInLockedUntil = counters
    .map((c) => {
      const rule = c.key.endsWith(":account") ? ACCOUNT_CEILING : SIGN_IN_LOCK;
      const until = c.at.getTime() + rule.windowMs;
      return c.count >= rule.limit && until > now ? until : 0;
    })
    .reduce((a, b) => Math.max(a, b), 0);
  const mfaLocked = user.mfaLockedUntil !== null && user.mfaLockedUntil.getTime() > now;
  return {
    user,
    devices,
    roles: roleRows,
    requests,
    events,
    lock: {
      signInLockedUntil: signInLockedUntil ? new Date(signInLockedUntil) : null,
      mfaLockedUntil: mfaLocked ? user.mfaLockedUntil : null,
      held: user.heldAt !== null,
      /** Anything Unlock would clear (a failure count or a counter short of its limit too). */
      anything: counters.length > 0 || mfaLocked || user.heldAt !== null || user.mfaFailures > 0,
    },
  };
}

/**
 * What an action on an account did: done (the account's name, for the notice), or nothing: `refused`
 * (`can()` said no; a refusal outright is the 404 of an unknown account), `not_found`, or `unchanged`
 * (nothing to do: not locked, no factor to reset, already deactivated or active).
 */
export type AdminUserOutcome = Result<{ intent: AdminUserIntent; name: string }, "not_found" | "unchanged">;

/**
 * One of the four actions on someone else's account (`intent`), with the
 * administrator's reason. Not found and not allowed outright look alike (404) to the door.
 */
export async function administerUser(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId" | "enqueue" | "enqueueLogout" | "waitUntil" | "afterResponse">,
  actor: Actor,
  userId: string,
  input: { intent: AdminUserIntent; reason: string },
  client: Pick<Client, "ip" | "userAgent">,
): Promise<AdminUserOutcome> {
  const decision = can(actor, "admin.manage", { ownerUserId: userId }, deps.now());
  if (!decision.ok) return refused(decision);
  const user = await deps.db.select().from(users).where(eq(users.id, userId)).get();
  if (!user) return fail("not_found");

  const now = deps.now();
  const name = `${user.firstName} ${user.lastName}`;
  const range = lockKeyRange(deps, user.loginId);
  const audit = (eventType: string, details: Record<string, unknown> = {}) =>
    auditInsert(
      deps,
      {
        eventType,
        outcome: "success",
        actorUserId: actor.userId,
        subjectUserId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { loginId: user.loginId, ...(input.reason ? { reason: input.reason } : {}), ...details },
      },
      // Only when the update just before it changed the account.
      sql`changes() > 0`,
    );
  const clearLockCounters = deps.db
    .delete(rateLimits)
    .where(and(gte(rateLimits.key, range.from), lt(rateLimits.key, range.to)));
  const unlocked = { mfaFailures: 0, mfaLockedUntil: null, heldAt: null, heldReason: null, updatedAt: now } as const;
  const hasLockCounter = sql`EXISTS (SELECT 1 FROM ${rateLimits} WHERE ${rateLimits.key} >= ${range.from} AND ${rateLimits.key} < ${range.to})`;
  const ofUser = eq(users.id, user.id);

  let changed: { id: string }[] = [];
  switch (input.intent) {
    case "unlock": {
      // Locked in any way Unlock clears: a sign-in lock counter, the MFA lock, the hold, failed codes.
      const locked = or(
        hasLockCounter,
        gt(users.mfaLockedUntil, now),
        isNotNull(users.heldAt),
        gt(users.mfaFailures, 0),
      );
      if (user.heldReason !== "reported_not_me") {
        // Never a "This wasn't me" hold placed since the account was read: that one replaces the password.
        const notReported = or(isNull(users.heldReason), ne(users.heldReason, "reported_not_me"));
        [changed] = await deps.db.batch([
          deps.db
            .update(users)
            .set(unlocked)
            .where(and(ofUser, locked, notReported))
            .returning({ id: users.id }),
          audit("account.unlocked"),
          clearLockCounters,
        ]);
        break;
      }
      // Held after "This wasn't me": the held password is the attacker's. In the same batch, only
      // while that hold is still there, the password is replaced by one nobody knows, and the
      // owner is emailed a link to choose a new one (with their MFA device), never the old one back.
      const unusable = await hashPassword(randomToken());
      const heldNotMe = sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${user.id} AND ${users.heldReason} = 'reported_not_me')`;
      const replaced = sql`EXISTS (SELECT 1 FROM ${passwordCredentials} WHERE ${passwordCredentials.userId} = ${user.id} AND ${passwordCredentials.hash} = ${unusable})`;
      const reset = newEmailToken(deps, user.id, "password_reset", { onlyIf: replaced, ttlMs: UNLOCK_RESET_TTL_MS });
      const email = await outboxEmail(deps, {
        template: "account_unlocked_new_password",
        to: user.email,
        data: {
          firstName: user.firstName,
          when: formatTime(now),
          resetUrl: `${deps.env.PUBLIC_ORIGIN}/reset-password?token=${reset.token}`,
        },
      });
      [, changed] = await deps.db.batch([
        deps.db
          .update(passwordCredentials)
          .set({ hash: unusable, isTemporary: false, expiresAt: null, changedAt: now })
          .where(and(eq(passwordCredentials.userId, user.id), heldNotMe)),
        deps.db.update(users).set(unlocked).where(and(ofUser, locked)).returning({ id: users.id }),
        audit("account.unlocked", { passwordReplaced: true }),
        reset.insert,
        outboxInsert(deps, email, replaced),
        clearLockCounters,
      ]);
      if (changed.length > 0) await drainAfterWrite(deps, [email]);
      break;
    }
    case "reset-mfa": {
      const hasFactor = or(
        sql`EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.userId} = ${user.id})`,
        sql`EXISTS (SELECT 1 FROM ${recoveryCodes} WHERE ${recoveryCodes.userId} = ${user.id})`,
      );
      const resetHere = sql`EXISTS (SELECT 1 FROM ${auditEvents} WHERE ${auditEvents.eventType} = 'mfa.reset_by_help_desk' AND ${auditEvents.traceId} = ${deps.traceId} AND ${auditEvents.subjectUserId} = ${user.id})`;
      // The password alone never binds the new device: the email carries a single-use
      // re-enrollment link (24 hours) to the address on file, stored only if the reset happens.
      const link = await reenrollmentLink(
        deps,
        user,
        {
          template: "mfa_reset_by_help_desk",
          data: { firstName: user.firstName, loginId: user.loginId, when: formatTime(now) },
        },
        resetHere,
      );
      const email = link.email;
      // Identity stays verified; enrollment reopens at "Register an MFA Device" (then recovery codes).
      [changed] = await deps.db.batch([
        deps.db
          .update(users)
          .set({ ...unlocked, enrollmentCompletedAt: null })
          .where(and(ofUser, hasFactor))
          .returning({ id: users.id }),
        audit("mfa.reset_by_help_desk"),
        link.insert,
        outboxInsert(deps, email, resetHere),
        deps.db.delete(mfaDevices).where(eq(mfaDevices.userId, user.id)),
        deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
        deps.db.delete(oneTimeCodes).where(eq(oneTimeCodes.userId, user.id)),
        deps.db.delete(webauthnChallenges).where(eq(webauthnChallenges.userId, user.id)),
        deps.db.delete(sessions).where(eq(sessions.userId, user.id)),
        clearLockCounters,
      ]);
      if (changed.length > 0) await drainAfterWrite(deps, [email]);
      // Sessions ended (whichever post ended them): the applications they signed in to are told.
      await drainLogoutsAfterResponse(deps);
      break;
    }
    case "deactivate":
      [changed] = await deps.db.batch([
        deps.db
          .update(users)
          .set({ status: "disabled", updatedAt: now })
          .where(and(ofUser, eq(users.status, "active")))
          .returning({ id: users.id }),
        audit("account.deactivated"),
        deps.db.delete(sessions).where(eq(sessions.userId, user.id)),
      ]);
      await drainLogoutsAfterResponse(deps);
      break;
    case "reactivate":
      [changed] = await deps.db.batch([
        deps.db
          .update(users)
          .set({ status: "active", updatedAt: now })
          .where(and(ofUser, eq(users.status, "disabled")))
          .returning({ id: users.id }),
        audit("account.reactivated"),
      ]);
      break;
  }
  return changed.length > 0 ? ok({ intent: input.intent, name }) : fail("unchanged");
}
