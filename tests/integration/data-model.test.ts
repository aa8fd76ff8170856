import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../app/.server/auth/password";
import { openSecret } from "../../app/.server/auth/secret-box";
import {
  buildSeedStatements,
  DEV_HELPDESK,
  GENERATED_PROVIDER_COUNT,
  PROGRAM_APP,
} from "../../app/.server/db/seed/build-seed";
import { seedDatabase } from "../factories/seed";

const count = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>())!.n;

const ftsNames = async (query: string) => {
  const { results } = await env.DB.prepare(
    "SELECT o.name FROM organizations_fts f JOIN organizations o ON o.id = f.rowid WHERE organizations_fts MATCH ? ORDER BY rank LIMIT 50",
  )
    .bind(query)
    .all<{ name: string }>();
  return results.map((r) => r.name);
};

beforeAll(async () => {
  await seedDatabase(env.DB, { devUsers: { totpKey: env.TOTP_ENCRYPTION_KEY } });
});

describe("seed data", () => {
  it("has the ten programs, seven organization types and the role rules", async () => {
    expect(await count("SELECT count(*) AS n FROM programs")).toBe(10);
    expect(await count("SELECT count(*) AS n FROM programs WHERE is_destination = 1")).toBe(9);
    expect(await count("SELECT count(*) AS n FROM organization_types")).toBe(7);
    const osoTypes = await env.DB.prepare(
      "SELECT t.name FROM role_org_type_rules r JOIN roles ro ON ro.id = r.role_id JOIN organization_types t ON t.id = r.org_type_id WHERE ro.code = 'OSO'",
    ).all<{ name: string }>();
    expect(osoTypes.results.map((r) => r.name)).toEqual(["QARM Org Security"]);
    const qbic = await env.DB.prepare(
      "SELECT t.name FROM role_org_type_rules r JOIN roles ro ON ro.id = r.role_id JOIN organization_types t ON t.id = r.org_type_id WHERE ro.code = 'QBIC_ANALYST' ORDER BY t.name",
    ).all<{ name: string }>();
    expect(qbic.results.map((r) => r.name)).toEqual(["CMS", "Contractor", "Regional Office", "State Government"]);
  });

  it("has the regional offices and a survey agency for every state, DC and territory as QARM Org Security", async () => {
    const qarm =
      "SELECT count(*) AS n FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security'";
    expect(await count(`${qarm} AND o.name LIKE 'REGIONAL OFFICE %'`)).toBe(11);
    expect(await count(`${qarm} AND o.name LIKE 'STATE OF % - SURVEY AND CERTIFICATION'`)).toBe(56);
    const ohio = await env.DB.prepare(
      "SELECT * FROM organizations WHERE name = 'STATE OF OHIO - SURVEY AND CERTIFICATION'",
    ).first<Record<string, string>>();
    expect(ohio).toMatchObject({ city: "COLUMBUS", state: "OH", zip: "43215", address1: "246 NORTH HIGH STREET" });
  });

  it("has thousands of generated providers with valid identifiers", async () => {
    expect(await count("SELECT count(*) AS n FROM organizations")).toBeGreaterThan(5000);
    expect(await count("SELECT count(*) AS n FROM organizations WHERE external_key LIKE 'provider:%'")).toBe(
      GENERATED_PROVIDER_COUNT,
    );
    expect(await count("SELECT count(*) AS n FROM organizations WHERE npi IS NOT NULL AND length(npi) <> 10")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM organizations WHERE ccn IS NOT NULL AND length(ccn) <> 6")).toBe(0);
  });

  it("running the seed again changes nothing", async () => {
    const before = await count("SELECT count(*) AS n FROM organizations");
    const users = await count("SELECT count(*) AS n FROM users");
    await seedDatabase(env.DB, { devUsers: { totpKey: env.TOTP_ENCRYPTION_KEY } });
    expect(await count("SELECT count(*) AS n FROM organizations")).toBe(before);
    expect(await count("SELECT count(*) AS n FROM users")).toBe(users);
    expect(await count("SELECT count(*) AS n FROM organizations_fts WHERE organizations_fts MATCH 'regional'")).toBe(
      await count("SELECT count(*) AS n FROM organizations WHERE name LIKE '%REGIONAL%' OR city LIKE '%REGIONAL%'"),
    );
  });

  it("creates the development help-desk approver with its password and encrypted TOTP key", async () => {
    const user = await env.DB.prepare("SELECT * FROM users WHERE login_id = ?")
      .bind(DEV_HELPDESK.loginId)
      .first<Record<string, unknown>>();
    const helpDesk = await env.DB.prepare(
      "SELECT count(*) AS n FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ? AND r.is_help_desk = 1 AND ur.status = 'active'",
    )
      .bind(user!.id)
      .first<{ n: number }>();
    expect(helpDesk?.n).toBeGreaterThan(0);
    const credential = await env.DB.prepare("SELECT hash FROM password_credentials WHERE user_id = ?")
      .bind(user?.id)
      .first<{ hash: string }>();
    expect(credential?.hash).toMatch(/^scrypt\$16384\$8\$5\$/);
    expect(credential?.hash).not.toContain(DEV_HELPDESK.password);
    expect(await verifyPassword(DEV_HELPDESK.password, credential!.hash)).toBe(true);
    const device = await env.DB.prepare("SELECT totp_secret_enc FROM mfa_devices WHERE id = ?")
      .bind(DEV_HELPDESK.deviceId)
      .first<{ totp_secret_enc: ArrayBuffer }>();
    const sealed = new Uint8Array(device!.totp_secret_enc);
    expect(new TextDecoder().decode(sealed)).not.toContain("Hello");
    const secret = await openSecret(env.TOTP_ENCRYPTION_KEY, sealed, `totp:${DEV_HELPDESK.deviceId}`);
    // JBSWY3DPEHPK3PXP is Base32 for "Hello!\xde\xad\xbe\xef".
    expect(new TextDecoder().decode(secret.slice(0, 6))).toBe("Hello!");
    // A help-desk approver role per program, and the Help Desk Administrator role.
    expect(await count("SELECT count(*) AS n FROM user_roles WHERE user_id = ? AND status = 'active'", user?.id)).toBe(
      11,
    );
    expect(
      await count(
        "SELECT count(*) AS n FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ? AND r.is_admin = 1",
        user?.id,
      ),
    ).toBe(1);
  });
});

describe("the sample program application's registration (development seed only)", () => {
  const jwks = { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k1", alg: "ES256", use: "sig" }] };
  const client = () =>
    env.DB.prepare(
      "SELECT c.*, p.code AS program FROM oidc_clients c JOIN programs p ON p.id = c.program_id WHERE c.id = ?",
    )
      .bind(PROGRAM_APP.clientId)
      .first<Record<string, string>>();

  it("registers it for one program at the origin it runs on, and a re-seed on another port moves its URIs", async () => {
    const devUsers = { totpKey: env.TOTP_ENCRYPTION_KEY };
    await seedDatabase(env.DB, { devUsers, programApp: { origin: "http://localhost:8788", jwks } });
    expect(await client()).toMatchObject({
      name: "Sample Program Application",
      program: PROGRAM_APP.program,
      redirect_uris: JSON.stringify(["http://localhost:8788/callback"]),
      post_logout_redirect_uris: JSON.stringify(["http://localhost:8788/"]),
      backchannel_logout_uri: "http://localhost:8788/backchannel-logout",
      initiate_login_uri: "http://localhost:8788/login",
      jwks: JSON.stringify(jwks),
      required_assurance: "aal2",
      status: "active",
    });
    await seedDatabase(env.DB, { devUsers, programApp: { origin: "http://localhost:41234", jwks } });
    expect((await client())?.redirect_uris).toBe(JSON.stringify(["http://localhost:41234/callback"]));
    expect(await count("SELECT count(*) AS n FROM oidc_clients WHERE id = ?", PROGRAM_APP.clientId)).toBe(1);
  });

  it("is never part of the production seed", async () => {
    const production = await buildSeedStatements();
    expect(production.join("\n")).not.toContain("oidc_clients");
    await expect(buildSeedStatements({ programApp: { origin: "http://localhost:8788", jwks } })).rejects.toThrow(
      /development seed only/,
    );
  });
});

describe("organization full-text index", () => {
  it("matches words of the name or city case-insensitively", async () => {
    const regional = await ftsNames("regional office");
    expect(regional.filter((n) => n.startsWith("REGIONAL OFFICE"))).toHaveLength(11);
    expect(await ftsNames("ohio")).toContain("STATE OF OHIO - SURVEY AND CERTIFICATION");
    expect(await ftsNames("COLUMBUS")).toContain("STATE OF OHIO - SURVEY AND CERTIFICATION");
  });

  it("follows inserts, renames and deletes through its triggers", async () => {
    const now = Date.now();
    const { meta } = await env.DB.prepare(
      "INSERT INTO organizations (external_key, name, org_type_id, city, state, zip, created_at, updated_at) VALUES ('test:fts', 'ZEPHYRINE CLINIC', 1, 'SPRINGFIELD', 'IL', '62701', ?, ?)",
    )
      .bind(now, now)
      .run();
    expect(await ftsNames("zephyrine")).toEqual(["ZEPHYRINE CLINIC"]);
    await env.DB.prepare("UPDATE organizations SET name = 'QUILLON CLINIC' WHERE id = ?").bind(meta.last_row_id).run();
    expect(await ftsNames("zephyrine")).toEqual([]);
    expect(await ftsNames("quillon")).toEqual(["QUILLON CLINIC"]);
    await env.DB.prepare("DELETE FROM organizations WHERE id = ?").bind(meta.last_row_id).run();
    expect(await ftsNames("quillon")).toEqual([]);
  });
});

describe("audit log", () => {
  it("is append-only: updates and deletes are refused by the database", async () => {
    await env.DB.prepare("INSERT INTO audit_events (occurred_at, event_type, outcome) VALUES (?, 'test.event', 'info')")
      .bind(Date.now())
      .run();
    await expect(env.DB.prepare("UPDATE audit_events SET outcome = 'success'").run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare("DELETE FROM audit_events").run()).rejects.toThrow(/append-only/);
  });
});
