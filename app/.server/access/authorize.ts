import { and, eq, gte, isNull, lte, or } from "drizzle-orm";
import { todayEastern } from "~/lib/format";
import { roles, userRoles, users } from "../db/schema";
import type { Deps } from "../deps";
import { reaches, type ScopeGrant } from "./scope";

/**
 * Who may do what, decided in one place (ASVS V4.1): every route and Hono
 * handler asks `can(actor, action, resource)`, and the two doors map a refusal
 * to their own response (a redirect to step up, a 404, a 403 page).
 *
 * Strength of sign-in (docs/decisions/2026-11-22-assurance-model.md):
 * - "password": signed in with the password alone; only possible before the
 *   first device exists, so only New User Enrollment is open.
 * - "weak": an emailed code or the challenge questions (NIST SP 800-63B
 *   §5.1.3.1, §5.1.1.2: recovery, not a second factor).
 * - "strong": an authenticator app, a security key, a passkey or a recovery
 *   code (AAL2).
 * Sensitive actions need a strong factor proven at most 15 minutes ago.
 */
export const STEP_UP_MAX_AGE_MS = 15 * 60 * 1000;

export type Assurance = "password" | "weak" | "strong";

export interface ActorRole {
  roleCode: string;
  programId: number | null;
  organizationId: number | null;
  isSecurityOfficial: boolean;
  isHelpDesk: boolean;
  isAdmin: boolean;
  /** Who last recertified this grant (an official recertified by someone may not recertify that person's role). */
  recertifiedByUserId?: string | null;
}

export interface Actor {
  userId: string;
  enrollmentCompleted: boolean;
  /** Until then, a password reset proven only by weak factors keeps sensitive changes closed. */
  restrictedUntil: Date | null;
  hasDevice: boolean;
  /**
   * The session proved something besides the password (identity proofing, or Reset MFA's emailed
   * re-enrollment link), so it may bind the account's first device. Absent: it did not.
   */
  firstDeviceProof?: boolean;
  assurance: Assurance;
  strongFactorAt: Date | null;
  /**
   * This session bound an MFA device (`sessions.device_bound_at`): binding one already
   * needed what issuing recovery codes needs, so enrollment's end may issue them here.
   */
  deviceBoundAt?: Date | null;
  roles: ActorRole[];
}

/** What an action is about: the account it changes, or the organization and program it concerns. */
export interface Resource {
  ownerUserId?: string;
  organizationId?: number | null;
  programId?: number | null;
  /** The first Security Official of a program at an organization is decided by the program's help desk. */
  firstSecurityOfficial?: boolean;
  /** A Security Official role (recertifying it has the rule of app/.server/access/scope.ts). */
  securityOfficialRole?: boolean;
  /** A help-desk or administrator role: granted and ended in administration only, never by approvers. */
  administeredRole?: boolean;
}

export type Action =
  /** Add an MFA device (the first one, during enrollment, needs no step-up). */
  | "device.add"
  | "device.remove"
  | "device.rename"
  | "recovery_codes.issue"
  | "email.change"
  /** Change the password on the profile (not first sign-in's temporary one, not a reset). */
  | "password.change"
  /** Replace the challenge questions on the profile (not first sign-in's first choice). */
  | "challenge_questions.change"
  /** Submit a role request ("Request User Access"). */
  | "request.create"
  /** Cancel one's own pending access request. */
  | "request.cancel"
  /** Search the organization directory (for a request). */
  | "organization.search"
  /** See someone else's access request as one of the people who may decide it. */
  | "request.read"
  /** Approve or reject a role request; revoke a role; certify that a role is still needed (yearly). */
  | "request.decide"
  | "role.revoke"
  | "role.recertify"
  /** The users who hold roles at an organization (Security Official tools). */
  | "role.read"
  /** "Pending Requests": the queue of requests the actor may decide (they hold an approving role). */
  | "request.queue"
  /** "Users at My Organizations": the Security Official's list of everyone holding roles there. */
  | "organization_roster.read"
  | "audit.read"
  /** See the Administration area (Help Desk Administrator, strong session). */
  | "admin.read"
  /**
   * Change anything in Administration (Help Desk Administrator, strong factor from the last 15 minutes);
   * about an account (`ownerUserId`), never the administrator's own; manual-proofing decisions included.
   */
  | "admin.manage"
  /** Sign in to one of the programs' applications (OpenID Connect), consenting if asked. */
  | "application.connect"
  /** "Disconnect" one's own connected application (its grant and tokens end). */
  | "application.disconnect"
  /**
   * Register, edit, disable or enable a program's application (an OpenID Connect client, Administration →
   * Applications): the administrators' write rule (Help Desk Administrator, strong factor from the last 15 minutes).
   */
  | "application.manage";

export type Refusal =
  /** Not allowed at all: doors answer 404 so nothing is revealed. */
  | { ok: false; reason: "forbidden" }
  /** Allowed with a fresh strong factor: doors send the user to step up and back. */
  | { ok: false; reason: "step_up" }
  /** Allowed after New User Enrollment. */
  | { ok: false; reason: "enrollment" }
  /** The first device needs a session opened through the emailed re-enrollment link (or identity proofing). */
  | { ok: false; reason: "reenrollment" }
  /** Closed for 24 hours after a weak password reset. */
  | { ok: false; reason: "restricted"; until: Date };

export type Decision = { ok: true } | Refusal;

const ALLOW: Decision = { ok: true };
const deny = (reason: "forbidden" | "step_up" | "enrollment" | "reenrollment"): Refusal => ({ ok: false, reason });

export function hasFreshStrongFactor(actor: Pick<Actor, "assurance" | "strongFactorAt">, now: Date): boolean {
  return (
    actor.assurance === "strong" &&
    actor.strongFactorAt !== null &&
    now.getTime() - actor.strongFactorAt.getTime() <= STEP_UP_MAX_AGE_MS
  );
}

/** A Security Official grant reaches something only with both its program and its organization (scope.ts). */
const isScopedOfficial = (r: ActorRole) => r.isSecurityOfficial && r.programId != null && r.organizationId != null;

/** What a request, role or event is, for the scope rules of scope.ts. */
function targetOf(resource: Resource, ownerUserId?: string) {
  return {
    programId: resource.programId ?? null,
    organizationId: resource.organizationId ?? null,
    firstSecurityOfficial: Boolean(resource.firstSecurityOfficial),
    holderUserId: ownerUserId ?? null,
    securityOfficialRole: Boolean(resource.securityOfficialRole),
  };
}

export function can(actor: Actor, action: Action, resource: Resource = {}, now: Date = new Date()): Decision {
  const own = resource.ownerUserId === undefined || resource.ownerUserId === actor.userId;
  const restricted =
    actor.restrictedUntil && actor.restrictedUntil > now
      ? ({ ok: false, reason: "restricted", until: actor.restrictedUntil } as const)
      : null;
  const fresh = hasFreshStrongFactor(actor, now);

  switch (action) {
    case "device.add":
      if (!own) return deny("forbidden");
      // NIST §6.1.2.3: the first authenticator is bound only in a session that proved more than
      // the password: the one that completed identity proofing, or one opened through the
      // re-enrollment link emailed to the address of record; every later one needs a strong factor.
      if (!actor.hasDevice) return actor.firstDeviceProof ? ALLOW : deny("reenrollment");
      if (restricted) return restricted;
      return fresh ? ALLOW : deny("step_up");
    case "device.remove":
      if (!own) return deny("forbidden");
      return fresh ? ALLOW : deny("step_up");
    case "recovery_codes.issue":
      if (!own) return deny("forbidden");
      // Enrollment's end: the session that bound the device (it was allowed to add one). Any
      // other session, a weak one above all, needs a fresh strong factor: codes are a strong factor.
      if (!actor.enrollmentCompleted && actor.hasDevice && actor.deviceBoundAt) return ALLOW;
      return fresh ? ALLOW : deny("step_up");
    case "password.change":
    case "challenge_questions.change":
      // Credentials that sign in or recover: a weak session must not replace them (issue 17).
      if (!own) return deny("forbidden");
      if (restricted) return restricted;
      return fresh ? ALLOW : deny("step_up");
    case "device.rename":
      return own ? ALLOW : deny("forbidden");
    case "email.change":
      if (!own) return deny("forbidden");
      if (restricted) return restricted;
      return fresh ? ALLOW : deny("step_up");
    case "request.create":
      if (!own) return deny("forbidden");
      if (!actor.enrollmentCompleted) return deny("enrollment");
      if (restricted) return restricted;
      return actor.assurance === "strong" ? ALLOW : deny("step_up");
    case "request.cancel":
      // Withdrawing one's own request only lowers access: any session of the owner may.
      return own ? ALLOW : deny("forbidden");
    case "organization.search":
      // The directory serves Request User Access, and is open to those who may use it.
      return can(actor, "request.create", resource, now);
    case "request.read":
    case "role.read":
    case "request.decide":
    case "role.revoke":
    case "role.recertify": {
      // Nobody decides their own request or removes their own role this way.
      if (resource.ownerUserId === actor.userId) return deny("forbidden");
      if (resource.administeredRole && (action === "role.revoke" || action === "role.recertify"))
        return deny("forbidden");
      // Scoped by (program, organization), app/.server/access/scope.ts: an official of that pair
      // (not for a first official, nor, recertifying an official, one the holder last recertified),
      // or the program's help desk; a role or request without a program is not theirs
      // (help-desk and administrator roles are managed in administration).
      const rule =
        action === "request.read" || action === "request.decide"
          ? "request"
          : action === "role.recertify"
            ? "recertify"
            : "role";
      if (!reaches(rule, actor.roles, targetOf(resource, resource.ownerUserId))) return deny("forbidden");
      if (restricted) return restricted;
      // Reading needs a strong session; deciding, a strong factor from the last 15 minutes.
      if (action === "request.read" || action === "role.read")
        return actor.assurance === "strong" ? ALLOW : deny("step_up");
      return fresh ? ALLOW : deny("step_up");
    }
    case "request.queue":
    case "organization_roster.read": {
      const approves =
        action === "request.queue"
          ? actor.roles.some((r) => r.isHelpDesk || isScopedOfficial(r))
          : actor.roles.some(isScopedOfficial);
      if (!approves) return deny("forbidden");
      if (restricted) return restricted;
      return actor.assurance === "strong" ? ALLOW : deny("step_up");
    }
    case "audit.read": {
      // The Audit Log is open to whoever has a scope in it (see `auditScope`); about one
      // event (an organization or program given), only when that event is in the scope.
      const scope = auditScope(actor);
      if (!scope) return deny("forbidden");
      const aboutEvent = resource.organizationId !== undefined || resource.programId !== undefined;
      if (aboutEvent && !auditEventInScope(scope, resource)) return deny("forbidden");
      if (restricted) return restricted;
      return actor.assurance === "strong" ? ALLOW : deny("step_up");
    }
    case "admin.read":
    case "admin.manage":
      if (!actor.roles.some((r) => r.isAdmin)) return deny("forbidden");
      // An administrator never unlocks, resets, deactivates or reactivates their own account here:
      // another administrator does, so no one lifts their own lock or restores their own access.
      if (action === "admin.manage" && resource.ownerUserId === actor.userId) return deny("forbidden");
      if (restricted) return restricted;
      if (action === "admin.read") return actor.assurance === "strong" ? ALLOW : deny("step_up");
      return fresh ? ALLOW : deny("step_up");
    case "application.connect":
    case "application.disconnect":
      // One's own sign-in and grants, once enrollment is finished. The assurance an application needs is
      // its own rule (its Required Assurance and the request's acr_values, app/.server/oidc/authorize.ts).
      if (!own) return deny("forbidden");
      return actor.enrollmentCompleted ? ALLOW : deny("enrollment");
    case "application.manage":
      // As admin.manage: who may sign users in to a program's application is an administrator's write.
      if (!actor.roles.some((r) => r.isAdmin)) return deny("forbidden");
      if (restricted) return restricted;
      return fresh ? ALLOW : deny("step_up");
  }
}

/**
 * The part of the audit log an actor may read ("approvers and admins, within
 * their scope"), from the roles in force, by the "audit" rule of scope.ts:
 * - an administrator (roles.is_admin): every event;
 * - a help-desk approver: events whose program is one of the programs of their
 *   help-desk roles (a help-desk role without a program: every event that has a program);
 * - a Security Official of (program, organization): events of that program at that organization.
 * An event without a program (a sign-in; an organization's own record changed in
 * Administration) is for administrators only: no program's official or help desk
 * has authority over it. Null: nothing to read, so the Audit Log is not there.
 */
export type AuditScope = { all: true } | { all: false; grants: ScopeGrant[] };

export function auditScope(actor: Pick<Actor, "roles">): AuditScope | null {
  if (actor.roles.some((r) => r.isAdmin)) return { all: true };
  const grants = actor.roles
    .filter((r) => r.isHelpDesk || isScopedOfficial(r))
    .map((r) => ({
      programId: r.programId,
      organizationId: r.organizationId,
      isSecurityOfficial: r.isSecurityOfficial,
      isHelpDesk: r.isHelpDesk,
      isAdmin: false,
    }));
  return grants.length === 0 ? null : { all: false, grants };
}

/** Whether one event (by its organization and program) is in a scope: the same rule the query applies. */
export function auditEventInScope(
  scope: AuditScope,
  event: { organizationId?: number | null; programId?: number | null },
): boolean {
  if (scope.all) return true;
  return reaches("audit", scope.grants, {
    programId: event.programId ?? null,
    organizationId: event.organizationId ?? null,
  });
}

/** Allowed now or after a step-up (or the restriction ends): worth showing the link. */
export const mayEver = (decision: Decision) => decision.ok || decision.reason !== "forbidden";

/** Does the actor hold any role that approves others (Security Official, help desk, admin)? */
export function holdsApprovingRole(actor: Pick<Actor, "roles">): boolean {
  return actor.roles.some((r) => r.isSecurityOfficial || r.isHelpDesk || r.isAdmin);
}

/**
 * A grant counts from its start date through its end date (Eastern days, as
 * requests are dated), whatever its status says before the nightly job runs.
 */
export function roleInForce(today: string) {
  return and(
    eq(userRoles.status, "active"),
    eq(roles.active, true),
    or(isNull(userRoles.startDate), lte(userRoles.startDate, today)),
    or(isNull(userRoles.endDate), gte(userRoles.endDate, today)),
  );
}

/** The columns that make an `ActorRole`, for queries that load an actor's roles. */
export const ACTOR_ROLE_COLUMNS = {
  roleCode: roles.code,
  programId: userRoles.programId,
  organizationId: userRoles.organizationId,
  isSecurityOfficial: roles.isSecurityOfficial,
  isHelpDesk: roles.isHelpDesk,
  isAdmin: roles.isAdmin,
  recertifiedByUserId: userRoles.recertifiedByUserId,
};

/**
 * Email addresses of every Help Desk Administrator (the manual-proofing queue is
 * in Administration, SPEC 2.8).
 */
export async function administratorEmails(deps: Pick<Deps, "db">): Promise<string[]> {
  const rows = await deps.db
    .selectDistinct({ email: users.email })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(roles.isAdmin, true), roleInForce(todayEastern(new Date())), eq(users.status, "active")));
  return rows.map((r) => r.email);
}
