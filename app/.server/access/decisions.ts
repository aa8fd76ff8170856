import { and, count, desc, eq, inArray, ne, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { formatDateUS } from "~/lib/access-request";
import { REJECTION_REASONS, type RejectInput, type RevokeInput } from "~/lib/decisions";
import { todayEastern } from "~/lib/format";
import type { Client } from "../client";
import { accessRequests, auditEvents, organizations, programs, roles, userRoles, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, outboxEmail, outboxInsert } from "../mail/outbox";
import { fail, ok, type Result, refused } from "../result";
import { type Actor, can, mayEver, type Resource, roleInForce } from "./authorize";
import { grantsReachSql, type TargetSql, userReachesSql } from "./scope";

/**
 * Deciding access requests and revoking roles (SPEC 2.6). Who may is
 * `can(actor, "request.decide" | "role.revoke", resource)`; the decision
 * itself is one conditional update on the pending state, and the grant, the
 * audit event and the emails are in the same D1 batch, each written only if
 * that update happened. Two approvers at once: one decision, the other is told
 * who decided and when.
 */

/** How many pending requests one page of the queue shows. */
export const QUEUE_PAGE_SIZE = 25;

/** A pending request as the scope rules see it (app/.server/access/scope.ts). */
const REQUEST_TARGET: TargetSql = {
  programId: accessRequests.programId,
  organizationId: accessRequests.organizationId,
  firstSecurityOfficial: sql`${accessRequests.approverKind} = 'help_desk'`,
};

/**
 * The SQL form of `can(actor, "request.decide", …)` for the queue: the "request"
 * rule of scope.ts over the actor's roles (a Security Official's requests of
 * their program at their organization, except the first Security Official's,
 * which the help desk decides; every request of the programs the actor is help
 * desk for). Never the actor's own. `can()` still checks every row the queue
 * shows and every decision.
 */
function decidableBy(actor: Actor): SQL | undefined {
  if (!approvesRequests(actor)) return undefined;
  return and(
    eq(accessRequests.status, "pending"),
    ne(accessRequests.userId, actor.userId),
    grantsReachSql("request", actor.roles, REQUEST_TARGET),
  );
}

export interface QueueFilters {
  organizationId?: number;
  programId?: number;
  page?: number;
}

export interface PendingRequest {
  id: string;
  requesterName: string;
  requesterLoginId: string;
  requesterEmail: string;
  requesterLastSignInAt: Date | null;
  organizationName: string;
  roleName: string;
  programName: string;
  startDate: string | null;
  endDate: string | null;
  comments: string;
  createdAt: Date;
}

function resourceOf(row: {
  userId: string;
  organizationId: number;
  programId: number;
  approverKind: "security_official" | "help_desk";
}): Resource {
  return {
    ownerUserId: row.userId,
    organizationId: row.organizationId,
    programId: row.programId,
    firstSecurityOfficial: row.approverKind === "help_desk",
  };
}

/** Whether the actor approves anything at all (the queue and its menu count exist for them). */
export function approvesRequests(actor: Pick<Actor, "roles">): boolean {
  return actor.roles.some(
    (r) => r.isHelpDesk || (r.isSecurityOfficial && r.programId != null && r.organizationId != null),
  );
}

/**
 * The number in the top menu's "Role Requests", as one statement for the
 * session's batch (app/.server/auth/session.ts): {@link decidableBy} written
 * over the user's roles in force `today` instead of an Actor already read, so
 * the count costs no round trip of its own. The decisions tests check that it
 * equals the queue's total.
 */
export function countPendingStatement(deps: Pick<Deps, "db">, userId: SQL, today: string) {
  return deps.db
    .select({ n: count() })
    .from(accessRequests)
    .where(
      and(
        eq(accessRequests.status, "pending"),
        sql`${accessRequests.userId} <> ${userId}`,
        userReachesSql("request", userId, today, REQUEST_TARGET),
      ),
    );
}

/**
 * "Pending Requests": newest first, with the filters' choices (the
 * organizations and programs that have requests waiting for this actor), in
 * one D1 round trip.
 */
export async function loadPendingQueue(deps: Pick<Deps, "db" | "now">, actor: Actor, filters: QueueFilters) {
  const scope = decidableBy(actor);
  if (!scope) return { rows: [], total: 0, organizations: [], programs: [] };
  const where = and(
    scope,
    filters.organizationId ? eq(accessRequests.organizationId, filters.organizationId) : undefined,
    filters.programId ? eq(accessRequests.programId, filters.programId) : undefined,
  );
  const page = Math.max(1, filters.page ?? 1);
  const [rows, totals, orgChoices, programChoices] = await deps.db.batch([
    deps.db
      .select({
        id: sql<string>`${accessRequests.id}`.as("request_id"),
        userId: accessRequests.userId,
        organizationId: accessRequests.organizationId,
        programId: accessRequests.programId,
        approverKind: accessRequests.approverKind,
        firstName: users.firstName,
        lastName: users.lastName,
        loginId: users.loginId,
        email: users.email,
        lastSignInAt: users.lastSignInAt,
        organizationName: sql<string>`${organizations.name}`.as("organization_name"),
        roleName: sql<string>`${roles.name}`.as("role_name"),
        programName: sql<string>`${programs.name}`.as("program_name"),
        startDate: accessRequests.startDate,
        endDate: accessRequests.endDate,
        comments: accessRequests.comments,
        createdAt: sql<number>`${accessRequests.createdAt}`.as("submitted_at"),
      })
      .from(accessRequests)
      .innerJoin(users, eq(users.id, accessRequests.userId))
      .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
      .innerJoin(roles, eq(roles.id, accessRequests.roleId))
      .innerJoin(programs, eq(programs.id, accessRequests.programId))
      .where(where)
      .orderBy(desc(accessRequests.createdAt), desc(accessRequests.id))
      .limit(QUEUE_PAGE_SIZE)
      .offset((page - 1) * QUEUE_PAGE_SIZE),
    deps.db.select({ n: count() }).from(accessRequests).where(where),
    deps.db
      .selectDistinct({ id: organizations.id, name: organizations.name })
      .from(accessRequests)
      .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
      .where(scope)
      .orderBy(organizations.name)
      .limit(200),
    deps.db
      .selectDistinct({ id: programs.id, name: programs.name })
      .from(accessRequests)
      .innerJoin(programs, eq(programs.id, accessRequests.programId))
      .where(scope)
      .orderBy(programs.name),
  ]);
  const now = deps.now();
  const visible = rows.filter((r) => can(actor, "request.read", resourceOf(r), now).ok);
  return {
    rows: visible.map(
      (r): PendingRequest => ({
        id: r.id,
        requesterName: `${r.firstName} ${r.lastName}`,
        requesterLoginId: r.loginId,
        requesterEmail: r.email,
        requesterLastSignInAt: r.lastSignInAt,
        organizationName: r.organizationName,
        roleName: r.roleName,
        programName: r.programName,
        startDate: r.startDate,
        endDate: r.endDate,
        comments: r.comments,
        createdAt: new Date(r.createdAt),
      }),
    ),
    total: totals[0]?.n ?? 0,
    organizations: orgChoices,
    programs: programChoices,
  };
}

const deciders = alias(users, "decider");
const chosen = alias(users, "chosen");
const eventActors = alias(users, "event_actor");

export interface RequestHistoryEntry {
  at: Date;
  eventType: string;
  actorName: string | null;
  details: Record<string, unknown>;
}

/** A request with everything an approver needs: its facts for `can()`, the requester, the decision and its history. */
export async function loadRequestForDecision(deps: Pick<Deps, "db">, id: string) {
  const [rows, history, grants] = await deps.db.batch([
    deps.db
      .select({
        id: sql<string>`${accessRequests.id}`.as("request_id"),
        userId: accessRequests.userId,
        organizationId: accessRequests.organizationId,
        programId: accessRequests.programId,
        roleId: accessRequests.roleId,
        approverKind: accessRequests.approverKind,
        status: accessRequests.status,
        startDate: accessRequests.startDate,
        endDate: accessRequests.endDate,
        comments: accessRequests.comments,
        additionalInfo: accessRequests.additionalInfo,
        createdAt: sql<number>`${accessRequests.createdAt}`.as("submitted_at"),
        decidedAt: accessRequests.decidedAt,
        decisionReason: accessRequests.decisionReason,
        decisionReasonCode: accessRequests.decisionReasonCode,
        deciderFirst: sql<string | null>`${deciders.firstName}`.as("decider_first"),
        deciderLast: sql<string | null>`${deciders.lastName}`.as("decider_last"),
        chosenFirst: sql<string | null>`${chosen.firstName}`.as("chosen_first"),
        chosenLast: sql<string | null>`${chosen.lastName}`.as("chosen_last"),
        firstName: users.firstName,
        lastName: users.lastName,
        loginId: users.loginId,
        email: users.email,
        lastSignInAt: users.lastSignInAt,
        organizationName: sql<string>`${organizations.name}`.as("organization_name"),
        roleName: sql<string>`${roles.name}`.as("role_name"),
        programName: sql<string>`${programs.name}`.as("program_name"),
        securityOfficialRole: roles.isSecurityOfficial,
      })
      .from(accessRequests)
      .innerJoin(users, eq(users.id, accessRequests.userId))
      .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
      .innerJoin(roles, eq(roles.id, accessRequests.roleId))
      .innerJoin(programs, eq(programs.id, accessRequests.programId))
      .leftJoin(deciders, eq(deciders.id, accessRequests.decidedByUserId))
      .leftJoin(chosen, eq(chosen.id, accessRequests.approverUserId))
      .where(eq(accessRequests.id, id))
      .limit(1),
    deps.db
      .select({
        at: auditEvents.occurredAt,
        eventType: auditEvents.eventType,
        actorFirst: eventActors.firstName,
        actorLast: eventActors.lastName,
        detailsJson: auditEvents.detailsJson,
      })
      .from(auditEvents)
      .leftJoin(eventActors, eq(eventActors.id, auditEvents.actorUserId))
      .where(eq(auditEvents.accessRequestId, id))
      .orderBy(auditEvents.occurredAt, auditEvents.id)
      .limit(100),
    deps.db
      .select({
        id: userRoles.id,
        status: userRoles.status,
        grantedAt: userRoles.grantedAt,
        recertifiedAt: userRoles.recertifiedAt,
        endedAt: userRoles.endedAt,
        endReason: userRoles.endReason,
      })
      .from(userRoles)
      .where(eq(userRoles.accessRequestId, id))
      .limit(1),
  ]);
  const r = rows[0];
  if (!r) return null;
  return {
    // The role the request is for (and, once approved, grants): its recertification has the official-role rule.
    resource: { ...resourceOf(r), securityOfficialRole: r.securityOfficialRole },
    request: {
      ...r,
      createdAt: new Date(r.createdAt),
      requesterName: `${r.firstName} ${r.lastName}`,
      deciderName: r.deciderFirst ? `${r.deciderFirst} ${r.deciderLast}` : null,
      approverName: r.chosenFirst
        ? `${r.chosenFirst} ${r.chosenLast}`
        : r.approverKind === "help_desk"
          ? "Help desk"
          : "Security Official",
    },
    /** The role an approval granted, if any. */
    grant: grants[0] ?? null,
    history: history.map(
      (h): RequestHistoryEntry => ({
        at: h.at,
        eventType: h.eventType,
        actorName: h.actorFirst ? `${h.actorFirst} ${h.actorLast}` : null,
        details: safeJson(h.detailsJson),
      }),
    ),
  };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

export type DecisionInput = { intent: "approve" } | RejectInput;

/**
 * Why a decision did nothing (besides `refused`: `can()` said no, so the door steps up, waits out a restriction,
 * or answers 404 as for an unknown id):
 * - `not_found`: no such request;
 * - `cannot_approve`: the organization or the requester is no longer active (a rejection is still possible);
 *   `detail.reason` is `organization_inactive` or `requester_inactive`;
 * - `already_decided`: someone (or the expiry job) got there first; `detail` has `status`, `by` (a name or
 *   null) and `at` (a Date or null).
 */
export type DecisionCode = "not_found" | "cannot_approve" | "already_decided";

export type DecisionResult = Result<{ status: "approved" | "rejected" }, DecisionCode>;

/** The facts of a `cannot_approve` failure. */
export type CannotApproveReason = "organization_inactive" | "requester_inactive";

/**
 * Approves or rejects a pending request. Anyone `can()` refuses gets the refusal
 * (the door answers a refusal outright with the 404 of an unknown id). One batch: the conditional update on the
 * pending state, then — each only if that update happened in this batch —
 * the audit event, the role (approval), and the requester's email.
 */
export async function decideAccessRequest(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId" | "enqueue">,
  actor: Actor,
  id: string,
  input: DecisionInput,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<DecisionResult> {
  const found = await loadRequestForDecision(deps, id);
  if (!found) return fail("not_found");
  const decision = can(actor, "request.decide", found.resource, deps.now());
  if (!decision.ok) return refused(decision);
  const r = found.request;
  if (r.status !== "pending") return alreadyDecided(deps, id);

  const now = deps.now();
  const approve = input.intent === "approve";
  const status = approve ? ("approved" as const) : ("rejected" as const);
  const reasonCode = approve ? null : input.reasonCode;
  const reasonText = approve ? null : (input.details ?? "");
  const approverName = await nameOf(deps, actor.userId);
  const common = {
    firstName: r.firstName,
    requestId: r.id,
    roleName: r.roleName,
    organizationName: r.organizationName,
    programName: r.programName,
    approverName,
  };
  const email = approve
    ? await outboxEmail(deps, {
        template: "access_request_approved",
        to: r.email,
        idempotencyKey: `access_request_decided:${r.id}`,
        data: { ...common, endDate: formatDateUS(r.endDate) },
      })
    : await outboxEmail(deps, {
        template: "access_request_rejected",
        to: r.email,
        idempotencyKey: `access_request_decided:${r.id}`,
        data: { ...common, reason: REJECTION_REASONS[input.reasonCode], details: reasonText ?? "" },
      });

  // This batch's own audit event (its trace id) marks that this batch made the decision.
  const eventType = `access_request.${status}`;
  const decidedHere = sql`EXISTS (SELECT 1 FROM ${auditEvents} WHERE ${auditEvents.accessRequestId} = ${id} AND ${auditEvents.eventType} = ${eventType} AND ${auditEvents.traceId} = ${deps.traceId})`;
  const userRoleId = `ur_${id}`;
  const [updated] = await deps.db.batch([
    deps.db
      .update(accessRequests)
      .set({
        status,
        decidedByUserId: actor.userId,
        decidedAt: now,
        decisionReasonCode: reasonCode,
        decisionReason: reasonText,
      })
      .where(
        and(
          eq(accessRequests.id, id),
          eq(accessRequests.status, "pending"),
          // An approval grants a role: only while the organization and the requester are still active.
          approve ? stillGrantable : undefined,
        ),
      )
      .returning({ id: accessRequests.id }),
    // changes() is the update just above: 0 when another approver (or the requester, or the expiry job) got there first.
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${now.getTime()}, ${eventType}, 'success', ${actor.userId}, r.user_id, r.organization_id, r.program_id, ${client.ip}, ${client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, r.id, ${JSON.stringify(approve ? {} : { reasonCode })}
          FROM ${accessRequests} r WHERE r.id = ${id} AND r.status = ${status} AND r.decided_by_user_id = ${actor.userId} AND changes() > 0`,
    ),
    ...(approve
      ? [
          deps.db.insert(userRoles).select(
            sql`SELECT ${userRoleId}, r.user_id, r.role_id, r.program_id, r.organization_id, r.id, r.start_date, r.end_date, 'active', ${now.getTime()}, NULL, NULL, NULL, ${now.getTime()}, ${actor.userId}
                FROM ${accessRequests} r WHERE r.id = ${id} AND ${decidedHere}`,
          ),
        ]
      : []),
    outboxInsert(deps, email, decidedHere),
  ]);
  if (updated.length === 0) return approve ? whyNotApproved(deps, id) : alreadyDecided(deps, id);
  await drainAfterWrite(deps, [email]);
  return ok({ status });
}

/** The organization and the requester of the request being updated are both still active. */
const stillGrantable = and(
  sql`EXISTS (SELECT 1 FROM ${organizations} WHERE ${organizations.id} = ${accessRequests.organizationId} AND ${organizations.status} = 'Active')`,
  sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${accessRequests.userId} AND ${users.status} = 'active')`,
);

/** An approval that changed nothing: decided meanwhile, or still pending but no longer grantable. */
async function whyNotApproved(deps: Pick<Deps, "db">, id: string): Promise<DecisionResult> {
  const row = await deps.db
    .select({ status: accessRequests.status, organization: organizations.status, requester: users.status })
    .from(accessRequests)
    .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
    .innerJoin(users, eq(users.id, accessRequests.userId))
    .where(eq(accessRequests.id, id))
    .get();
  if (row?.status !== "pending") return alreadyDecided(deps, id);
  const reason: CannotApproveReason = row.organization !== "Active" ? "organization_inactive" : "requester_inactive";
  return fail("cannot_approve", { detail: { reason } });
}

async function nameOf(deps: Pick<Deps, "db">, userId: string): Promise<string> {
  const row = await deps.db
    .select({ firstName: users.firstName, lastName: users.lastName })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  return row ? `${row.firstName} ${row.lastName}` : "An approver";
}

async function alreadyDecided(deps: Pick<Deps, "db">, id: string): Promise<DecisionResult> {
  const row = await deps.db
    .select({
      status: accessRequests.status,
      at: accessRequests.decidedAt,
      firstName: deciders.firstName,
      lastName: deciders.lastName,
    })
    .from(accessRequests)
    .leftJoin(deciders, eq(deciders.id, accessRequests.decidedByUserId))
    .where(eq(accessRequests.id, id))
    .get();
  return fail("already_decided", {
    detail: {
      status: row?.status ?? "decided",
      by: row?.firstName ? `${row.firstName} ${row.lastName}` : null,
      at: row?.at ?? null,
    },
  });
}

export interface RosterEntry {
  userRoleId: string;
  userId: string;
  name: string;
  loginId: string;
  email: string;
  lastSignInAt: Date | null;
  roleName: string;
  programName: string | null;
  startDate: string | null;
  endDate: string | null;
  recertifiedAt: Date | null;
  grantedAt: Date;
  mayRevoke: boolean;
  /** Granted through a request, so recertified yearly. */
  recertifiable: boolean;
  /** Recertifiable, and the actor may recertify it. */
  mayRecertify: boolean;
}

export interface RosterOrganization {
  id: number;
  name: string;
  entries: RosterEntry[];
}

/**
 * Security Official tools: for each organization the actor is a Security
 * Official of, the users holding roles there (in force today) for the
 * programs the actor is its official for (the "official" rule of scope.ts).
 * One query.
 */
export async function loadOrganizationRoster(
  deps: Pick<Deps, "db" | "now">,
  actor: Actor,
): Promise<RosterOrganization[]> {
  const orgIds = [
    ...new Set(
      actor.roles
        .filter((r) => r.isSecurityOfficial && r.programId != null && r.organizationId != null)
        .map((r) => r.organizationId!),
    ),
  ];
  if (orgIds.length === 0) return [];
  const now = deps.now();
  const rows = await deps.db
    .select({
      userRoleId: sql<string>`${userRoles.id}`.as("user_role_id"),
      userId: userRoles.userId,
      organizationId: userRoles.organizationId,
      programId: userRoles.programId,
      organizationName: sql<string>`${organizations.name}`.as("organization_name"),
      firstName: users.firstName,
      lastName: users.lastName,
      loginId: users.loginId,
      email: users.email,
      lastSignInAt: users.lastSignInAt,
      roleName: sql<string>`${roles.name}`.as("role_name"),
      programName: sql<string | null>`${programs.name}`.as("program_name"),
      administered: sql<number>`(${roles.isHelpDesk} OR ${roles.isAdmin})`.as("administered"),
      securityOfficialRole: roles.isSecurityOfficial,
      startDate: userRoles.startDate,
      endDate: userRoles.endDate,
      recertifiedAt: userRoles.recertifiedAt,
      grantedAt: userRoles.grantedAt,
      accessRequestId: userRoles.accessRequestId,
    })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .innerJoin(organizations, eq(organizations.id, userRoles.organizationId))
    .leftJoin(programs, eq(programs.id, userRoles.programId))
    .where(
      and(
        inArray(userRoles.organizationId, orgIds),
        grantsReachSql("official", actor.roles, {
          programId: userRoles.programId,
          organizationId: userRoles.organizationId,
        }),
        roleInForce(todayEastern(now)),
      ),
    )
    .orderBy(organizations.name, users.lastName, users.firstName, roles.name)
    .limit(2000);
  const byOrg = new Map<number, RosterOrganization>();
  for (const id of orgIds) byOrg.set(id, { id, name: "", entries: [] });
  for (const r of rows) {
    const org = byOrg.get(r.organizationId!)!;
    org.name = r.organizationName;
    const resource = {
      ownerUserId: r.userId,
      organizationId: r.organizationId,
      programId: r.programId,
      administeredRole: Boolean(r.administered),
      securityOfficialRole: r.securityOfficialRole,
    };
    org.entries.push({
      userRoleId: r.userRoleId,
      userId: r.userId,
      name: `${r.firstName} ${r.lastName}`,
      loginId: r.loginId,
      email: r.email,
      lastSignInAt: r.lastSignInAt,
      roleName: r.roleName,
      programName: r.programName,
      startDate: r.startDate,
      endDate: r.endDate,
      recertifiedAt: r.recertifiedAt,
      grantedAt: r.grantedAt,
      mayRevoke: mayEver(can(actor, "role.revoke", resource, now)),
      recertifiable: r.accessRequestId !== null,
      mayRecertify: r.accessRequestId !== null && mayEver(can(actor, "role.recertify", resource, now)),
    });
  }
  // Organizations without anyone else still appear, named.
  const missing = [...byOrg.values()].filter((o) => !o.name).map((o) => o.id);
  if (missing.length > 0) {
    const names = await deps.db
      .select({ id: organizations.id, name: organizations.name })
      .from(organizations)
      .where(inArray(organizations.id, missing));
    for (const n of names) byOrg.get(n.id)!.name = n.name;
  }
  return [...byOrg.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `not_found`: no such role, or one without an organization (administration's); `not_active`: it had already ended. */
export type RevokeResult = Result<{ roleName: string; holderName: string }, "not_found" | "not_active">;

/**
 * "Revoke" with a reason: one conditional update on an active role, with its
 * audit event and the holder's email in the same batch, written only if the
 * update happened.
 */
export async function revokeRole(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId" | "enqueue">,
  actor: Actor,
  input: Pick<RevokeInput, "userRoleId" | "reason">,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<RevokeResult> {
  const row = await deps.db
    .select({
      id: userRoles.id,
      userId: userRoles.userId,
      organizationId: userRoles.organizationId,
      programId: userRoles.programId,
      status: userRoles.status,
      roleName: roles.name,
      isHelpDesk: roles.isHelpDesk,
      isAdmin: roles.isAdmin,
      organizationName: organizations.name,
      programName: programs.name,
      firstName: users.firstName,
      lastName: users.lastName,
      email: users.email,
    })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .leftJoin(organizations, eq(organizations.id, userRoles.organizationId))
    .leftJoin(programs, eq(programs.id, userRoles.programId))
    .where(eq(userRoles.id, input.userRoleId))
    .get();
  // Roles without an organization (help desk, administrators) are managed in administration, not here.
  if (!row || row.organizationId == null) return fail("not_found");
  const decision = can(
    actor,
    "role.revoke",
    {
      ownerUserId: row.userId,
      organizationId: row.organizationId,
      programId: row.programId,
      administeredRole: row.isHelpDesk || row.isAdmin,
    },
    deps.now(),
  );
  if (!decision.ok) return refused(decision);
  if (row.status !== "active") return fail("not_active");

  const now = deps.now();
  const email = await outboxEmail(deps, {
    template: "role_revoked",
    to: row.email,
    idempotencyKey: `role_revoked:${row.id}`,
    data: {
      firstName: row.firstName,
      roleName: row.roleName,
      organizationName: row.organizationName ?? "",
      programName: row.programName ?? "",
      revokedBy: await nameOf(deps, actor.userId),
      reason: input.reason,
    },
  });
  const revokedHere = sql`EXISTS (SELECT 1 FROM ${auditEvents} WHERE ${auditEvents.eventType} = 'user_role.revoked' AND ${auditEvents.traceId} = ${deps.traceId} AND ${auditEvents.subjectUserId} = ${row.userId})`;
  const [updated] = await deps.db.batch([
    deps.db
      .update(userRoles)
      .set({ status: "revoked", endedAt: now, endedByUserId: actor.userId, endReason: input.reason })
      .where(and(eq(userRoles.id, row.id), eq(userRoles.status, "active")))
      .returning({ id: userRoles.id }),
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${now.getTime()}, 'user_role.revoked', 'success', ${actor.userId}, ur.user_id, ur.organization_id, ur.program_id, ${client.ip}, ${client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, ur.access_request_id, ${JSON.stringify({ userRoleId: row.id, reason: input.reason })}
          FROM ${userRoles} ur WHERE ur.id = ${row.id} AND ur.status = 'revoked' AND ur.ended_by_user_id = ${actor.userId} AND changes() > 0`,
    ),
    outboxInsert(deps, email, revokedHere),
  ]);
  if (updated.length === 0) return fail("not_active");
  await drainAfterWrite(deps, [email]);
  return ok({ roleName: row.roleName, holderName: `${row.firstName} ${row.lastName}` });
}
