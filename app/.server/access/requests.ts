import { and, asc, desc, eq, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import { type AnySQLiteColumn, alias } from "drizzle-orm/sqlite-core";
import type { AccessRequestInput, RequestStatus } from "~/lib/access-request";
import { todayEastern } from "~/lib/format";
import { hitRateLimit } from "../auth/rate-limit";
import type { Client } from "../client";
import {
  accessRequests,
  mfaDevices,
  organizations,
  organizationTypes,
  programs,
  roleOrgTypeRules,
  roles,
  userRoles,
  users,
} from "../db/schema";
import { auditEvents } from "../db/schema/audit";
import type { Deps } from "../deps";
import { drainAfterWrite, outboxEmail, outboxInsert } from "../mail/outbox";
import { fail, ok, type Result } from "../result";
import { roleInForce } from "./authorize";
import { newRequestId } from "./request-id";
import { grantReachesSql, TABLE_GRANT } from "./scope";

/**
 * Access requests (SPEC 2.5): what a user may request, from whom, and the
 * request itself. Who may open the form is `can(actor, "request.create")`;
 * this module enforces the data rules (role rules, approvers, dates) and the
 * one-request-per-submission and one-open-request rules, each in a single
 * statement so parallel submissions cannot beat them.
 */

export interface ProgramOption {
  id: number;
  name: string;
}

export interface RoleOption {
  id: number;
  code: string;
  name: string;
  isSecurityOfficial: boolean;
  /** A request must give an End Date (Administration, Programs and roles). */
  requiresEndDate: boolean;
  /** Who approves: the organization's Security Officials (else the help desk), or the help desk only. */
  approverRule: "security_official_else_help_desk" | "help_desk_only";
}

export interface ApproverOption {
  userId: string;
  name: string;
}

export interface ChosenOrganization {
  id: number;
  name: string;
  orgType: string;
  status: "Active" | "Inactive";
  city: string;
  state: string;
}

export type ApproverKind = "security_official" | "help_desk";

export interface RequestFormOptions {
  programs: ProgramOption[];
  program: ProgramOption | null;
  organization: ChosenOrganization | null;
  /** The roles the program and the organization's type allow (the program's roles until an organization is chosen). */
  roles: RoleOption[];
  /**
   * Who may decide: the organization's Security Officials, or the program's help
   * desk when it has none or when the chosen role's rule says the help desk only.
   */
  approverKind: ApproverKind;
  approvers: ApproverOption[];
}

/**
 * D1's batch() returns rows keyed by column name, so joined columns that share
 * a name (`id`, `name`) must be selected under their own alias there.
 */
function as<C extends AnySQLiteColumn>(column: C, alias: string): SQL.Aliased<C["_"]["data"]> {
  return sql<C["_"]["data"]>`${column}`.mapWith(column).as(alias);
}

/** Approvers must hold a strong device: a decision needs a fresh strong factor. */
const HOLDS_STRONG_DEVICE = sql`EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.userId} = ${users.id} AND ${mfaDevices.kind} IN ('totp', 'webauthn') AND ${mfaDevices.confirmedAt} IS NOT NULL)`;

function today(deps: Pick<Deps, "now">): string {
  return todayEastern(deps.now());
}

function activeGrant(deps: Pick<Deps, "now">) {
  return and(roleInForce(today(deps)), eq(users.status, "active"), isNull(users.heldAt), HOLDS_STRONG_DEVICE);
}

/** People whose grant in force matches `scope` and who may decide (never the requester). */
function approversWhere(deps: Pick<Deps, "db" | "now">, requesterId: string, scope: SQL | undefined) {
  return deps.db
    .selectDistinct({ userId: users.id, firstName: users.firstName, lastName: users.lastName })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(activeGrant(deps), scope, ne(users.id, requesterId)))
    .orderBy(asc(users.lastName), asc(users.firstName));
}

/** Everything the form needs for a program and organization, in one D1 round trip. */
export async function loadRequestForm(
  deps: Pick<Deps, "db" | "now">,
  requesterId: string,
  chosen: { programId?: number | null; organizationId?: number | null; roleId?: number | null },
): Promise<RequestFormOptions> {
  const programId = chosen.programId ?? 0;
  const organizationId = chosen.organizationId ?? 0;
  const chosenTarget = { programId: sql`${programId}`, organizationId: sql`${organizationId}` };
  const [programRows, orgRows, roleRows, officials, helpDesk] = await deps.db.batch([
    deps.db
      .select({ id: programs.id, name: programs.name })
      .from(programs)
      .where(eq(programs.active, true))
      .orderBy(asc(programs.name)),
    deps.db
      .select({
        id: as(organizations.id, "org_id"),
        name: as(organizations.name, "org_name"),
        orgType: as(organizationTypes.name, "org_type_name"),
        orgTypeId: organizations.orgTypeId,
        status: organizations.status,
        city: organizations.city,
        state: organizations.state,
      })
      .from(organizations)
      .innerJoin(organizationTypes, eq(organizationTypes.id, organizations.orgTypeId))
      .where(eq(organizations.id, organizationId)),
    deps.db
      .selectDistinct({
        id: as(roles.id, "role_id"),
        code: roles.code,
        name: as(roles.name, "role_name"),
        isSecurityOfficial: roles.isSecurityOfficial,
        requiresEndDate: roles.requiresEndDate,
        approverRule: roles.approverRule,
        orgTypeId: roleOrgTypeRules.orgTypeId,
      })
      .from(roles)
      .innerJoin(roleOrgTypeRules, eq(roleOrgTypeRules.roleId, roles.id))
      .where(
        and(
          eq(roles.active, true),
          or(isNull(roles.programId), eq(roles.programId, programId)),
          // Help-desk and administrator roles are granted by administrators, never requested (SPEC 2.8).
          eq(roles.isHelpDesk, false),
          eq(roles.isAdmin, false),
        ),
      )
      .orderBy(asc(roles.name)),
    // The program's Security Officials at the organization, and the program's help desk (scope.ts).
    approversWhere(deps, requesterId, grantReachesSql("official", TABLE_GRANT, chosenTarget)),
    approversWhere(deps, requesterId, grantReachesSql("help_desk", TABLE_GRANT, chosenTarget)),
  ]);
  const program = programRows.find((p) => p.id === programId) ?? null;
  const org = orgRows[0];
  const organization: ChosenOrganization | null = org
    ? { id: org.id, name: org.name, orgType: org.orgType, status: org.status, city: org.city, state: org.state }
    : null;
  const allowed = new Map<number, RoleOption>();
  for (const r of roleRows) {
    if (org && r.orgTypeId !== org.orgTypeId) continue;
    allowed.set(r.id, {
      id: r.id,
      code: r.code,
      name: r.name,
      isSecurityOfficial: r.isSecurityOfficial,
      requiresEndDate: r.requiresEndDate,
      approverRule: r.approverRule,
    });
  }
  // An organization with Security Officials for the program decides for itself;
  // the program's help desk decides the first one (whether or not the
  // organization has officials for other programs), and every request for a
  // role whose rule is "the help desk only".
  const role = chosen.roleId ? allowed.get(chosen.roleId) : undefined;
  const approverKind: ApproverKind =
    officials.length > 0 && role?.approverRule !== "help_desk_only" ? "security_official" : "help_desk";
  const people =
    program && organization?.status === "Active" ? (approverKind === "security_official" ? officials : helpDesk) : [];
  return {
    programs: programRows,
    program,
    organization,
    roles: program ? [...allowed.values()] : [],
    approverKind,
    approvers: people.map((p) => ({ userId: p.userId, name: `${p.firstName} ${p.lastName}` })),
  };
}

/**
 * What is wrong with a request given the data, by form field (the schema has already checked shapes); the
 * screen words each with the options it shows (the organization, its type, the role, the program):
 * - `program_missing`, `organization_missing`: not chosen;
 * - `organization_not_active`: the organization is inactive;
 * - `role_not_offered`: the program does not offer the role for the organization's type;
 * - `role_held`: the requester already holds the role there (found when submitting);
 * - `start_date_past`, `end_date_past`: a date before today;
 * - `end_date_required`: the role's rules need an End Date;
 * - `no_approver`: nobody may approve it; `approver_not_listed`: not one of the approvers listed.
 */
export interface RequestProblems {
  programId?: "program_missing";
  organizationId?: "organization_missing" | "organization_not_active";
  roleId?: "role_not_offered" | "role_held";
  startDate?: "start_date_past";
  endDate?: "end_date_past" | "end_date_required";
  approverUserId?: "no_approver" | "approver_not_listed";
}

export type RequestProblemCode = NonNullable<RequestProblems[keyof RequestProblems]>;

/** The user holds this role for this program at this organization, in force today. */
function holdsRoleSql(userId: string, programId: number, organizationId: number, roleId: number, today: string) {
  return sql<number>`EXISTS (SELECT 1 FROM ${userRoles} INNER JOIN ${roles} ON ${roles.id} = ${userRoles.roleId} WHERE ${userRoles.userId} = ${userId} AND ${userRoles.programId} = ${programId} AND ${userRoles.organizationId} = ${organizationId} AND ${userRoles.roleId} = ${roleId} AND ${roleInForce(today)})`;
}

/**
 * A submitted request (`created` false when this submission key had already made it), or why not:
 * - `invalid`: `detail` holds the {@link RequestProblems} (form field to problem code);
 * - `duplicate`: an open request for the same program, organization and role; `detail.existingId` is its id;
 * - `expired_form`: the submission key belongs to someone else's request (a form from another session);
 * - `throttled`: too many new requests today; `detail.retryAfterSeconds`.
 */
export type SubmitAccessRequestResult = Result<
  { requestId: string; created: boolean },
  "invalid" | "duplicate" | "expired_form" | "throttled"
>;

/** New access requests per user per day (replays of one submission are free). */
export const SUBMISSIONS_PER_DAY = { limit: 20, windowMs: 24 * 60 * 60 * 1000 } as const;

interface Requester {
  id: string;
  loginId: string;
  firstName: string;
  lastName: string;
  email: string;
}

async function bySubmissionKey(deps: Pick<Deps, "db">, key: string) {
  return deps.db
    .select({ id: accessRequests.id, userId: accessRequests.userId })
    .from(accessRequests)
    .where(eq(accessRequests.submissionKey, key))
    .get();
}

/** The server's own check of everything that depends on data; the schema has already checked shapes. */
export function checkRequest(
  options: RequestFormOptions,
  input: AccessRequestInput,
  todayIso: string,
): RequestProblems | null {
  const problems: RequestProblems = {};
  if (!options.program) problems.programId = "program_missing";
  if (!options.organization) problems.organizationId = "organization_missing";
  else if (options.organization.status !== "Active") problems.organizationId = "organization_not_active";
  if (options.program && options.organization && !options.roles.some((r) => r.id === input.roleId))
    problems.roleId = "role_not_offered";
  if (input.startDate < todayIso) problems.startDate = "start_date_past";
  if (!input.endDateNotApplicable && input.endDate && input.endDate < todayIso) problems.endDate = "end_date_past";
  const role = options.roles.find((r) => r.id === input.roleId);
  if (role?.requiresEndDate && (input.endDateNotApplicable || !input.endDate)) problems.endDate = "end_date_required";
  if (options.program && options.organization) {
    if (options.approvers.length === 0) problems.approverUserId = "no_approver";
    else if (!options.approvers.some((a) => a.userId === input.approverUserId))
      problems.approverUserId = "approver_not_listed";
  }
  return Object.keys(problems).length > 0 ? problems : null;
}

/**
 * Submits a request. The same submission key returns the same request (double
 * click, retry, back button); a second open request for the same program,
 * organization and role is refused by a partial unique index, so parallel
 * submissions cannot create two. The request and its audit event are one batch.
 */
export async function submitAccessRequest(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId" | "enqueue">,
  requester: Requester,
  input: AccessRequestInput,
  client: Pick<Client, "ip" | "userAgent">,
  attempt = 1,
): Promise<SubmitAccessRequestResult> {
  const earlier = await bySubmissionKey(deps, input.submissionKey);
  if (earlier) return earlier.userId === requester.id ? replay(earlier.id) : fail("expired_form");
  // New submissions are budgeted per user, so nobody floods approvers' inboxes by submitting and cancelling.
  if (attempt === 1) {
    const budget = await hitRateLimit(deps, `access-request:user:${requester.id}`, SUBMISSIONS_PER_DAY);
    if (!budget.allowed) return fail("throttled", { detail: { retryAfterSeconds: budget.retryAfterSeconds } });
  }

  const options = await loadRequestForm(deps, requester.id, input);
  const problems = checkRequest(options, input, today(deps));
  if (problems) return fail("invalid", { detail: { ...problems } });
  const program = options.program!;
  const organization = options.organization!;
  const role = options.roles.find((r) => r.id === input.roleId)!;
  const approver = options.approvers.find((a) => a.userId === input.approverUserId)!;

  const id = newRequestId();
  const now = deps.now();
  const approverContact = await deps.db
    .select({ email: users.email, firstName: users.firstName })
    .from(users)
    .where(eq(users.id, approver.userId))
    .get();
  const common = {
    requestId: id,
    roleName: role.name,
    organizationName: organization.name,
    programName: program.name,
  };
  const emails = [
    await outboxEmail(deps, {
      template: "access_request_submitted",
      to: requester.email,
      idempotencyKey: `access_request_submitted:${id}`,
      data: { ...common, firstName: requester.firstName, loginId: requester.loginId },
    }),
    ...(approverContact
      ? [
          await outboxEmail(deps, {
            template: "access_request_waiting",
            to: approverContact.email,
            idempotencyKey: `access_request_waiting:${id}`,
            data: {
              ...common,
              firstName: approverContact.firstName,
              requesterName: `${requester.firstName} ${requester.lastName}`,
            },
          }),
        ]
      : []),
  ];
  // The audit event and the emails exist only if this submission's request row does.
  const created = sql`EXISTS (SELECT 1 FROM ${accessRequests} WHERE ${accessRequests.id} = ${id} AND ${accessRequests.submissionKey} = ${input.submissionKey})`;
  const [inserted] = await deps.db.batch([
    deps.db
      .insert(accessRequests)
      // Columns in the schema's order. Nothing is inserted while the requester holds this role here
      // (in force); and any unique conflict (the submission key, one open request, the id) inserts nothing.
      .select(
        sql`SELECT ${id}, ${requester.id}, ${program.id}, ${organization.id}, ${role.id}, ${approver.userId}, ${options.approverKind}, ${input.startDate}, ${input.endDateNotApplicable ? null : (input.endDate ?? null)}, ${input.additionalInfo ?? ""}, ${input.comments ?? ""}, 'pending', NULL, NULL, NULL, NULL, ${input.submissionKey}, ${now.getTime()}
            WHERE NOT ${holdsRoleSql(requester.id, program.id, organization.id, role.id, today(deps))}`,
      )
      .onConflictDoNothing()
      .returning({ id: accessRequests.id }),
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${now.getTime()}, 'access_request.submitted', 'success', ${requester.id}, ${requester.id}, ${organization.id}, ${program.id}, ${client.ip}, ${client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, ${id}, ${JSON.stringify({ role: role.code, approverKind: options.approverKind })}
            WHERE ${created}`,
    ),
    ...emails.map((e) => outboxInsert(deps, e, created)),
  ]);
  if (inserted.length === 0) {
    const same = await bySubmissionKey(deps, input.submissionKey);
    if (same) return same.userId === requester.id ? replay(same.id) : fail("expired_form");
    const open = await deps.db
      .select({ id: accessRequests.id })
      .from(accessRequests)
      .where(
        and(
          eq(accessRequests.userId, requester.id),
          eq(accessRequests.programId, program.id),
          eq(accessRequests.organizationId, organization.id),
          eq(accessRequests.roleId, role.id),
          eq(accessRequests.status, "pending"),
        ),
      )
      .get();
    if (open) return fail("duplicate", { detail: { existingId: open.id } });
    const held = await deps.db
      // Wrapped: a single-table select would print its own columns unqualified.
      .select({ held: sql<number>`${holdsRoleSql(requester.id, program.id, organization.id, role.id, today(deps))}` })
      .from(sql`(SELECT 1)`)
      .get();
    if (held?.held) {
      const problems: RequestProblems = { roleId: "role_held" };
      return fail("invalid", { detail: { ...problems } });
    }
    // The improbable Request ID collision: draw again, a few times at most.
    if (attempt >= 3) throw new Error("No free Request ID after 3 draws");
    return submitAccessRequest(deps, requester, input, client, attempt + 1);
  }

  await drainAfterWrite(deps, emails);
  return ok({ requestId: id, created: true });
}

const replay = (id: string): SubmitAccessRequestResult => ok({ requestId: id, created: false });

export interface MyRequest {
  id: string;
  programName: string;
  organizationName: string;
  roleName: string;
  approverName: string;
  status: RequestStatus;
  startDate: string | null;
  endDate: string | null;
  createdAt: Date;
  decidedAt: Date | null;
  decisionReason: string | null;
  comments: string;
  additionalInfo: string;
}

const approverUsers = alias(users, "approver");

function myRequestsQuery(deps: Pick<Deps, "db">) {
  return deps.db
    .select({
      id: as(accessRequests.id, "request_id"),
      programName: as(programs.name, "program_name"),
      organizationName: as(organizations.name, "organization_name"),
      roleName: as(roles.name, "role_name"),
      approverFirst: as(approverUsers.firstName, "approver_first"),
      approverLast: as(approverUsers.lastName, "approver_last"),
      approverKind: accessRequests.approverKind,
      status: accessRequests.status,
      startDate: accessRequests.startDate,
      endDate: accessRequests.endDate,
      createdAt: accessRequests.createdAt,
      decidedAt: accessRequests.decidedAt,
      decisionReason: accessRequests.decisionReason,
      comments: accessRequests.comments,
      additionalInfo: accessRequests.additionalInfo,
    })
    .from(accessRequests)
    .innerJoin(programs, eq(programs.id, accessRequests.programId))
    .innerJoin(organizations, eq(organizations.id, accessRequests.organizationId))
    .innerJoin(roles, eq(roles.id, accessRequests.roleId))
    .leftJoin(approverUsers, eq(approverUsers.id, accessRequests.approverUserId));
}

type MyRequestRow = Awaited<ReturnType<ReturnType<typeof myRequestsQuery>["all"]>>[number];

function toMyRequest(r: MyRequestRow): MyRequest {
  return {
    id: r.id,
    programName: r.programName,
    organizationName: r.organizationName,
    roleName: r.roleName,
    approverName: r.approverFirst
      ? `${r.approverFirst} ${r.approverLast}`
      : r.approverKind === "help_desk"
        ? "Help desk"
        : "Security Official",
    status: r.status,
    startDate: r.startDate,
    endDate: r.endDate,
    createdAt: r.createdAt,
    decidedAt: r.decidedAt,
    decisionReason: r.decisionReason,
    comments: r.comments,
    additionalInfo: r.additionalInfo,
  };
}

export interface MyRole {
  id: string;
  roleName: string;
  programName: string | null;
  organizationName: string | null;
  startDate: string | null;
  endDate: string | null;
  grantedAt: Date;
}

/** "My Requests" and "My Roles" in one D1 round trip. */
export async function loadMyTasks(
  deps: Pick<Deps, "db">,
  userId: string,
): Promise<{ requests: MyRequest[]; roles: MyRole[] }> {
  const [requestRows, roleRows] = await deps.db.batch([
    myRequestsQuery(deps).where(eq(accessRequests.userId, userId)).orderBy(desc(accessRequests.createdAt)).limit(200),
    deps.db
      .select({
        id: as(userRoles.id, "user_role_id"),
        roleName: as(roles.name, "role_name"),
        programName: as(programs.name, "program_name"),
        organizationName: as(organizations.name, "organization_name"),
        startDate: userRoles.startDate,
        endDate: userRoles.endDate,
        grantedAt: userRoles.grantedAt,
      })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .leftJoin(programs, eq(programs.id, userRoles.programId))
      .leftJoin(organizations, eq(organizations.id, userRoles.organizationId))
      .where(and(eq(userRoles.userId, userId), eq(userRoles.status, "active")))
      .orderBy(asc(roles.name)),
  ]);
  return { requests: requestRows.map(toMyRequest), roles: roleRows };
}

/** A request as the people who may decide it see it: with the requester, and the facts `can()` needs. */
export async function getRequestForApprover(deps: Pick<Deps, "db">, id: string) {
  const [rows, factRows] = await deps.db.batch([
    myRequestsQuery(deps).where(eq(accessRequests.id, id)).limit(1),
    deps.db
      .select({
        userId: accessRequests.userId,
        organizationId: accessRequests.organizationId,
        programId: accessRequests.programId,
        approverKind: accessRequests.approverKind,
        loginId: users.loginId,
        firstName: users.firstName,
        lastName: users.lastName,
        email: users.email,
      })
      .from(accessRequests)
      .innerJoin(users, eq(users.id, accessRequests.userId))
      .where(eq(accessRequests.id, id))
      .limit(1),
  ]);
  const [row, facts] = [rows[0], factRows[0]];
  if (!row || !facts) return null;
  return {
    request: toMyRequest(row),
    requester: { loginId: facts.loginId, name: `${facts.firstName} ${facts.lastName}`, email: facts.email },
    resource: {
      ownerUserId: facts.userId,
      organizationId: facts.organizationId,
      programId: facts.programId,
      firstSecurityOfficial: facts.approverKind === "help_desk",
    },
  };
}

/** One of the user's own requests; another user's is simply not found. */
export async function getMyRequest(deps: Pick<Deps, "db">, userId: string, id: string): Promise<MyRequest | null> {
  const row = await myRequestsQuery(deps)
    .where(and(eq(accessRequests.id, id), eq(accessRequests.userId, userId)))
    .get();
  return row ? toMyRequest(row) : null;
}

/**
 * Cancels one of the user's own pending requests. One conditional update
 * decides (a request already decided, or someone else's, changes nothing), and
 * the audit event is written in the same batch only if this update happened.
 */
export async function cancelMyRequest(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  userId: string,
  id: string,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<Result<null, "not_pending" | "not_found">> {
  const now = deps.now();
  const [updated] = await deps.db.batch([
    deps.db
      .update(accessRequests)
      .set({ status: "cancelled", decidedAt: now, decidedByUserId: userId })
      .where(and(eq(accessRequests.id, id), eq(accessRequests.userId, userId), eq(accessRequests.status, "pending")))
      .returning({ id: accessRequests.id }),
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${now.getTime()}, 'access_request.cancelled', 'success', ${userId}, ${userId}, r.organization_id, r.program_id, ${client.ip}, ${client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, r.id, '{}'
            FROM ${accessRequests} r WHERE r.id = ${id} AND r.user_id = ${userId} AND r.status = 'cancelled' AND r.decided_at = ${now.getTime()} AND r.decided_by_user_id = ${userId} AND changes() > 0`,
    ),
  ]);
  if (updated.length > 0) return ok(null);
  const exists = await deps.db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(and(eq(accessRequests.id, id), eq(accessRequests.userId, userId)))
    .get();
  return fail(exists ? "not_pending" : "not_found");
}

/** The holder gives up one of their own active roles; the same one-statement rule as cancelling. */
export async function removeMyRole(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  userId: string,
  userRoleId: string,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<Result<null, "not_found">> {
  const now = deps.now();
  const [updated] = await deps.db.batch([
    deps.db
      .update(userRoles)
      .set({ status: "revoked", endedAt: now, endedByUserId: userId, endReason: "Removed by the holder" })
      .where(and(eq(userRoles.id, userRoleId), eq(userRoles.userId, userId), eq(userRoles.status, "active")))
      .returning({ id: userRoles.id }),
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${now.getTime()}, 'role.removed_by_holder', 'success', ${userId}, ${userId}, ur.organization_id, ur.program_id, ${client.ip}, ${client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, ur.access_request_id, json_object('role', (SELECT code FROM ${roles} WHERE id = ur.role_id))
            FROM ${userRoles} ur WHERE ur.id = ${userRoleId} AND ur.user_id = ${userId} AND ur.status = 'revoked' AND ur.ended_at = ${now.getTime()} AND ur.ended_by_user_id = ${userId} AND changes() > 0`,
    ),
  ]);
  return updated.length > 0 ? ok(null) : fail("not_found");
}
