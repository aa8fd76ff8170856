import { and, asc, eq, inArray } from "drizzle-orm";
import type { ApproverRule, RoleRulesInput } from "~/lib/admin-schemas";
import { auditInsert } from "../audit/record";
import { organizationTypes, programs, roleOrgTypeRules, roles } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result, refused } from "../result";
import { type Actor, can } from "./authorize";

/**
 * Programs, roles and their rules (SPEC 2.8, Administration): which
 * organization types a role is for, whether a request needs an End Date, and
 * who approves it. `loadRequestForm`/`checkRequest` read them on every request
 * form, so a change applies to the next request at once.
 */

export interface RoleRules {
  id: number;
  code: string;
  name: string;
  programId: number | null;
  orgTypeIds: number[];
  requiresEndDate: boolean;
  approverRule: ApproverRule;
}

export interface ProgramRoles {
  /** Null: the roles every program offers. */
  program: { id: number; code: string; name: string } | null;
  roles: RoleRules[];
}

/** Every program with the requestable roles it offers (help-desk and administrator roles are granted, not requested). */
export async function listProgramRoleRules(
  deps: Pick<Deps, "db">,
): Promise<{ programs: ProgramRoles[]; orgTypes: { id: number; name: string }[] }> {
  const [programRows, roleRows, ruleRows, typeRows] = await deps.db.batch([
    deps.db
      .select({ id: programs.id, code: programs.code, name: programs.name })
      .from(programs)
      .where(eq(programs.active, true))
      .orderBy(asc(programs.sortOrder), asc(programs.name)),
    deps.db
      .select({
        id: roles.id,
        code: roles.code,
        name: roles.name,
        programId: roles.programId,
        requiresEndDate: roles.requiresEndDate,
        approverRule: roles.approverRule,
      })
      .from(roles)
      .where(and(eq(roles.active, true), eq(roles.isHelpDesk, false), eq(roles.isAdmin, false)))
      .orderBy(asc(roles.name)),
    deps.db.select().from(roleOrgTypeRules),
    deps.db.select().from(organizationTypes).orderBy(asc(organizationTypes.name)),
  ]);
  const byRole = new Map<number, number[]>();
  for (const r of ruleRows) byRole.set(r.roleId, [...(byRole.get(r.roleId) ?? []), r.orgTypeId]);
  const shaped: RoleRules[] = roleRows.map((r) => ({
    ...r,
    orgTypeIds: (byRole.get(r.id) ?? []).sort((a, b) => a - b),
  }));
  return {
    programs: [
      { program: null, roles: shaped.filter((r) => r.programId === null) },
      ...programRows.map((p) => ({ program: p, roles: shaped.filter((r) => r.programId === p.id) })),
    ],
    orgTypes: typeRows,
  };
}

/**
 * Why a change of rules did nothing (besides `refused`): `not_found`, no such requestable role;
 * `unknown_org_type`, an organization type that is not in the list (`field` "orgTypeIds").
 */
export type RoleRulesCode = "not_found" | "unknown_org_type";

/**
 * Changes one role's rules: its organization types, End Date and approver rule,
 * and an audit event with the rules before and after, in one batch.
 */
export async function updateRoleRules(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  actor: Actor,
  input: RoleRulesInput,
): Promise<Result<{ changed: boolean }, RoleRulesCode>> {
  const decision = can(actor, "admin.manage", {}, deps.now());
  if (!decision.ok) return refused(decision);
  const [roleRows, ruleRows, typeRows] = await deps.db.batch([
    deps.db
      .select({
        id: roles.id,
        code: roles.code,
        programId: roles.programId,
        requiresEndDate: roles.requiresEndDate,
        approverRule: roles.approverRule,
      })
      .from(roles)
      .where(and(eq(roles.id, input.roleId), eq(roles.isHelpDesk, false), eq(roles.isAdmin, false))),
    deps.db.select().from(roleOrgTypeRules).where(eq(roleOrgTypeRules.roleId, input.roleId)),
    deps.db.select({ id: organizationTypes.id }).from(organizationTypes),
  ]);
  const role = roleRows[0];
  if (!role) return fail("not_found");
  const known = new Set(typeRows.map((t) => t.id));
  const after = {
    orgTypeIds: [...new Set(input.orgTypeIds)].sort((a, b) => a - b),
    requiresEndDate: input.requiresEndDate,
    approverRule: input.approverRule,
  };
  if (after.orgTypeIds.some((id) => !known.has(id))) return fail("unknown_org_type", { field: "orgTypeIds" });
  const before = {
    orgTypeIds: ruleRows.map((r) => r.orgTypeId).sort((a, b) => a - b),
    requiresEndDate: role.requiresEndDate,
    approverRule: role.approverRule,
  };
  if (JSON.stringify(before) === JSON.stringify(after)) return ok({ changed: false });
  const removed = before.orgTypeIds.filter((id) => !after.orgTypeIds.includes(id));
  const added = after.orgTypeIds.filter((id) => !before.orgTypeIds.includes(id));
  await deps.db.batch([
    auditInsert(deps, {
      eventType: "role.rules_changed",
      outcome: "success",
      actorUserId: actor.userId,
      programId: role.programId,
      details: { role: role.code, before, after },
    }),
    deps.db
      .update(roles)
      .set({ requiresEndDate: after.requiresEndDate, approverRule: after.approverRule })
      .where(eq(roles.id, role.id)),
    ...(removed.length > 0
      ? [
          deps.db
            .delete(roleOrgTypeRules)
            .where(and(eq(roleOrgTypeRules.roleId, role.id), inArray(roleOrgTypeRules.orgTypeId, removed))),
        ]
      : []),
    ...(added.length > 0
      ? [
          deps.db
            .insert(roleOrgTypeRules)
            .values(added.map((orgTypeId) => ({ roleId: role.id, orgTypeId })))
            .onConflictDoNothing(),
        ]
      : []),
  ]);
  return ok({ changed: true });
}
