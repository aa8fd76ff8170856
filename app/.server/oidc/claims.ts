import { and, eq, type SQL, sql } from "drizzle-orm";
import { todayEastern } from "~/lib/format";
import { roleInForce } from "../access/authorize";
import { organizations, organizationTypes, programs, roles, userRoles } from "../db/schema";
import type { Deps } from "../deps";

/** One entry of the `roles` claim: a role the user holds now, in the application's program. */
export interface RoleClaim {
  program: string;
  organization: { id: number; name: string; type: string | null } | null;
  role: string;
  end_date: string | null;
}

/**
 * The statement reading the roles in force today for the user and program the
 * caller's SQL names (subqueries on the rows its batch wrote, so it joins the
 * same round trip).
 */
export function rolesStatement(deps: Pick<Deps, "db" | "now">, userId: SQL, programId: SQL) {
  return (
    deps.db
      // Aliased: several joined tables have a `code`, `id` or `name`, and a batch's rows are keyed by column name.
      .select({
        program: sql<string>`${programs.code}`.as("claim_program"),
        role: sql<string>`${roles.code}`.as("claim_role"),
        endDate: sql<string | null>`${userRoles.endDate}`.as("claim_end_date"),
        organizationId: sql<number | null>`${organizations.id}`.as("claim_organization_id"),
        organizationName: sql<string | null>`${organizations.name}`.as("claim_organization_name"),
        organizationType: sql<string | null>`${organizationTypes.name}`.as("claim_organization_type"),
      })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .innerJoin(programs, eq(programs.id, userRoles.programId))
      .leftJoin(organizations, eq(organizations.id, userRoles.organizationId))
      .leftJoin(organizationTypes, eq(organizationTypes.id, organizations.orgTypeId))
      .where(
        and(eq(userRoles.userId, userId), eq(userRoles.programId, programId), roleInForce(todayEastern(deps.now()))),
      )
      .orderBy(programs.code, roles.code, organizations.name)
  );
}

export function roleClaims(
  rows: readonly {
    program: string;
    role: string;
    endDate: string | null;
    organizationId: number | null;
    organizationName: string | null;
    organizationType: string | null;
  }[],
): RoleClaim[] {
  return rows.map((r) => ({
    program: r.program,
    organization:
      r.organizationId === null
        ? null
        : { id: r.organizationId, name: r.organizationName ?? "", type: r.organizationType },
    role: r.role,
    end_date: r.endDate,
  }));
}

/** The claims a scope releases (OIDC Core §5.4): `email` and `profile`; `openid` alone gives only `sub`. */
export function scopedClaims(
  scope: string,
  user: { email: string; firstName: string; lastName: string; enrollmentCompletedAt: Date | null },
): Record<string, unknown> {
  const scopes = new Set(scope.split(" "));
  return {
    // Enrollment proves the address with an emailed code (or an Email device) before it completes.
    ...(scopes.has("email") ? { email: user.email, email_verified: user.enrollmentCompletedAt !== null } : {}),
    ...(scopes.has("profile") ? { given_name: user.firstName, family_name: user.lastName } : {}),
  };
}
