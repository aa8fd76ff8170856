import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  grantReaches,
  grantsReachSql,
  type ScopeGrant,
  type ScopeRule,
  type ScopeTarget,
  userReachesSql,
} from "../../app/.server/access/scope";
import { createDb } from "../../app/.server/db/client";
import { seedDatabase } from "../factories/seed";

/**
 * The scope rules of app/.server/access/scope.ts in both their forms, over ONE
 * table of cases: for every case the pure predicate (what `can()` asks) and
 * the SQL (what the queue, its count, the approver lists, the roster, the
 * audit scope and the lifecycle jobs ask), run against real D1 rows, must give
 * the expected answer. A change to either form alone fails here.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const A = 1;
const B = 2;
const X = 1;
const Y = 2;
const HOLDER = "holder";
const OTHER = "other";

const official = (programId: number | null, organizationId: number | null, by: string | null = null): ScopeGrant => ({
  programId,
  organizationId,
  isSecurityOfficial: true,
  isHelpDesk: false,
  isAdmin: false,
  recertifiedByUserId: by,
});
const helpDesk = (programId: number | null): ScopeGrant => ({
  programId,
  organizationId: null,
  isSecurityOfficial: false,
  isHelpDesk: true,
  isAdmin: false,
});
const admin: ScopeGrant = {
  programId: null,
  organizationId: null,
  isSecurityOfficial: false,
  isHelpDesk: false,
  isAdmin: true,
};
const endUser: ScopeGrant = {
  programId: A,
  organizationId: X,
  isSecurityOfficial: false,
  isHelpDesk: false,
  isAdmin: false,
};

const AX: ScopeTarget = { programId: A, organizationId: X };
const BX: ScopeTarget = { programId: B, organizationId: X };
const AY: ScopeTarget = { programId: A, organizationId: Y };
const noProgramX: ScopeTarget = { programId: null, organizationId: X };
const nothing: ScopeTarget = { programId: null, organizationId: null };
const firstAX: ScopeTarget = { ...AX, firstSecurityOfficial: true };
const officialRoleAX: ScopeTarget = { ...AX, holderUserId: HOLDER, securityOfficialRole: true };
const plainRoleAX: ScopeTarget = { ...AX, holderUserId: HOLDER, securityOfficialRole: false };

type Case = [rule: ScopeRule, grant: ScopeGrant, target: ScopeTarget, expected: boolean, why: string];

const CASES: Case[] = [
  ["official", official(A, X), AX, true, "an official of (A, X) for A at X"],
  ["official", official(A, X), BX, false, "not for program B at the same organization"],
  ["official", official(A, X), AY, false, "not for program A at another organization"],
  ["official", official(null, X), AX, false, "an official's grant without a program reaches nothing"],
  ["official", official(A, null), AX, false, "an official's grant without an organization reaches nothing"],
  ["official", helpDesk(null), AX, false, "the help desk is not an official"],
  ["help_desk", helpDesk(A), AX, true, "help desk of A, anywhere"],
  ["help_desk", helpDesk(A), AY, true, "help desk of A at another organization"],
  ["help_desk", helpDesk(A), BX, false, "help desk of A is not B's"],
  ["help_desk", helpDesk(null), BX, true, "a help desk for every program"],
  ["help_desk", helpDesk(null), noProgramX, false, "nothing without a program is the help desk's"],
  ["request", official(A, X), AX, true, "the official decides A's requests at X"],
  ["request", official(A, X), BX, false, "not B's requests at X"],
  ["request", official(A, X), firstAX, false, "not the first official's request"],
  ["request", helpDesk(A), firstAX, true, "the help desk decides the first official"],
  ["request", helpDesk(A), AY, true, "and may decide any request of its program"],
  ["request", helpDesk(B), AX, false, "but not another program's"],
  ["request", endUser, AX, false, "an end user decides nothing"],
  ["request", admin, AX, false, "an administrator does not decide requests"],
  ["request_approver", official(A, X), AX, true, "the official is asked for A at X"],
  ["request_approver", helpDesk(A), AX, false, "the help desk is not asked while there are officials"],
  ["request_approver", helpDesk(A), firstAX, true, "the help desk is asked for the first official"],
  ["request_approver", official(A, X), firstAX, false, "an official is not asked for the first official of A"],
  ["request_approver", official(A, X), { ...BX, firstSecurityOfficial: true }, false, "nor for program B's first"],
  ["role", official(A, X), plainRoleAX, true, "the official revokes A's roles at X"],
  ["role", official(A, X), { ...BX, holderUserId: HOLDER }, false, "not B's roles at X"],
  ["role", helpDesk(A), plainRoleAX, true, "the help desk of A revokes A's roles"],
  ["role", helpDesk(null), noProgramX, false, "no role without a program"],
  ["recertify", official(A, X), plainRoleAX, true, "the official recertifies A's roles at X"],
  ["recertify", official(A, X), officialRoleAX, true, "and another official's role"],
  ["recertify", official(A, X, HOLDER), officialRoleAX, false, "not the role of the official who recertified theirs"],
  ["recertify", official(A, X, OTHER), officialRoleAX, true, "a third official may"],
  ["recertify", official(A, X, HOLDER), plainRoleAX, true, "the cycle rule is for official roles only"],
  ["recertify", official(B, X), officialRoleAX, false, "an official of B is not A's"],
  ["recertify", helpDesk(A), officialRoleAX, true, "the help desk of A always may"],
  ["audit", admin, nothing, true, "administrators read every event"],
  ["audit", admin, noProgramX, true, "including those without a program"],
  ["audit", official(A, X), AX, true, "an official reads (A, X)"],
  ["audit", official(A, X), BX, false, "not program B's events at X"],
  ["audit", official(A, X), noProgramX, false, "nor X's events without a program (administrators only)"],
  ["audit", official(A, X), AY, false, "nor A's at another organization"],
  ["audit", helpDesk(A), AY, true, "the help desk reads its program's events"],
  ["audit", helpDesk(null), BX, true, "every program's, for a help desk of every program"],
  ["audit", helpDesk(null), noProgramX, false, "never an event without a program"],
  ["audit", endUser, AX, false, "an end user reads nothing"],
];

const flag = (v: boolean | undefined) => (v ? 1 : 0);

/** A bare user row (who holds a grant is all these cases need). */
async function person(): Promise<string> {
  const id = crypto.randomUUID();
  const loginId = `SCOPE${id.replaceAll("-", "").slice(0, 10).toUpperCase()}`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO users (id, login_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, 'Scope', 'Case', ?, ?, ?)",
  )
    .bind(id, loginId, `${loginId.toLowerCase()}@example.test`, now, now)
    .run();
  return id;
}

describe("the scope rules: the pure form and the SQL form agree on every case", () => {
  it("the pure predicate", () => {
    for (const [rule, grant, target, expected, why] of CASES)
      expect(grantReaches(rule, grant, target), `${rule}: ${why}`).toBe(expected);
  });

  it("the SQL over a grant as values (the actor's roles, as the queue, the roster and the audit log use it)", async () => {
    const db = createDb(env.DB);
    for (const [rule, grant, target, expected, why] of CASES) {
      const row = await db
        .select({
          ok: sql<number>`${grantsReachSql(rule, [grant], {
            programId: sql`${target.programId}`,
            organizationId: sql`${target.organizationId}`,
            firstSecurityOfficial: sql`${flag(target.firstSecurityOfficial)}`,
            holderUserId: target.holderUserId ?? null,
            securityOfficialRole: sql`${flag(target.securityOfficialRole)}`,
          })}`,
        })
        .from(sql`(SELECT 1)`)
        .get();
      expect(Boolean(row?.ok), `${rule}: ${why}`).toBe(expected);
    }
  });

  it("the SQL over real user_roles rows (the count in the menu, approver lists, lifecycle jobs, the recertification update)", async () => {
    const db = createDb(env.DB);
    const ids = async (q: string) => (await env.DB.prepare(q).all<{ id: number }>()).results.map((r) => r.id);
    const [programA, programB] = await ids("SELECT id FROM programs ORDER BY id LIMIT 2");
    const [orgX, orgY] = await ids("SELECT id FROM organizations ORDER BY id LIMIT 2");
    const program = (p: number | null) => (p === A ? programA : p === B ? programB : null);
    const org = (o: number | null) => (o === X ? orgX : o === Y ? orgY : null);
    const [holder, other] = [await person(), await person()];
    const who = (id: string | null | undefined) => (id === HOLDER ? holder : id === OTHER ? other : null);
    const roleCode = (g: ScopeGrant) =>
      g.isAdmin
        ? "HELP_DESK_ADMINISTRATOR"
        : g.isHelpDesk
          ? "HELP_DESK_APPROVER"
          : g.isSecurityOfficial
            ? "OSO"
            : "END_USER";
    const today = new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" });

    for (const [rule, grant, target, expected, why] of CASES) {
      // A fresh person holding exactly this grant, as a real row.
      const actor = await person();
      await env.DB.prepare(
        "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at, recertified_by_user_id) SELECT ?, ?, id, ?, ?, 'active', ?, ? FROM roles WHERE code = ?",
      )
        .bind(
          crypto.randomUUID(),
          actor,
          program(grant.programId),
          org(grant.organizationId),
          Date.now(),
          who(grant.recertifiedByUserId),
          roleCode(grant),
        )
        .run();
      const row = await db
        .select({
          ok: sql<number>`${userReachesSql(rule, actor, today, {
            programId: sql`${program(target.programId)}`,
            organizationId: sql`${org(target.organizationId)}`,
            firstSecurityOfficial: sql`${flag(target.firstSecurityOfficial)}`,
            holderUserId: who(target.holderUserId),
            securityOfficialRole: sql`${flag(target.securityOfficialRole)}`,
          })}`,
        })
        .from(sql`(SELECT 1)`)
        .get();
      expect(Boolean(row?.ok), `${rule}: ${why}`).toBe(expected);
    }
  });
});
