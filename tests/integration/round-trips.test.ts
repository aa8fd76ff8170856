import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { seedDatabase } from "../factories/seed";
import { grantRole, signedInWithTotp } from "../factories/users";

/**
 * The performance budget: a signed-in screen waits on D1 at most twice (the
 * session with everything the chrome needs, then the screen's own data, each
 * one `db.batch()`). The Worker counts every call (`X-D1-Round-Trips`, see
 * app/.server/db/round-trips.ts); this test reads it for every screen.
 */
const BUDGET = 2;
/**
 * Screens allowed more, and why (docs/decisions/2026-11-23-round-trips-and-replicas.md): a user's
 * organization search spends the per-user search limit in its own conditional write before the search runs.
 */
const EXCEPTIONS: Record<string, number> = { "Search Organizations": 3 };

beforeAll(async () => {
  await seedDatabase(env.DB);
});

async function trips(browser: { get(path: string): Promise<Response> }, path: string) {
  const response = await browser.get(path);
  await response.arrayBuffer();
  return { status: response.status, trips: Number(response.headers.get("X-D1-Round-Trips")) };
}

describe("D1 round trips per signed-in screen", () => {
  it("every screen of a user, an approver and an administrator", async () => {
    const orgId = (await env.DB.prepare("SELECT id FROM organizations ORDER BY id LIMIT 1").first<number>(
      "id",
    )) as number;
    const user = await signedInWithTotp("Tripcount");
    const approver = await signedInWithTotp("Tripapprover");
    const programId = (await env.DB.prepare("SELECT id FROM programs ORDER BY id LIMIT 1").first<number>(
      "id",
    )) as number;
    await grantRole(approver.user.id, "OSO", { organizationId: orgId, programId });
    const admin = await signedInWithTotp("Tripadmin");
    await grantRole(admin.user.id, "HELP_DESK_ADMINISTRATOR");
    const clientId = `sp-trips${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO oidc_clients (id, name, program_id, redirect_uris, post_logout_redirect_uris, jwks, created_at, updated_at) VALUES (?, 'Trip App', ?, '[\"https://trip.example.test/cb\"]', '[]', '{\"keys\":[]}', ?, ?)",
    )
      .bind(clientId, programId, Date.now(), Date.now())
      .run();
    const screens: [string, typeof user.browser, string][] = [
      ["Welcome", user.browser, "/welcome"],
      ["My Account", user.browser, "/my-account"],
      ["Profile", user.browser, "/profile"],
      ["Devices", user.browser, "/profile/devices"],
      ["Request User Access", user.browser, "/my-account/request-access"],
      ["Welcome (approver)", approver.browser, "/welcome"],
      ["Pending Requests", approver.browser, "/role-requests"],
      ["Users at My Organizations", approver.browser, "/role-requests/users"],
      ["Audit log", approver.browser, "/audit-log"],
      ["Administration", admin.browser, "/admin"],
      ["Administration › Users", admin.browser, "/admin/users"],
      ["Administration › Organizations", admin.browser, "/admin/organizations"],
      ["Administration › Organizations, a search", admin.browser, "/admin/organizations?name=medical"],
      ["Search Organizations", user.browser, "/my-account/request-access/organizations?name=medical"],
      ["Administration › Import", admin.browser, "/admin/organizations/import"],
      ["Administration › Programs and roles", admin.browser, "/admin/programs"],
      ["Administration › Failed email", admin.browser, "/admin/failed-email"],
      ["Administration › Manual proofing", admin.browser, "/admin/proofing"],
      ["Administration › Terms and Conditions", admin.browser, "/admin/terms"],
      ["Administration › Applications", admin.browser, "/admin/applications"],
      ["Administration › Register an Application", admin.browser, "/admin/applications/new"],
      ["Administration › an application", admin.browser, `/admin/applications/${clientId}`],
    ];
    const rows: string[] = [];
    const over: string[] = [];
    for (const [name, browser, path] of screens) {
      const r = await trips(browser, path);
      expect(r.status, name).toBe(200);
      rows.push(`| ${name} | ${path} | ${r.trips} |`);
      if (r.trips > (EXCEPTIONS[name] ?? BUDGET)) over.push(`${name}: ${r.trips}`);
    }
    console.log(["", "| Screen | Path | D1 round trips |", "| --- | --- | --- |", ...rows, ""].join("\n"));
    expect(over).toEqual([]);
  });
});
