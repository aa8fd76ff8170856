import { type SQL, sql } from "drizzle-orm";
import { alias, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { roles, userRoles } from "../db/schema";

/**
 * Whose authority reaches what (docs/decisions/2026-12-07-program-scope.md),
 * each rule stated ONCE, in two forms built side by side: a pure predicate
 * over one grant (what `can()` asks) and a SQL condition over one grant (what
 * the pending queue, its count, the approver lists, the roster, the audit
 * scope and the lifecycle jobs ask). tests/integration/program-scope.test.ts
 * runs one table of cases through both against real D1 rows, so they cannot
 * drift apart.
 *
 * A grant is one user_roles row (with its role's flags):
 * - a Security Official grant has a program AND an organization, and reaches
 *   exactly that pair; one without either reaches nothing (fail closed);
 * - a help-desk grant has a program (that program, at every organization) or
 *   none (every program); it never reaches anything without a program;
 * - an administrator grant reaches every audit event, and nothing else here.
 */

/** One grant as the rules see it (an `ActorRole`, a user_roles row). */
export interface ScopeGrant {
  programId: number | null;
  organizationId: number | null;
  isSecurityOfficial: boolean;
  isHelpDesk: boolean;
  isAdmin: boolean;
  /** Who last recertified this grant (the recertification rule), when known. */
  recertifiedByUserId?: string | null;
}

/** What a rule is asked about: a request, a role, or an audit event. */
export interface ScopeTarget {
  programId: number | null;
  organizationId: number | null;
  /** A request: the first Security Official of a program at an organization (or a "help desk only" role). */
  firstSecurityOfficial?: boolean;
  /** A role: who holds it, and whether it is a Security Official role (the recertification rule). */
  holderUserId?: string | null;
  securityOfficialRole?: boolean;
}

export type ScopeRule =
  /** A Security Official of the target's program at the target's organization. */
  | "official"
  /** A help-desk approver of the target's program. */
  | "help_desk"
  /** Who may read and decide a request: the help desk of its program; its officials unless it is a first official's. */
  | "request"
  /** Who is asked to decide a request (its approver list, reminders): its officials, or for a first official its help desk. */
  | "request_approver"
  /** Who may read or revoke a role: its officials and the help desk of its program. */
  | "role"
  /**
   * Who may recertify a role: the help desk of its program, or one of its officials, except an
   * official whose own grant was last recertified by the holder of the (Security Official) role.
   */
  | "recertify"
  /** Who may read an audit event: administrators; the help desk of its program; its officials. */
  | "audit";

/* ------------------------------------------------------------------------ */
/* The pure form                                                             */
/* ------------------------------------------------------------------------ */

const officialOf = (g: ScopeGrant, t: ScopeTarget) =>
  g.isSecurityOfficial &&
  g.programId != null &&
  g.organizationId != null &&
  g.programId === t.programId &&
  g.organizationId === t.organizationId;

const helpDeskOf = (g: ScopeGrant, t: ScopeTarget) =>
  g.isHelpDesk && t.programId != null && (g.programId == null || g.programId === t.programId);

/** Whether one grant reaches the target under a rule. */
export function grantReaches(rule: ScopeRule, g: ScopeGrant, t: ScopeTarget): boolean {
  switch (rule) {
    case "official":
      return officialOf(g, t);
    case "help_desk":
      return helpDeskOf(g, t);
    case "request":
      return helpDeskOf(g, t) || (!t.firstSecurityOfficial && officialOf(g, t));
    case "request_approver":
      return t.firstSecurityOfficial ? helpDeskOf(g, t) : officialOf(g, t);
    case "role":
      return helpDeskOf(g, t) || officialOf(g, t);
    case "recertify":
      return (
        helpDeskOf(g, t) ||
        (officialOf(g, t) &&
          !(t.securityOfficialRole && t.holderUserId != null && g.recertifiedByUserId === t.holderUserId))
      );
    case "audit":
      return g.isAdmin || helpDeskOf(g, t) || officialOf(g, t);
  }
}

/** Whether any of the grants reaches the target. */
export const reaches = (rule: ScopeRule, grants: readonly ScopeGrant[], t: ScopeTarget) =>
  grants.some((g) => grantReaches(rule, g, t));

/* ------------------------------------------------------------------------ */
/* The SQL form                                                              */
/* ------------------------------------------------------------------------ */

type Expr = SQL | SQLiteColumn;

/** A grant's fields as SQL (columns of a user_roles/roles join, or of a JSON list). */
export interface GrantSql {
  programId: Expr;
  organizationId: Expr;
  isSecurityOfficial: Expr;
  isHelpDesk: Expr;
  isAdmin: Expr;
  recertifiedByUserId: Expr;
}

/** A target's fields as SQL; the flags may be JavaScript values when the target is fixed. */
export interface TargetSql {
  programId: Expr;
  organizationId: Expr;
  firstSecurityOfficial?: Expr | boolean;
  holderUserId?: Expr | string | null;
  securityOfficialRole?: Expr | boolean;
}

const flag = (v: Expr | boolean | undefined): SQL =>
  v === undefined || v === false ? sql`0` : v === true ? sql`1` : sql`(${v})`;

const officialSql = (g: GrantSql, t: TargetSql) =>
  sql`(${g.isSecurityOfficial} = 1 AND ${g.programId} IS NOT NULL AND ${g.organizationId} IS NOT NULL AND ${g.programId} = ${t.programId} AND ${g.organizationId} = ${t.organizationId})`;

const helpDeskSql = (g: GrantSql, t: TargetSql) =>
  sql`(${g.isHelpDesk} = 1 AND ${t.programId} IS NOT NULL AND (${g.programId} IS NULL OR ${g.programId} = ${t.programId}))`;

/** The SQL of `grantReaches(rule, grant, target)`: true exactly where the pure form is. */
export function grantReachesSql(rule: ScopeRule, g: GrantSql, t: TargetSql): SQL {
  switch (rule) {
    case "official":
      return officialSql(g, t);
    case "help_desk":
      return helpDeskSql(g, t);
    case "request":
      return sql`(${helpDeskSql(g, t)} OR (NOT ${flag(t.firstSecurityOfficial)} AND ${officialSql(g, t)}))`;
    case "request_approver":
      return sql`(CASE WHEN ${flag(t.firstSecurityOfficial)} THEN ${helpDeskSql(g, t)} ELSE ${officialSql(g, t)} END)`;
    case "role":
      return sql`(${helpDeskSql(g, t)} OR ${officialSql(g, t)})`;
    case "recertify": {
      const holder =
        t.holderUserId == null
          ? sql`NULL`
          : typeof t.holderUserId === "string"
            ? sql`${t.holderUserId}`
            : t.holderUserId;
      return sql`(${helpDeskSql(g, t)} OR (${officialSql(g, t)} AND NOT (${flag(t.securityOfficialRole)} AND coalesce(${g.recertifiedByUserId} = ${holder}, 0))))`;
    }
    case "audit":
      return sql`(${g.isAdmin} = 1 OR ${helpDeskSql(g, t)} OR ${officialSql(g, t)})`;
  }
}

/** A grant as the columns of `user_roles` joined to `roles`. */
export const TABLE_GRANT: GrantSql = {
  programId: userRoles.programId,
  organizationId: userRoles.organizationId,
  isSecurityOfficial: roles.isSecurityOfficial,
  isHelpDesk: roles.isHelpDesk,
  isAdmin: roles.isAdmin,
  recertifiedByUserId: userRoles.recertifiedByUserId,
};

/**
 * Whether any of the given grants (an actor's roles, already read) reaches the
 * target row: the grants travel as one JSON parameter, whatever their number,
 * and each is judged by {@link grantReachesSql}.
 */
export function grantsReachSql(rule: ScopeRule, grants: readonly ScopeGrant[], t: TargetSql): SQL {
  const relevant = grants.filter((g) => g.isSecurityOfficial || g.isHelpDesk || g.isAdmin);
  if (relevant.length === 0) return sql`0`;
  const json = JSON.stringify(
    relevant.map((g) => ({
      p: g.programId,
      o: g.organizationId,
      s: g.isSecurityOfficial ? 1 : 0,
      h: g.isHelpDesk ? 1 : 0,
      a: g.isAdmin ? 1 : 0,
      r: g.recertifiedByUserId ?? null,
    })),
  );
  const field = (k: string) => sql.raw(`json_extract(scope_grant.value, '$.${k}')`);
  const g: GrantSql = {
    programId: field("p"),
    organizationId: field("o"),
    isSecurityOfficial: field("s"),
    isHelpDesk: field("h"),
    isAdmin: field("a"),
    recertifiedByUserId: field("r"),
  };
  return sql`EXISTS (SELECT 1 FROM json_each(${json}) AS scope_grant WHERE ${grantReachesSql(rule, g, t)})`;
}

/**
 * Whether a user (an SQL expression: a bound id, a column, a subquery) holds
 * a grant in force on `today` (as `roleInForce` in authorize.ts) that reaches the
 * target row: the form for statements that read the grants themselves.
 */
export function userReachesSql(rule: ScopeRule, userId: Expr | string, today: string, t: TargetSql): SQL {
  const holder = typeof userId === "string" ? sql`${userId}` : userId;
  // Aliased, so a target that is itself a user_roles row (recertification, the roster) stays the outer row.
  const g: GrantSql = {
    programId: scopeRoles.programId,
    organizationId: scopeRoles.organizationId,
    isSecurityOfficial: scopeRoleKinds.isSecurityOfficial,
    isHelpDesk: scopeRoleKinds.isHelpDesk,
    isAdmin: scopeRoleKinds.isAdmin,
    recertifiedByUserId: scopeRoles.recertifiedByUserId,
  };
  return sql`EXISTS (SELECT 1 FROM ${userRoles} AS "scope_ur" INNER JOIN ${roles} AS "scope_r" ON ${scopeRoleKinds.id} = ${scopeRoles.roleId} WHERE ${scopeRoles.userId} = ${holder} AND ${grantInForce(today)} AND ${grantReachesSql(rule, g, t)})`;
}

const scopeRoles = alias(userRoles, "scope_ur");
const scopeRoleKinds = alias(roles, "scope_r");

/** `roleInForce` (authorize.ts) over the aliased grant. */
function grantInForce(today: string): SQL {
  return sql`${scopeRoles.status} = 'active' AND ${scopeRoleKinds.active} = 1 AND (${scopeRoles.startDate} IS NULL OR ${scopeRoles.startDate} <= ${today}) AND (${scopeRoles.endDate} IS NULL OR ${scopeRoles.endDate} >= ${today})`;
}
