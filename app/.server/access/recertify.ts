import { and, eq, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { todayEastern } from "~/lib/format";
import type { Client } from "../client";
import { auditEvents, roles, userRoles } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result, refused } from "../result";
import { type Actor, can } from "./authorize";
import { type TargetSql, userReachesSql } from "./scope";

/**
 * Annual recertification (SPEC 2.6): every role granted through an access
 * request must be certified as still needed by someone who may decide for its
 * program at its organization (`can(actor, "role.recertify", …)`, the
 * "recertify" rule of scope.ts: a Security Official of that program at that
 * organization other than the holder, or a help-desk approver of the program;
 * a Security Official role not by an official whose own role its holder last
 * recertified, so two officials cannot keep each other's roles alive)
 * within a year of its grant or its last recertification; otherwise the cron
 * lapses it (`lapseUnrecertifiedRoles` in lifecycle.ts). Roles granted by
 * administrators (help desk, administration; no access request) are not
 * recertified this way.
 */

export const DAY_MS = 24 * 60 * 60 * 1000;
/** A role is due for recertification this long after its grant or its last recertification. */
export const RECERTIFICATION_PERIOD_MS = 365 * DAY_MS;
/** Approvers (and the holder) are reminded this many days before the due date. */
export const RECERTIFICATION_REMINDER_DAYS = [30, 7] as const;
/** A second recertification within this long is the same one (a double click, a retry). */
export const RECERTIFY_REPLAY_MS = 60 * 1000;
/** `user_roles.end_reason` of a role that lapsed. */
export const NOT_RECERTIFIED_REASON = "Not recertified";

/** Start of the current recertification cycle (ms): the last recertification, or the grant. */
export const recertificationBase = sql<number>`coalesce(${userRoles.recertifiedAt}, ${userRoles.grantedAt})`;
/** When the current cycle ends (ms). The period is written into the SQL: a bound JavaScript number would make it REAL. */
export const recertificationDueAt = sql<number>`(coalesce(${userRoles.recertifiedAt}, ${userRoles.grantedAt}) + ${sql.raw(String(RECERTIFICATION_PERIOD_MS))})`;
/**
 * The due instant as JavaScript's `toISOString()` writes it, computed by
 * SQLite so the keys a job looks for and the keys it writes come from one place.
 */
export const recertificationDueIso = sql<string>`(strftime('%Y-%m-%dT%H:%M:%S', ${recertificationDueAt} / 1000, 'unixepoch') || '.' || substr('00' || (${recertificationDueAt} % 1000), -3) || 'Z')`;

/** Roles subject to recertification: granted through an access request. */
export const recertifiable = isNotNull(userRoles.accessRequestId);

/**
 * Why a recertification did nothing (besides `refused`: `can()` said no; a
 * refusal outright becomes a 404 at the door, as for an unknown role):
 * - `not_found`: no such role (doors answer 404);
 * - `own_role`: nobody recertifies their own role;
 * - `needs_another_official`: a Security Official role whose holder last recertified the actor's own
 *   official role (checked again in the update): the help desk or another official must recertify it;
 * - `not_required`: granted by administrators, not through a request: not recertified;
 * - `not_active`: ended, revoked, lapsed, or past its due date (the cron lapses it at its next run).
 */
export type RecertifyRoleCode = "not_found" | "own_role" | "needs_another_official" | "not_required" | "not_active";

export interface Recertified {
  userRoleId: string;
  /** When the role was recertified (by this call, or by the one it repeats). */
  recertifiedAt: Date;
  /** The new due date of the next recertification. */
  dueAt: Date;
  /** True when this call repeated a recertification from the last minute and changed nothing. */
  replayed: boolean;
}

export type RecertifyRoleResult = Result<Recertified, RecertifyRoleCode>;

async function loadRole(deps: Pick<Deps, "db">, userRoleId: string) {
  return deps.db
    .select({
      id: userRoles.id,
      userId: userRoles.userId,
      organizationId: userRoles.organizationId,
      programId: userRoles.programId,
      accessRequestId: userRoles.accessRequestId,
      status: userRoles.status,
      base: recertificationBase,
      recertifiedAt: userRoles.recertifiedAt,
      roleCode: roles.code,
      securityOfficialRole: roles.isSecurityOfficial,
      administered: sql<number>`(${roles.isHelpDesk} OR ${roles.isAdmin})`,
    })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(eq(userRoles.id, userRoleId))
    .get();
}

/**
 * Certifies that a role is still needed, which starts a new year. One
 * conditional update decides (the role active, within its year, and not
 * recertified in the last minute), and the audit event `user_role.recertified`
 * is in the same batch, written only if that update happened: parallel or
 * repeated calls recertify once and record one event.
 */
export async function recertifyRole(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  actor: Actor,
  userRoleId: string,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<RecertifyRoleResult> {
  const role = await loadRole(deps, userRoleId);
  if (!role) return fail("not_found");
  if (role.userId === actor.userId) return fail("own_role");
  const now = deps.now();
  const decision = can(
    actor,
    "role.recertify",
    {
      ownerUserId: role.userId,
      organizationId: role.organizationId,
      programId: role.programId,
      administeredRole: Boolean(role.administered),
      securityOfficialRole: role.securityOfficialRole,
    },
    now,
  );
  if (!decision.ok) return refused(decision);
  if (!role.accessRequestId) return fail("not_required");

  const at = now.getTime();
  // The rule once more, over the grants as they are now (not as the session read them).
  const mayRecertify = userReachesSql("recertify", actor.userId, todayEastern(now), ROLE_TARGET);
  const [updated] = await deps.db.batch([
    deps.db
      .update(userRoles)
      .set({ recertifiedAt: now, recertifiedByUserId: actor.userId })
      .where(
        and(
          eq(userRoles.id, userRoleId),
          eq(userRoles.status, "active"),
          recertifiable,
          sql`${recertificationBase} > ${at - RECERTIFICATION_PERIOD_MS}`,
          or(isNull(userRoles.recertifiedAt), lte(userRoles.recertifiedAt, new Date(at - RECERTIFY_REPLAY_MS))),
          mayRecertify,
        ),
      )
      .returning({ id: userRoles.id }),
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${at}, 'user_role.recertified', 'success', ${actor.userId}, ur.user_id, ur.organization_id, ur.program_id, ${client.ip}, ${client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, ur.access_request_id, json_object('userRoleId', ur.id, 'role', ${role.roleCode}, 'previousDueAt', ${role.base + RECERTIFICATION_PERIOD_MS}, 'dueAt', ${at + RECERTIFICATION_PERIOD_MS})
            FROM ${userRoles} ur WHERE ur.id = ${userRoleId} AND ur.recertified_at = ${at} AND ur.recertified_by_user_id = ${actor.userId} AND changes() > 0`,
    ),
  ]);
  if (updated.length > 0) {
    return ok({ userRoleId, recertifiedAt: now, dueAt: new Date(at + RECERTIFICATION_PERIOD_MS), replayed: false });
  }

  // Nothing changed: a recertification from the last minute (answer as it did), or a role no longer active.
  const after = await loadRole(deps, userRoleId);
  if (
    after?.status === "active" &&
    after.recertifiedAt &&
    after.recertifiedAt.getTime() > at - RECERTIFY_REPLAY_MS &&
    after.base > at - RECERTIFICATION_PERIOD_MS
  ) {
    return ok({
      userRoleId,
      recertifiedAt: after.recertifiedAt,
      dueAt: new Date(after.recertifiedAt.getTime() + RECERTIFICATION_PERIOD_MS),
      replayed: true,
    });
  }
  if (after?.status === "active" && after.base > at - RECERTIFICATION_PERIOD_MS) {
    const check = await deps.db
      .select({ may: sql<number>`${mayRecertify}` })
      .from(userRoles)
      .where(eq(userRoles.id, userRoleId))
      .get();
    if (!check?.may) return fail("needs_another_official");
  }
  return fail("not_active");
}

/** The role being recertified (the row of the statement), as the scope rules see it. */
const ROLE_TARGET: TargetSql = {
  programId: userRoles.programId,
  organizationId: userRoles.organizationId,
  holderUserId: userRoles.userId,
  securityOfficialRole: sql`(SELECT ${roles.isSecurityOfficial} FROM ${roles} WHERE ${roles.id} = ${userRoles.roleId})`,
};
