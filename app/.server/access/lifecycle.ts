import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { alias } from "drizzle-orm/sqlite-core";
import { formatTime, todayEastern } from "~/lib/format";
import {
  accessRequests,
  auditEvents,
  mfaDevices,
  organizations,
  outbox,
  programs,
  rateLimits,
  roles,
  sessions,
  userRoles,
  users,
} from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, type OutboxEntry, outboxEmail, outboxInsert } from "../mail/outbox";
import { roleInForce } from "./authorize";
import {
  DAY_MS,
  NOT_RECERTIFIED_REASON,
  RECERTIFICATION_PERIOD_MS,
  RECERTIFICATION_REMINDER_DAYS,
  recertifiable,
  recertificationBase,
  recertificationDueAt,
  recertificationDueIso,
} from "./recertify";
import { grantReachesSql, TABLE_GRANT, type TargetSql } from "./scope";

/**
 * The lifecycle of requests and roles (SPEC 2.6), run by the cron every five
 * minutes (worker/scheduled.ts):
 *
 * - pending requests: the approver is reminded after 3 and 7 days; the request
 *   expires after 30 days and the requester is told;
 * - roles with an end date: the holder is told 14 days and 1 day before; the
 *   role ends after its end date (Eastern days) and the holder is told;
 * - recertification (recertify.ts): the approvers and the holder are reminded
 *   30 and 7 days before the due date; at the due date the role lapses;
 * - inactivity: warnings after 50, 55 and 59 days without a sign-in; after 60
 *   days every active role is revoked.
 *
 * Every job is idempotent. Emails carry deterministic outbox keys, and a job
 * selects only what has no email yet (the outbox keeps queued rows for 400
 * days as that record). A state change is one conditional update; its audit
 * event is written in the same batch only if the update changed the row
 * (`changes() > 0` right after it), and its email only if the row carries the
 * change's marker (status, time). A second run at the same clock therefore
 * changes nothing and writes nothing. Each job takes at most JOB_LIMIT rows a
 * run, oldest first; the next run (five minutes later) takes the rest.
 */

export { DAY_MS } from "./recertify";

/** SPEC 2.6: pending requests expire after 30 days. */
export const PENDING_REQUEST_TTL_MS = 30 * DAY_MS;
/** Reminders to the approver: after 3 days (until the 7th) and after 7 days (until expiry). */
export const REQUEST_REMINDER_DAYS = [3, 7] as const;
/** Notices to the holder: 14 days before the end date (down to 2 days before), and 1 day before (or on the day). */
export const ROLE_ENDING_NOTICE_DAYS = [14, 1] as const;
/** Days without a sign-in after which every role is revoked. */
export const INACTIVITY_LIMIT_DAYS = 60;
/** Warnings before that (each from its day until the next). */
export const INACTIVITY_WARNING_DAYS = [50, 55, 59] as const;

export const END_DATE_REACHED_REASON = "End date reached";
export const INACTIVE_REASON = `Inactive for ${INACTIVITY_LIMIT_DAYS} days`;

/** Keeps one cron run well inside a Worker invocation's limits; the next run takes the rest. */
export const JOB_LIMIT = 200;
/** Rows whose statements share one D1 batch (one round trip; each row's statements are never split). */
const ROWS_PER_BATCH = 25;
/** D1 binds at most 100 parameters per statement. */
const IDS_PER_QUERY = 50;
/** When the chosen approver may no longer decide, at most this many other approvers are reminded. */
export const MAX_FALLBACK_APPROVERS = 10;

type Statement = BatchItem<"sqlite">;

/** One row's change: its statements (state change first, when there is one) and the emails they write. */
interface RowChange {
  statements: Statement[];
  emails: OutboxEntry[];
}

/** Runs the rows' statements, a few rows per D1 batch; returns each row's statements' results. */
async function commit(deps: Deps, changes: RowChange[]): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (let i = 0; i < changes.length; i += ROWS_PER_BATCH) {
    const chunk = changes.slice(i, i + ROWS_PER_BATCH).filter((c) => c.statements.length > 0);
    if (chunk.length === 0) continue;
    const results: unknown[] = await deps.db.batch(chunk.flatMap((c) => c.statements) as [Statement, ...Statement[]]);
    let at = 0;
    for (const c of chunk) {
      out.push(results.slice(at, at + c.statements.length));
      at += c.statements.length;
    }
    // Emails go out with each batch; whatever this cannot queue, the cron's final drain does.
    const emails = chunk.flatMap((c) => c.emails);
    for (let k = 0; k < emails.length; k += 50) await drainAfterWrite(deps, emails.slice(k, k + 50));
  }
  return out;
}

const returned = (result: unknown) => (Array.isArray(result) ? result.length : 0);
/** Rows whose state change (the first statement, with RETURNING) changed something. */
const changedRows = (results: unknown[][]) => results.filter((r) => returned(r[0]) > 0).length;
/** Emails written by statements with RETURNING (the reminder jobs). */
const writtenEmails = (results: unknown[][]) => results.flat().reduce<number>((n, r) => n + returned(r), 0);

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An ISO day plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(isoDay: string, days: number): string {
  const [y, m, d] = isoDay.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Whole days from one ISO day to another. */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** An ISO day as people read it, e.g. "Dec 6, 2026". */
export function formatDay(isoDay: string): string {
  return new Date(`${isoDay}T12:00:00Z`).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const endsIn = (days: number) => (days <= 0 ? "today" : days === 1 ? "tomorrow" : `in ${days} days`);

/** Approvers must hold a strong device: a decision needs a fresh strong factor (the request form's rule). */
const HOLDS_STRONG_DEVICE = sql`EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.userId} = ${users.id} AND ${mfaDevices.kind} IN ('totp', 'webauthn') AND ${mfaDevices.confirmedAt} IS NOT NULL)`;

/** `users` joined through `user_roles`/`roles` is someone who may decide today. */
function mayDecide(today: string) {
  return and(roleInForce(today), eq(users.status, "active"), isNull(users.heldAt), HOLDS_STRONG_DEVICE);
}

interface Person {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** Each key's people, once each, in the order the query gave them. */
function byKey<T extends Person & { key: string }>(rows: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const list = map.get(row.key) ?? [];
    if (!list.some((p) => p.userId === row.userId)) list.push(row);
    map.set(row.key, list);
  }
  return map;
}

/* ------------------------------------------------------------------------ */
/* Pending requests                                                          */
/* ------------------------------------------------------------------------ */

const requester = alias(users, "requester");

function pendingRequestColumns() {
  return {
    id: accessRequests.id,
    userId: accessRequests.userId,
    email: requester.email,
    firstName: requester.firstName,
    lastName: requester.lastName,
    roleName: roles.name,
    organizationName: organizations.name,
    programName: programs.name,
    organizationId: accessRequests.organizationId,
    programId: accessRequests.programId,
    approverUserId: accessRequests.approverUserId,
    createdAt: accessRequests.createdAt,
  };
}

function pendingRequests(deps: Deps, where: SQL | undefined, limit: number) {
  return deps.db
    .select(pendingRequestColumns())
    .from(accessRequests)
    .innerJoin(requester, eq(requester.id, accessRequests.userId))
    .innerJoin(roles, eq(roles.id, accessRequests.roleId))
    .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
    .innerJoin(programs, eq(programs.id, accessRequests.programId))
    .where(and(eq(accessRequests.status, "pending"), where))
    .orderBy(asc(accessRequests.createdAt), asc(accessRequests.id))
    .limit(limit);
}

/**
 * The people who may decide each request today, as the request form chose
 * them (the "request_approver" rule of scope.ts): the Security Officials of its
 * program at its organization (other than the requester), or the program's help
 * desk for a first Security Official.
 */
async function requestDeciders(deps: Deps, requestIds: string[]) {
  const today = todayEastern(deps.now());
  const rows: (Person & { key: string })[] = [];
  for (const ids of chunks(requestIds, IDS_PER_QUERY)) {
    rows.push(
      ...(await deps.db
        .selectDistinct({
          key: accessRequests.id,
          userId: users.id,
          email: users.email,
          firstName: users.firstName,
          lastName: users.lastName,
        })
        .from(accessRequests)
        .innerJoin(
          userRoles,
          or(
            eq(userRoles.organizationId, accessRequests.organizationId),
            isNull(userRoles.programId),
            eq(userRoles.programId, accessRequests.programId),
          ),
        )
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .innerJoin(users, eq(users.id, userRoles.userId))
        .where(
          and(
            inArray(accessRequests.id, ids),
            mayDecide(today),
            ne(users.id, accessRequests.userId),
            grantReachesSql("request_approver", TABLE_GRANT, {
              programId: accessRequests.programId,
              organizationId: accessRequests.organizationId,
              firstSecurityOfficial: sql`${accessRequests.approverKind} = 'help_desk'`,
            }),
          ),
        )
        .orderBy(asc(users.lastName), asc(users.firstName), asc(users.id))),
    );
  }
  return byKey(rows);
}

/**
 * Reminds approvers of requests still pending after 3 days (until the 7th)
 * and after 7 days (until expiry). The reminder goes to the approver the
 * requester chose while that person may still decide; otherwise to the other
 * people who may (at most MAX_FALLBACK_APPROVERS, by name). Keys:
 * `request_reminder:<3|7>:<Request ID>:<approver's user id>`; a request with
 * any key of a stage is not reminded again at that stage.
 */
export async function remindPendingRequests(deps: Deps): Promise<number> {
  const now = deps.now().getTime();
  const stages = REQUEST_REMINDER_DAYS.map((days, i) => ({
    days,
    untilMs: (REQUEST_REMINDER_DAYS[i + 1] ?? PENDING_REQUEST_TTL_MS / DAY_MS) * DAY_MS,
  }));
  let written = 0;
  for (const stage of stages) {
    const prefix = sql`${`request_reminder:${stage.days}:`} || ${accessRequests.id}`;
    const due = await pendingRequests(
      deps,
      and(
        lte(accessRequests.createdAt, new Date(now - stage.days * DAY_MS)),
        gt(accessRequests.createdAt, new Date(now - stage.untilMs)),
        sql`NOT EXISTS (SELECT 1 FROM ${outbox} WHERE ${outbox.idempotencyKey} >= ${prefix} || ':' AND ${outbox.idempotencyKey} < ${prefix} || ';')`,
      ),
      JOB_LIMIT,
    );
    if (due.length === 0) continue;
    const deciders = await requestDeciders(
      deps,
      due.map((r) => r.id),
    );
    const changes: RowChange[] = [];
    for (const r of due) {
      const people = deciders.get(r.id) ?? [];
      const chosen = people.filter((p) => p.userId === r.approverUserId);
      const recipients = chosen.length > 0 ? chosen : people.slice(0, MAX_FALLBACK_APPROVERS);
      const stillPending = sql`EXISTS (SELECT 1 FROM ${accessRequests} WHERE ${accessRequests.id} = ${r.id} AND ${accessRequests.status} = 'pending')`;
      const emails: OutboxEntry[] = [];
      for (const p of recipients) {
        emails.push(
          await outboxEmail(deps, {
            template: "access_request_reminder",
            to: p.email,
            idempotencyKey: `request_reminder:${stage.days}:${r.id}:${p.userId}`,
            data: {
              firstName: p.firstName,
              requesterName: `${r.firstName} ${r.lastName}`,
              requestId: r.id,
              roleName: r.roleName,
              organizationName: r.organizationName,
              programName: r.programName,
              daysWaiting: plural(Math.floor((now - r.createdAt.getTime()) / DAY_MS), "day"),
              expiresOn: formatTime(r.createdAt.getTime() + PENDING_REQUEST_TTL_MS),
            },
          }),
        );
      }
      changes.push({
        statements: emails.map((e) => outboxInsert(deps, e, stillPending).returning({ id: outbox.id })),
        emails,
      });
    }
    written += writtenEmails(await commit(deps, changes));
  }
  return written;
}

/**
 * Expires requests pending for 30 days: the request, its audit event and the
 * requester's email (`request_expired:<Request ID>`) in one batch.
 */
export async function expirePendingRequests(deps: Deps): Promise<number> {
  const now = deps.now();
  const at = now.getTime();
  const cutoff = new Date(at - PENDING_REQUEST_TTL_MS);
  const stale = await pendingRequests(deps, lte(accessRequests.createdAt, cutoff), JOB_LIMIT);
  if (stale.length === 0) return 0;

  const changes: RowChange[] = [];
  for (const r of stale) {
    const email = await outboxEmail(deps, {
      template: "request_expired",
      to: r.email,
      idempotencyKey: `request_expired:${r.id}`,
      data: {
        firstName: r.firstName,
        requestId: r.id,
        roleName: r.roleName,
        organizationName: r.organizationName,
        programName: r.programName,
      },
    });
    const expiredNow = sql`EXISTS (SELECT 1 FROM ${accessRequests} WHERE ${accessRequests.id} = ${r.id} AND ${accessRequests.status} = 'expired' AND ${accessRequests.decidedAt} = ${at})`;
    changes.push({
      statements: [
        // The status guard makes this safe against an approver deciding at the same moment.
        deps.db
          .update(accessRequests)
          .set({ status: "expired", decidedAt: now, decisionReason: "Expired after 30 days without a decision" })
          .where(
            and(
              eq(accessRequests.id, r.id),
              eq(accessRequests.status, "pending"),
              lte(accessRequests.createdAt, cutoff),
            ),
          )
          .returning({ id: accessRequests.id }),
        deps.db.insert(auditEvents).select(
          sql`SELECT NULL, ${at}, 'access_request.expired', 'info', NULL, r.user_id, r.organization_id, r.program_id, NULL, NULL, ${deps.traceId}, r.id, '{}'
                FROM ${accessRequests} r WHERE r.id = ${r.id} AND r.status = 'expired' AND r.decided_at = ${at} AND changes() > 0`,
        ),
        outboxInsert(deps, email, expiredNow),
      ],
      emails: [email],
    });
  }
  return changedRows(await commit(deps, changes));
}

/* ------------------------------------------------------------------------ */
/* Roles                                                                     */
/* ------------------------------------------------------------------------ */

const holder = alias(users, "holder");

function heldRoleColumns() {
  return {
    id: userRoles.id,
    userId: userRoles.userId,
    email: holder.email,
    firstName: holder.firstName,
    lastName: holder.lastName,
    loginId: holder.loginId,
    roleCode: roles.code,
    roleName: roles.name,
    organizationId: userRoles.organizationId,
    programId: userRoles.programId,
    organizationName: sql<string>`coalesce(${organizations.name}, '')`,
    programName: sql<string>`coalesce(${programs.name}, '')`,
    accessRequestId: userRoles.accessRequestId,
    endDate: userRoles.endDate,
  };
}

/** Active roles with their holder, oldest first by `order`, at most JOB_LIMIT. */
function heldRoles<T extends Record<string, SQL.Aliased | SQL>>(
  deps: Deps,
  extra: T,
  where: SQL | undefined,
  order: SQL,
) {
  return deps.db
    .select({ ...heldRoleColumns(), ...extra })
    .from(userRoles)
    .innerJoin(holder, eq(holder.id, userRoles.userId))
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .leftJoin(organizations, eq(organizations.id, userRoles.organizationId))
    .leftJoin(programs, eq(programs.id, userRoles.programId))
    .where(and(eq(userRoles.status, "active"), where))
    .orderBy(order, asc(userRoles.id))
    .limit(JOB_LIMIT);
}

/**
 * Tells holders that a role ends soon: 14 days before its end date (while 2 to
 * 14 days remain) and 1 day before (or on the day, if the cron missed the day
 * before). Keys: `role_ending:<14|1>:<user role id>:<end date>`, so a changed
 * end date is announced again.
 */
export async function sendRoleEndingNotices(deps: Deps): Promise<number> {
  const today = todayEastern(deps.now());
  const stages = ROLE_ENDING_NOTICE_DAYS.map((days, i) => ({
    days,
    // 14 days: from 14 down to 2 days left; 1 day: 1 day left, or the last day itself.
    latest: addDays(today, days),
    earliest: addDays(today, (ROLE_ENDING_NOTICE_DAYS[i + 1] ?? -1) + 1),
  }));
  let written = 0;
  for (const stage of stages) {
    const key = sql<string>`${`role_ending:${stage.days}:`} || ${userRoles.id} || ':' || ${userRoles.endDate}`;
    const rows = await heldRoles(
      deps,
      { key },
      and(
        isNotNull(userRoles.endDate),
        sql`${userRoles.endDate} >= ${stage.earliest}`,
        sql`${userRoles.endDate} <= ${stage.latest}`,
        sql`NOT EXISTS (SELECT 1 FROM ${outbox} WHERE ${outbox.idempotencyKey} = ${key})`,
      ),
      asc(userRoles.endDate),
    );
    const changes: RowChange[] = [];
    for (const r of rows) {
      const endDate = r.endDate!;
      const email = await outboxEmail(deps, {
        template: "role_ending_soon",
        to: r.email,
        idempotencyKey: r.key,
        data: {
          firstName: r.firstName,
          roleName: r.roleName,
          organizationName: r.organizationName,
          programName: r.programName,
          endDate: formatDay(endDate),
          endsIn: endsIn(daysBetween(today, endDate)),
        },
      });
      const unchanged = sql`EXISTS (SELECT 1 FROM ${userRoles} WHERE ${userRoles.id} = ${r.id} AND ${userRoles.status} = 'active' AND ${userRoles.endDate} = ${endDate})`;
      changes.push({
        statements: [outboxInsert(deps, email, unchanged).returning({ id: outbox.id })],
        emails: [email],
      });
    }
    written += writtenEmails(await commit(deps, changes));
  }
  return written;
}

/**
 * Ends roles whose end date has passed (a role lasts through its end date, in
 * Eastern days): status 'expired', ended_at and end_reason, the audit event
 * `user_role.expired` and the holder's email (`role_expired:<user role id>`).
 */
export async function expireEndedRoles(deps: Deps): Promise<number> {
  const now = deps.now();
  const at = now.getTime();
  const today = todayEastern(now);
  const ended = await heldRoles(
    deps,
    {},
    and(isNotNull(userRoles.endDate), lt(userRoles.endDate, today)),
    asc(userRoles.endDate),
  );
  const changes: RowChange[] = [];
  for (const r of ended) {
    const email = await outboxEmail(deps, {
      template: "role_expired",
      to: r.email,
      idempotencyKey: `role_expired:${r.id}`,
      data: { firstName: r.firstName, roleName: r.roleName, endDate: formatDay(r.endDate!) },
    });
    changes.push({
      statements: [
        deps.db
          .update(userRoles)
          .set({ status: "expired", endedAt: now, endReason: END_DATE_REACHED_REASON })
          .where(and(eq(userRoles.id, r.id), eq(userRoles.status, "active"), lt(userRoles.endDate, today)))
          .returning({ id: userRoles.id }),
        deps.db.insert(auditEvents).select(
          sql`SELECT NULL, ${at}, 'user_role.expired', 'info', NULL, ur.user_id, ur.organization_id, ur.program_id, NULL, NULL, ${deps.traceId}, ur.access_request_id, json_object('userRoleId', ur.id, 'role', ${r.roleCode}, 'endDate', ur.end_date)
                FROM ${userRoles} ur WHERE ur.id = ${r.id} AND ur.status = 'expired' AND ur.ended_at = ${at} AND changes() > 0`,
        ),
        outboxInsert(deps, email, endedNow(r.id, at, END_DATE_REACHED_REASON)),
      ],
      emails: [email],
    });
  }
  return changedRows(await commit(deps, changes));
}

/** The marker of a role this run ended: its status, time and reason. */
function endedNow(userRoleId: string, at: number, reason: string) {
  return sql`EXISTS (SELECT 1 FROM ${userRoles} WHERE ${userRoles.id} = ${userRoleId} AND ${userRoles.status} <> 'active' AND ${userRoles.endedAt} = ${at} AND ${userRoles.endReason} = ${reason})`;
}

/* ------------------------------------------------------------------------ */
/* Recertification                                                           */
/* ------------------------------------------------------------------------ */

const deciderGrant = alias(userRoles, "decider_grant");
/** The role to recertify, as the scope rules see it. */
const recertified: TargetSql = {
  programId: deciderGrant.programId,
  organizationId: deciderGrant.organizationId,
  holderUserId: deciderGrant.userId,
  securityOfficialRole: sql`(SELECT r.is_security_official FROM ${roles} r WHERE r.id = ${deciderGrant.roleId})`,
};

/**
 * Who is asked to recertify each role: the Security Officials of its program at
 * its organization other than the holder (and, for a Security Official role,
 * not one whose own role the holder last recertified), or, when there is none,
 * the help-desk approvers of its program. All of them may (the "recertify" rule
 * of scope.ts, `can(actor, "role.recertify", …)`); asking the help desk only
 * when no official can keeps their inbox to what needs them.
 */
async function recertificationDeciders(deps: Deps, userRoleIds: string[]) {
  const today = todayEastern(deps.now());
  const rows: (Person & { key: string; asSecurityOfficial: number })[] = [];
  for (const ids of chunks(userRoleIds, IDS_PER_QUERY)) {
    rows.push(
      ...(await deps.db
        .selectDistinct({
          key: deciderGrant.id,
          userId: users.id,
          email: users.email,
          firstName: users.firstName,
          lastName: users.lastName,
          asSecurityOfficial: sql<number>`${grantReachesSql("official", TABLE_GRANT, recertified)}`,
        })
        .from(deciderGrant)
        .innerJoin(
          userRoles,
          or(
            eq(userRoles.organizationId, deciderGrant.organizationId),
            isNull(userRoles.programId),
            eq(userRoles.programId, deciderGrant.programId),
          ),
        )
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .innerJoin(users, eq(users.id, userRoles.userId))
        .where(
          and(
            inArray(deciderGrant.id, ids),
            mayDecide(today),
            ne(users.id, deciderGrant.userId),
            grantReachesSql("recertify", TABLE_GRANT, recertified),
          ),
        )
        .orderBy(asc(users.lastName), asc(users.firstName), asc(users.id))),
    );
  }
  const byRole = new Map<string, Person[]>();
  for (const [key, people] of byKey(rows)) {
    const officials = byKey(rows.filter((p) => p.key === key && p.asSecurityOfficial)).get(key) ?? [];
    byRole.set(key, officials.length > 0 ? officials : people);
  }
  return byRole;
}

/**
 * Reminds approvers and the holder that a role must be recertified: 30 days
 * before the due date (until 7 days before) and 7 days before (until the due
 * date). Roles whose end date comes first are left to end. Keys:
 * `recert_notice:<30|7>:<user role id>:<due ISO>` for the holder (the stage's
 * marker) and `recert_reminder:<30|7>:<user role id>:<due ISO>:<approver id>`;
 * a recertification moves the due date, so the next year is reminded anew.
 */
export async function remindRecertifications(deps: Deps): Promise<number> {
  const now = deps.now().getTime();
  const stages = RECERTIFICATION_REMINDER_DAYS.map((days, i) => ({
    days,
    untilDays: RECERTIFICATION_REMINDER_DAYS[i + 1] ?? 0,
  }));
  let written = 0;
  for (const stage of stages) {
    const noticeKey = sql<string>`${`recert_notice:${stage.days}:`} || ${userRoles.id} || ':' || ${recertificationDueIso}`;
    const rows = await heldRoles(
      deps,
      { base: recertificationBase, dueAt: recertificationDueAt, dueIso: recertificationDueIso, noticeKey },
      and(
        recertifiable,
        sql`${recertificationDueAt} <= ${now + stage.days * DAY_MS}`,
        sql`${recertificationDueAt} > ${now + stage.untilDays * DAY_MS}`,
        // A role that ends before it is due is not worth recertifying.
        sql`(${userRoles.endDate} IS NULL OR ${userRoles.endDate} >= date(${recertificationDueAt} / 1000, 'unixepoch'))`,
        sql`NOT EXISTS (SELECT 1 FROM ${outbox} WHERE ${outbox.idempotencyKey} = ${noticeKey})`,
      ),
      asc(recertificationBase),
    );
    if (rows.length === 0) continue;
    const deciders = await recertificationDeciders(
      deps,
      rows.map((r) => r.id),
    );
    const changes: RowChange[] = [];
    for (const r of rows) {
      const dueDate = formatTime(r.dueAt);
      const daysLeft = plural(Math.ceil((r.dueAt - now) / DAY_MS), "day");
      const common = {
        roleName: r.roleName,
        organizationName: r.organizationName,
        programName: r.programName,
        dueDate,
        daysLeft,
      };
      const emails = [
        await outboxEmail(deps, {
          template: "role_recertification_notice",
          to: r.email,
          idempotencyKey: r.noticeKey,
          data: { ...common, firstName: r.firstName },
        }),
      ];
      for (const p of deciders.get(r.id) ?? []) {
        emails.push(
          await outboxEmail(deps, {
            template: "role_recertification_due",
            to: p.email,
            idempotencyKey: `recert_reminder:${stage.days}:${r.id}:${r.dueIso}:${p.userId}`,
            data: {
              ...common,
              firstName: p.firstName,
              holderName: `${r.firstName} ${r.lastName}`,
              holderLoginId: r.loginId,
              requestId: r.accessRequestId ?? "",
            },
          }),
        );
      }
      // Only while the role is active and in the same year (not recertified meanwhile).
      const sameCycle = sql`EXISTS (SELECT 1 FROM ${userRoles} WHERE ${userRoles.id} = ${r.id} AND ${userRoles.status} = 'active' AND ${recertificationBase} = ${r.base})`;
      changes.push({
        statements: emails.map((e) => outboxInsert(deps, e, sameCycle).returning({ id: outbox.id })),
        emails,
      });
    }
    written += writtenEmails(await commit(deps, changes));
  }
  return written;
}

/**
 * Lapses roles not recertified by their due date: status 'expired', end_reason
 * 'Not recertified', the audit event `user_role.lapsed` and the holder's email
 * (`role_not_recertified:<user role id>:<due ISO>`).
 */
export async function lapseUnrecertifiedRoles(deps: Deps): Promise<number> {
  const now = deps.now();
  const at = now.getTime();
  const overdue = sql`${recertificationBase} <= ${at - RECERTIFICATION_PERIOD_MS}`;
  const rows = await heldRoles(
    deps,
    { dueAt: recertificationDueAt, dueIso: recertificationDueIso },
    and(recertifiable, overdue),
    asc(recertificationBase),
  );
  const changes: RowChange[] = [];
  for (const r of rows) {
    const email = await outboxEmail(deps, {
      template: "role_not_recertified",
      to: r.email,
      idempotencyKey: `role_not_recertified:${r.id}:${r.dueIso}`,
      data: {
        firstName: r.firstName,
        roleName: r.roleName,
        organizationName: r.organizationName,
        programName: r.programName,
        dueDate: formatTime(r.dueAt),
      },
    });
    changes.push({
      statements: [
        deps.db
          .update(userRoles)
          .set({ status: "expired", endedAt: now, endReason: NOT_RECERTIFIED_REASON })
          .where(and(eq(userRoles.id, r.id), eq(userRoles.status, "active"), recertifiable, overdue))
          .returning({ id: userRoles.id }),
        deps.db.insert(auditEvents).select(
          sql`SELECT NULL, ${at}, 'user_role.lapsed', 'info', NULL, ur.user_id, ur.organization_id, ur.program_id, NULL, NULL, ${deps.traceId}, ur.access_request_id, json_object('userRoleId', ur.id, 'role', ${r.roleCode}, 'reason', ${NOT_RECERTIFIED_REASON}, 'dueAt', ${r.dueAt})
                FROM ${userRoles} ur WHERE ur.id = ${r.id} AND ur.status = 'expired' AND ur.ended_at = ${at} AND changes() > 0`,
        ),
        outboxInsert(deps, email, endedNow(r.id, at, NOT_RECERTIFIED_REASON)),
      ],
      emails: [email],
    });
  }
  return changedRows(await commit(deps, changes));
}

/* ------------------------------------------------------------------------ */
/* Inactivity                                                                */
/* ------------------------------------------------------------------------ */

/** The start of the current inactivity cycle (ms): the last sign-in, or the account's creation. */
const lastSignIn = sql<number>`coalesce(${users.lastSignInAt}, ${users.createdAt})`;

/** The user holds a role that is active and not past its end date (in force, or starting later). */
function holdsRole(today: string) {
  return sql`EXISTS (SELECT 1 FROM ${userRoles} g WHERE g.user_id = ${users.id} AND g.status = 'active' AND (g.end_date IS NULL OR g.end_date >= ${today}))`;
}

/**
 * Warns users who hold a role and have not signed in for 50, 55 and 59 days
 * (each from its day until the next). Keys:
 * `inactivity_warning:<50|55|59>:<user id>:<last sign-in ms>`, so a sign-in
 * starts a new cycle.
 */
export async function warnInactiveUsers(deps: Deps): Promise<number> {
  const now = deps.now().getTime();
  const today = todayEastern(deps.now());
  const stages = INACTIVITY_WARNING_DAYS.map((days, i) => ({
    days,
    untilDays: INACTIVITY_WARNING_DAYS[i + 1] ?? INACTIVITY_LIMIT_DAYS,
  }));
  let written = 0;
  for (const stage of stages) {
    const key = sql<string>`${`inactivity_warning:${stage.days}:`} || ${users.id} || ':' || ${lastSignIn}`;
    const rows = await deps.db
      .select({
        id: users.id,
        email: users.email,
        firstName: users.firstName,
        loginId: users.loginId,
        lastSignIn,
        key,
      })
      .from(users)
      .where(
        and(
          eq(users.status, "active"),
          sql`${lastSignIn} <= ${now - stage.days * DAY_MS}`,
          sql`${lastSignIn} > ${now - stage.untilDays * DAY_MS}`,
          holdsRole(today),
          sql`NOT EXISTS (SELECT 1 FROM ${outbox} WHERE ${outbox.idempotencyKey} = ${key})`,
        ),
      )
      .orderBy(asc(lastSignIn), asc(users.id))
      .limit(JOB_LIMIT);
    const changes: RowChange[] = [];
    for (const u of rows) {
      const removalAt = u.lastSignIn + INACTIVITY_LIMIT_DAYS * DAY_MS;
      const email = await outboxEmail(deps, {
        template: "inactivity_warning",
        to: u.email,
        idempotencyKey: u.key,
        data: {
          firstName: u.firstName,
          loginId: u.loginId,
          daysInactive: String(stage.days),
          removalDate: formatTime(removalAt),
          daysLeft: plural(Math.max(1, Math.ceil((removalAt - now) / DAY_MS)), "day"),
        },
      });
      const notSignedIn = sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${u.id} AND ${lastSignIn} = ${u.lastSignIn})`;
      changes.push({
        statements: [outboxInsert(deps, email, notSignedIn).returning({ id: outbox.id })],
        emails: [email],
      });
    }
    written += writtenEmails(await commit(deps, changes));
  }
  return written;
}

/**
 * Revokes every active role of users who have not signed in for 60 days:
 * status 'revoked', ended_at, end_reason 'Inactive for 60 days', one audit
 * event `user_role.revoked_inactive` per role and one email listing them
 * (`inactivity_roles_removed:<user id>:<last sign-in ms>`).
 */
export async function revokeInactiveUsersRoles(deps: Deps): Promise<number> {
  const now = deps.now();
  const at = now.getTime();
  const rows = await deps.db
    .select({
      id: users.id,
      email: users.email,
      firstName: users.firstName,
      loginId: users.loginId,
      lastSignIn,
      roleList: sql<string>`(SELECT group_concat(r.name || coalesce(' at ' || o.name, ''), '; ') FROM ${userRoles} g JOIN ${roles} r ON r.id = g.role_id LEFT JOIN ${organizations} o ON o.id = g.organization_id WHERE g.user_id = users.id AND g.status = 'active')`,
    })
    .from(users)
    .where(
      and(
        sql`${lastSignIn} <= ${at - INACTIVITY_LIMIT_DAYS * DAY_MS}`,
        sql`EXISTS (SELECT 1 FROM ${userRoles} g WHERE g.user_id = ${users.id} AND g.status = 'active')`,
      ),
    )
    .orderBy(asc(lastSignIn), asc(users.id))
    .limit(JOB_LIMIT);
  const changes: RowChange[] = [];
  for (const u of rows) {
    const email = await outboxEmail(deps, {
      template: "inactivity_roles_removed",
      to: u.email,
      idempotencyKey: `inactivity_roles_removed:${u.id}:${u.lastSignIn}`,
      data: {
        firstName: u.firstName,
        loginId: u.loginId,
        roles: u.roleList ?? "",
        lastSignIn: formatTime(u.lastSignIn),
      },
    });
    const revokedNow = sql`EXISTS (SELECT 1 FROM ${userRoles} WHERE ${userRoles.userId} = ${u.id} AND ${userRoles.status} = 'revoked' AND ${userRoles.endedAt} = ${at} AND ${userRoles.endReason} = ${INACTIVE_REASON})`;
    changes.push({
      statements: [
        deps.db
          .update(userRoles)
          .set({ status: "revoked", endedAt: now, endReason: INACTIVE_REASON })
          .where(
            and(
              eq(userRoles.userId, u.id),
              eq(userRoles.status, "active"),
              // A sign-in since the selection keeps the roles.
              sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${u.id} AND ${lastSignIn} = ${u.lastSignIn})`,
            ),
          )
          .returning({ id: userRoles.id }),
        deps.db.insert(auditEvents).select(
          sql`SELECT NULL, ${at}, 'user_role.revoked_inactive', 'info', NULL, ur.user_id, ur.organization_id, ur.program_id, NULL, NULL, ${deps.traceId}, ur.access_request_id, json_object('userRoleId', ur.id, 'role', (SELECT code FROM ${roles} WHERE id = ur.role_id), 'lastSignInAt', ${u.lastSignIn})
                FROM ${userRoles} ur WHERE ur.user_id = ${u.id} AND ur.status = 'revoked' AND ur.ended_at = ${at} AND ur.end_reason = ${INACTIVE_REASON} AND changes() > 0`,
        ),
        outboxInsert(deps, email, revokedNow),
      ],
      emails: [email],
    });
  }
  return changedRows(await commit(deps, changes));
}

/* ------------------------------------------------------------------------ */
/* Housekeeping                                                              */
/* ------------------------------------------------------------------------ */

/** Housekeeping: sessions past their absolute limit and stale throttling windows. */
export async function purgeExpiredRecords(deps: Deps): Promise<void> {
  const now = deps.now();
  await deps.db.batch([
    deps.db.delete(sessions).where(lt(sessions.expiresAt, now)),
    deps.db.delete(rateLimits).where(lt(rateLimits.windowStartsAt, new Date(now.getTime() - 24 * 60 * 60 * 1000))),
  ]);
}
