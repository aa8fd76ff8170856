import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../app/.server/auth/session";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { createDb } from "../../app/.server/db/client";
import type { Env } from "../../app/.server/env";
import { getActiveClient } from "../../app/.server/oidc/clients";
import { checkRegistration } from "../../app/.server/oidc/registration";
import type { ApplicationForm } from "../../app/lib/application-admin";
import { clearPageCache } from "../../worker/page-cache";
import { Browser, get } from "../factories/http";
import { seedDatabase } from "../factories/seed";

/**
 * Administration › Applications (SPEC 2.9): registering a program's application
 * through the real form with a pasted JWK Set, every check next to its field
 * with the input kept, editing with the audit's before and after, disabling
 * (its tokens stop at once), who may do it, and the destination chooser's link
 * to an application's Initiate Login URI.
 */

let programId = 0;
beforeAll(async () => {
  await seedDatabase(env.DB);
  const program = await env.DB.prepare(
    "SELECT id FROM programs WHERE code = 'OQR' AND active = 1 AND is_destination = 1",
  ).first<{ id: number }>();
  programId = program?.id as number;
});

/** A signed-in user with these roles, written straight into D1, with a session of the given strength. */
async function signedIn(roles: string[], session: { strongFactorAgoMs?: number } = {}) {
  const id = crypto.randomUUID();
  const loginId = `APP${crypto
    .randomUUID()
    .slice(0, 8)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "X")}`;
  const now = Date.now();
  const token = randomToken();
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO users (id, login_id, first_name, last_name, email, identity_verified_at, enrollment_completed_at, created_at, updated_at) VALUES (?, ?, 'Riley', 'Admin', ?, ?, ?, ?, ?)",
    ).bind(id, loginId, `${loginId.toLowerCase()}@example.test`, now, now, now, now),
    env.DB.prepare(
      "INSERT INTO password_credentials (user_id, hash, is_temporary, changed_at) VALUES (?, 'not-used', 0, ?)",
    ).bind(id, now),
    env.DB.prepare(
      "INSERT INTO challenge_answers (id, user_id, question_key, answer_hash, created_at) VALUES (?, ?, 'first_pet', 'not-used', ?)",
    ).bind(crypto.randomUUID(), id, now),
    env.DB.prepare(
      "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at, sid, amr) VALUES (?, ?, ?, ?, ?, 'strong', ?, ?, '[\"otp\"]')",
    ).bind(hashToken(token), id, now, now, now + 3600_000, now - (session.strongFactorAgoMs ?? 0), randomToken()),
    ...roles.map((role) =>
      env.DB.prepare(
        "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) SELECT ?, ?, id, NULL, (SELECT id FROM organizations ORDER BY id LIMIT 1), 'active', ? FROM roles WHERE code = ?",
      ).bind(crypto.randomUUID(), id, now, role),
    ),
  ]);
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, token);
  return { id, browser };
}

const admin = () => signedIn(["HELP_DESK_ADMINISTRATOR"]);

async function publicJwk(algorithm: "EC" | "RSA", bits = 2048): Promise<JsonWebKey & { kid?: string }> {
  const pair = (await crypto.subtle.generateKey(
    algorithm === "EC"
      ? { name: "ECDSA", namedCurve: "P-256" }
      : { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  // Only the key's own members, as a relying party publishes them.
  const { kty, crv, x, y, n, e } = jwk;
  return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e, kid: crypto.randomUUID().slice(0, 8) }));
}

async function privateJwk(): Promise<JsonWebKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
}

const jwksOf = (...keys: object[]) => JSON.stringify({ keys }, null, 2);

async function form(overrides: Partial<ApplicationForm> = {}): Promise<Record<string, string>> {
  return {
    name: `Program App ${crypto.randomUUID().slice(0, 6)}`,
    programId: String(programId),
    redirectUris: "https://app.example.test/callback\nhttps://app.example.test/callback2",
    postLogoutRedirectUris: "https://app.example.test/signed-out",
    backchannelLogoutUri: "https://app.example.test/backchannel",
    initiateLoginUri: "",
    jwks: jwksOf(await publicJwk("EC")),
    requiredAssurance: "aal2",
    signingAlg: "ES256",
    ...overrides,
  };
}

const decode = (html: string) =>
  html
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** The message shown next to a field of the application form (empty when none). */
function errorAt(html: string, field: string): string {
  const match = new RegExp(`<p class="ds-c-inline-error" id="application-${field}-error">([\\s\\S]*?)</p>`).exec(html);
  return match ? decode(match[1].replace(/<[^>]+>/g, "")).replace(/^Error:\s*/, "") : "";
}

/** The text a textarea of the form holds. */
function textareaValue(html: string, field: string): string | null {
  const match = new RegExp(`<textarea[^>]*name="${field}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  return match ? decode(match[1]) : null;
}

const clientIdFrom = (response: Response) =>
  decodeURIComponent(/\/admin\/applications\/([^?]+)/.exec(response.headers.get("Location") ?? "")?.[1] ?? "");

const events = async (clientId: string) =>
  (
    await env.DB.prepare(
      "SELECT event_type, actor_user_id, program_id, details_json FROM audit_events WHERE event_type LIKE 'oidc.client_%' AND json_extract(details_json, '$.clientId') = ? ORDER BY id",
    )
      .bind(clientId)
      .all<{ event_type: string; actor_user_id: string; program_id: number; details_json: string }>()
  ).results;

const db = () => ({ db: createDb(env.DB) });

async function register(browser: Browser, overrides: Partial<ApplicationForm> = {}) {
  const response = await browser.post("/admin/applications/new", await form(overrides));
  expect(response.status).toBe(302);
  return clientIdFrom(response);
}

describe("Administration › Applications: register", () => {
  it("registers an application with a pasted JWK Set through the form, shows its Client ID and audits it", async () => {
    const { id, browser } = await admin();
    const list = await browser.get("/admin/applications");
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml).toContain("<h1>Applications</h1>");
    expect(listHtml).toContain('href="/admin/applications/new"');
    expect(listHtml).toContain("Register an Application");

    const page = await browser.get("/admin/applications/new");
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const label of [
      "Register an Application",
      "Application Name",
      "Program",
      "Redirect URIs",
      "Post-Logout Redirect URIs",
      "Back-Channel Logout URI",
      "Initiate Login URI",
      "Public Keys (JWKS)",
      "Required Assurance",
      "AAL2, phishing-resistant",
      "Register Application",
    ])
      expect(html, label).toContain(label);

    const rsa = await publicJwk("RSA");
    const fields = await form({
      jwks: jwksOf(await publicJwk("EC"), rsa),
      requiredAssurance: "aal2_phishing_resistant",
    });
    const response = await browser.post("/admin/applications/new", fields);
    expect(response.status).toBe(302);
    const clientId = clientIdFrom(response);
    expect(clientId).toMatch(/^sp-[a-z2-7]{32}$/);

    const client = await getActiveClient(db(), clientId);
    expect(client?.name).toBe(fields.name);
    expect(client?.programId).toBe(programId);
    expect(client?.redirectUris).toEqual(["https://app.example.test/callback", "https://app.example.test/callback2"]);
    expect(client?.postLogoutRedirectUris).toEqual(["https://app.example.test/signed-out"]);
    expect(client?.backchannelLogoutUri).toBe("https://app.example.test/backchannel");
    expect(client?.initiateLoginUri).toBeNull();
    expect(client?.requiredAssurance).toBe("aal2_phishing_resistant");
    expect(client?.idTokenSignedResponseAlg).toBe("ES256");
    expect(JSON.parse(client?.jwks ?? "{}").keys).toHaveLength(2);
    expect(client?.createdByUserId).toBe(id);

    const shown = decode(await (await browser.get(response.headers.get("Location") as string)).text());
    expect(shown).toContain("Client ID");
    expect(shown).toContain(clientId);
    expect(shown).toContain("The application was registered.");
    expect(shown).toContain(`<h1>${fields.name}</h1>`);
    expect(shown).toContain("<dd>Outpatient Hospital Quality Reporting Program</dd>");
    expect(shown).toContain("Disable Application");
    const listed = decode(await (await browser.get("/admin/applications")).text());
    expect(listed).toMatch(
      new RegExp(
        `>${fields.name}</a>[\\s\\S]*?Outpatient Hospital Quality Reporting Program[\\s\\S]*?${clientId}[\\s\\S]*?Active`,
      ),
    );

    const [event] = await events(clientId);
    expect(event.event_type).toBe("oidc.client_registered");
    expect(event.actor_user_id).toBe(id);
    expect(event.program_id).toBe(programId);
    const details = JSON.parse(event.details_json);
    expect(details.after.name).toBe(fields.name);
    expect(details.after.keys).toHaveLength(2);
    expect(details.after.keys[1].kid).toBe(rsa.kid);
    expect(details.after.keys[1].thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The audit log holds the keys' fingerprints, not the JWK Set.
    expect(event.details_json).not.toContain(rsa.n as string);
  });

  it("shows every problem next to its field and keeps what was typed", async () => {
    const { browser } = await admin();
    const ec = await publicJwk("EC");
    const cases: [Partial<ApplicationForm>, string, string][] = [
      [{ name: "" }, "name", "Enter the application's name."],
      [{ name: "x".repeat(101) }, "name", "Enter at most 100 characters."],
      [{ programId: "999999" }, "programId", "Choose a program from the list."],
      [{ redirectUris: "" }, "redirectUris", "Enter at least one Redirect URI."],
      [
        { redirectUris: "ftp://app.example.test/cb" },
        "redirectUris",
        "ftp://app.example.test/cb is not an address that can be registered",
      ],
      [
        { redirectUris: "https://app.example.test/cb#top" },
        "redirectUris",
        "https://app.example.test/cb#top is not an address that can be registered",
      ],
      [
        { redirectUris: "https://app.example.test/cb\nhttps://app.example.test/cb" },
        "redirectUris",
        "https://app.example.test/cb is entered twice",
      ],
      [
        { redirectUris: "https://app.example.test/cb\nhttps://other.example.test/cb" },
        "redirectUris",
        "Enter Redirect URIs on one host only",
      ],
      [
        { redirectUris: Array.from({ length: 11 }, (_, i) => `https://app.example.test/cb${i}`).join("\n") },
        "redirectUris",
        "Enter at most 10 addresses",
      ],
      [
        { postLogoutRedirectUris: "not a uri" },
        "postLogoutRedirectUris",
        "not a uri is not an address that can be registered",
      ],
      [
        { backchannelLogoutUri: "http://app.example.test/bc" },
        "backchannelLogoutUri",
        "http://app.example.test/bc is not an address that can be registered",
      ],
      [
        { initiateLoginUri: "javascript:alert(1)" },
        "initiateLoginUri",
        "javascript:alert(1) is not an address that can be registered",
      ],
      [{ jwks: "" }, "jwks", "Paste the application's public keys (JWKS)."],
      [{ jwks: "{keys:" }, "jwks", "The keys are not valid JSON"],
      [{ jwks: JSON.stringify([ec]) }, "jwks", "Paste a JWK Set"],
      [{ jwks: jwksOf() }, "jwks", "Paste 1 to 5 keys."],
      [{ jwks: jwksOf(ec, ec, ec, ec, ec, ec) }, "jwks", "Paste 1 to 5 keys."],
      [{ jwks: jwksOf(ec, await privateJwk()) }, "jwks", "Key 2 is a private key."],
      [{ jwks: jwksOf({ kty: "oct", k: "c2VjcmV0" }) }, "jwks", "Key 1 is a private key."],
      [
        { jwks: jwksOf({ kty: "OKP", crv: "Ed25519", x: ec.x }) },
        "jwks",
        "Key 1 is not an EC P-256 or RSA public key.",
      ],
      [{ jwks: jwksOf({ ...ec, crv: "P-384" }) }, "jwks", "Key 1 is not an EC P-256 or RSA public key."],
      [{ jwks: jwksOf(await publicJwk("RSA", 1024)) }, "jwks", "Key 1 is an RSA key shorter than 2048 bits"],
      [{ jwks: jwksOf({ ...ec, use: "enc" }) }, "jwks", "Key 1 is not a signing key"],
      [{ jwks: jwksOf({ ...ec, alg: "RS256" }) }, "jwks", "Key 1 names another algorithm"],
      [{ jwks: jwksOf({ ...ec, x: "AAAA" }) }, "jwks", "Key 1 cannot be read as a public key"],
      [{ requiredAssurance: "aal3" }, "requiredAssurance", "Choose a required assurance from the list."],
      [{ signingAlg: "HS256" }, "signingAlg", "Choose ES256 or RS256."],
    ];
    for (const [overrides, field, message] of cases) {
      const fields = await form({ initiateLoginUri: "https://app.example.test/start", ...overrides });
      const response = await browser.post("/admin/applications/new", fields);
      const label = `${field}: ${message}`;
      expect(response.status, label).toBe(400);
      const html = await response.text();
      expect(errorAt(html, field), label).toContain(message);
      // The other fields keep what was typed.
      if (field !== "name") expect(html, label).toContain(`value="${fields.name}"`);
      if (field !== "redirectUris") expect(textareaValue(html, "redirectUris"), label).toBe(fields.redirectUris);
      if (field !== "jwks") expect(textareaValue(html, "jwks"), label).toBe(fields.jwks);
      // The field in error keeps its text too (a long JWK Set is not retyped).
      if (field === "jwks" || field === "redirectUris") expect(textareaValue(html, field), label).toBe(fields[field]);
    }
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM oidc_clients WHERE name = ?")
      .bind("x".repeat(101))
      .first<number>("n");
    expect(count).toBe(0);
  });

  it("reports several problems at once, each next to its own field", async () => {
    const { browser } = await admin();
    const response = await browser.post(
      "/admin/applications/new",
      await form({
        programId: "",
        redirectUris: "",
        jwks: jwksOf(await privateJwk()),
        requiredAssurance: "aal1",
        signingAlg: "RS256",
      }),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(errorAt(html, "programId")).toBe("Choose a program from the list.");
    expect(errorAt(html, "redirectUris")).toBe("Enter at least one Redirect URI.");
    expect(errorAt(html, "jwks")).toContain("Key 1 is a private key.");
    expect(errorAt(html, "name")).toBe("");
    // The choices are kept too (no field name here reads as a secret that a failed form drops).
    expect(html).toMatch(/<option value="RS256" selected="">/);
    expect(html).toMatch(/<option value="aal1" selected="">/);
  });

  it("refuses http://localhost in production and allows it outside", async () => {
    const production = { ...env, ENVIRONMENT: "production" } as unknown as Env;
    const development = { ...env, ENVIRONMENT: "development" } as unknown as Env;
    const input = {
      ...((await form({
        redirectUris: "http://localhost:8788/callback",
        postLogoutRedirectUris: "http://127.0.0.1:8788/out",
      })) as ApplicationForm),
    };
    const refused = await checkRegistration({ env: production }, input, [programId]);
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.problems.map((p) => [p.code, p.field])).toEqual([
        ["uri_local_in_production", "redirectUris"],
        ["uri_local_in_production", "postLogoutRedirectUris"],
      ]);
    const allowed = await checkRegistration({ env: development }, input, [programId]);
    expect(allowed.ok).toBe(true);
  });
});

describe("Administration › Applications: edit, disable, enable", () => {
  it("ends every consent and token when the program or the redirect host changes, and keeps them otherwise", async () => {
    const { browser } = await admin();
    const first = await form();
    const clientId = clientIdFrom(await browser.post("/admin/applications/new", first));
    const userId = (await env.DB.prepare("SELECT id FROM users ORDER BY created_at LIMIT 1").first<string>(
      "id",
    )) as string;
    const consent = async () => {
      const grant = `gr-${crypto.randomUUID()}`;
      await env.DB.batch([
        env.DB.prepare(
          "INSERT INTO oidc_grants (id, user_id, client_id, scope, created_at, updated_at) VALUES (?, ?, ?, 'openid', ?, ?) ON CONFLICT DO NOTHING",
        ).bind(grant, userId, clientId, Date.now(), Date.now()),
        env.DB.prepare(
          "INSERT INTO oidc_access_tokens (token_hash, code_hash, grant_id, client_id, user_id, sub, scope, created_at, expires_at) VALUES (?, 'c', ?, ?, ?, 's', 'openid', ?, ?)",
        ).bind(`t-${crypto.randomUUID()}`, grant, clientId, userId, Date.now(), Date.now() + 600_000),
      ]);
    };
    const count = async (table: string) =>
      (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE client_id = ?`)
        .bind(clientId)
        .first<number>("n")) ?? 0;
    await consent();
    // A new name keeps them.
    await browser.post(`/admin/applications/${clientId}`, { ...first, intent: "save", name: `${first.name} 2` });
    expect([await count("oidc_grants"), await count("oidc_access_tokens")]).toEqual([1, 1]);
    // A new redirect host ends them (another pairwise sub).
    await browser.post(`/admin/applications/${clientId}`, {
      ...first,
      intent: "save",
      name: `${first.name} 2`,
      redirectUris: "https://moved.example.test/callback",
    });
    expect([await count("oidc_grants"), await count("oidc_access_tokens")]).toEqual([0, 0]);
    // So does a new program (other roles).
    await consent();
    const other = (await env.DB.prepare("SELECT id FROM programs WHERE active = 1 AND id <> ? ORDER BY id LIMIT 1")
      .bind(programId)
      .first<number>("id")) as number;
    await browser.post(`/admin/applications/${clientId}`, {
      ...first,
      intent: "save",
      name: `${first.name} 2`,
      redirectUris: "https://moved.example.test/callback",
      programId: String(other),
    });
    expect([await count("oidc_grants"), await count("oidc_access_tokens")]).toEqual([0, 0]);
    expect((await getActiveClient(db(), clientId))?.programId).toBe(other);
  });

  it("saves a change, audits the fields before and after, and says when nothing changed", async () => {
    const { id, browser } = await admin();
    const first = await form();
    const created = await browser.post("/admin/applications/new", first);
    const clientId = clientIdFrom(created);
    const newKey = await publicJwk("EC");
    const edited = {
      ...first,
      intent: "save",
      name: `${first.name} Renamed`,
      redirectUris: "https://app.example.test/callback",
      initiateLoginUri: "https://app.example.test/start",
      jwks: jwksOf(newKey),
      requiredAssurance: "aal1",
      signingAlg: "RS256",
    };
    const saved = await browser.post(`/admin/applications/${clientId}`, edited);
    expect(saved.status).toBe(302);
    expect(saved.headers.get("Location")).toBe(`/admin/applications/${clientId}?saved=updated`);
    const client = await getActiveClient(db(), clientId);
    expect(client?.name).toBe(edited.name);
    expect(client?.redirectUris).toEqual(["https://app.example.test/callback"]);
    expect(client?.initiateLoginUri).toBe("https://app.example.test/start");
    expect(client?.requiredAssurance).toBe("aal1");
    expect(client?.idTokenSignedResponseAlg).toBe("RS256");

    const [, updated] = await events(clientId);
    expect(updated.event_type).toBe("oidc.client_updated");
    expect(updated.actor_user_id).toBe(id);
    const details = JSON.parse(updated.details_json);
    expect(details.before.name).toBe(first.name);
    expect(details.after.name).toBe(edited.name);
    expect(details.before.redirectUris).toHaveLength(2);
    expect(details.after.redirectUris).toEqual(["https://app.example.test/callback"]);
    expect(details.before.initiateLoginUri).toBeNull();
    expect(details.after.keys[0].kid).toBe(newKey.kid);
    expect(details.before.requiredAssurance).toBe("aal2");
    expect(details.after.requiredAssurance).toBe("aal1");
    // Unchanged fields are not listed.
    expect(details.before).not.toHaveProperty("postLogoutRedirectUris");
    expect(details.after).not.toHaveProperty("programId");

    const page = decode(await (await browser.get(saved.headers.get("Location") as string)).text());
    expect(page).toContain("Your changes were saved.");
    expect(page).toContain(edited.name);

    const again = await browser.post(`/admin/applications/${clientId}`, edited);
    expect(again.status).toBe(400);
    expect(decode(await again.text())).toContain("Nothing was changed.");
    expect(await events(clientId)).toHaveLength(2);

    const invalid = await browser.post(`/admin/applications/${clientId}`, {
      ...edited,
      redirectUris: "https://a.example.test/cb\nhttps://b.example.test/cb",
    });
    expect(invalid.status).toBe(400);
    const invalidHtml = await invalid.text();
    expect(errorAt(invalidHtml, "redirectUris")).toContain("Enter Redirect URIs on one host only");
    expect(textareaValue(invalidHtml, "redirectUris")).toBe("https://a.example.test/cb\nhttps://b.example.test/cb");
    expect((await getActiveClient(db(), clientId))?.redirectUris).toEqual(["https://app.example.test/callback"]);
  });

  it("disables at once (its access tokens go, getActiveClient says null) and enables again, each audited", async () => {
    const { id, browser } = await admin();
    const clientId = await register(browser);
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO oidc_access_tokens (token_hash, code_hash, grant_id, client_id, user_id, sub, scope, created_at, expires_at) VALUES (?, 'code', 'grant', ?, ?, 'sub', 'openid', ?, ?)",
    )
      .bind(hashToken(randomToken()), clientId, id, now, now + 600_000)
      .run();

    const disabled = await browser.post(`/admin/applications/${clientId}`, { intent: "disable" });
    expect(disabled.status).toBe(302);
    expect(disabled.headers.get("Location")).toBe(`/admin/applications/${clientId}?saved=disabled`);
    expect(await getActiveClient(db(), clientId)).toBeNull();
    const tokens = await env.DB.prepare("SELECT COUNT(*) AS n FROM oidc_access_tokens WHERE client_id = ?")
      .bind(clientId)
      .first<number>("n");
    expect(tokens).toBe(0);
    const page = decode(await (await browser.get(disabled.headers.get("Location") as string)).text());
    expect(page).toContain("The application is disabled.");
    expect(page).toContain("Enable Application");
    expect(decode(await (await browser.get("/admin/applications")).text())).toMatch(
      new RegExp(`${clientId}[\\s\\S]*?Disabled`),
    );

    // Disabling twice changes nothing and writes no second event.
    const twice = await browser.post(`/admin/applications/${clientId}`, { intent: "disable" });
    expect(twice.headers.get("Location")).toBe(`/admin/applications/${clientId}?saved=unchanged`);

    const enabled = await browser.post(`/admin/applications/${clientId}`, { intent: "enable" });
    expect(enabled.headers.get("Location")).toBe(`/admin/applications/${clientId}?saved=enabled`);
    expect((await getActiveClient(db(), clientId))?.id).toBe(clientId);

    const types = (await events(clientId)).map((e) => e.event_type);
    expect(types).toEqual(["oidc.client_registered", "oidc.client_disabled", "oidc.client_enabled"]);
    const disabledEvent = (await events(clientId))[1];
    expect(JSON.parse(disabledEvent.details_json)).toMatchObject({
      before: { status: "active" },
      after: { status: "disabled" },
    });
    expect(disabledEvent.actor_user_id).toBe(id);
  });
});

describe("Administration › Applications: who may", () => {
  it("answers 404 to anyone but an administrator, and sends an administrator without a fresh strong factor to step up", async () => {
    const { browser: owner } = await admin();
    const clientId = await register(owner);
    const official = await signedIn(["OSO"]);
    const desk = await signedIn([]);
    for (const { browser } of [official, desk]) {
      for (const path of ["/admin/applications", "/admin/applications/new", `/admin/applications/${clientId}`])
        expect((await browser.get(path)).status, path).toBe(404);
      expect((await browser.post("/admin/applications/new", await form())).status).toBe(404);
      expect((await browser.post(`/admin/applications/${clientId}`, { intent: "disable" })).status).toBe(404);
    }
    expect(await getActiveClient(db(), clientId)).not.toBeNull();

    const stale = await signedIn(["HELP_DESK_ADMINISTRATOR"], { strongFactorAgoMs: 20 * 60 * 1000 });
    expect((await stale.browser.get("/admin/applications")).status).toBe(200);
    const post = await stale.browser.post(`/admin/applications/${clientId}`, { intent: "disable" });
    expect(post.status).toBe(302);
    expect(post.headers.get("Location")).toMatch(/^\/step-up\?redirectTo=/);
    expect(await getActiveClient(db(), clientId)).not.toBeNull();
    const registered = await stale.browser.post("/admin/applications/new", await form());
    expect(registered.headers.get("Location")).toMatch(/^\/step-up\?redirectTo=/);
  });

  it("is listed in the Administration menu", async () => {
    const { browser } = await admin();
    const html = await (await browser.get("/admin")).text();
    expect(html).toMatch(/href="\/admin\/applications"[^>]*>Applications</);
  });
});

describe('"Choose Your QualityNet Destination" and the programs\' applications', () => {
  const linkOf = (html: string, name: string) =>
    decode(new RegExp(`<a href="([^"]*)"[^>]*>${name}</a>`).exec(html)?.[1] ?? "");

  it("links a program with an active application's Initiate Login URI there, with iss; otherwise to the Terms", async () => {
    const { browser } = await admin();
    // A program no other test here registers an application for.
    const program = await env.DB.prepare(
      "SELECT id, code, name FROM programs WHERE code = 'ASC-QR' AND active = 1 AND is_destination = 1",
    ).first<{ id: number; code: string; name: string }>();
    if (!program) throw new Error("the seed has no ASC-QR destination");
    const name = program.name.replace(/&/g, "&amp;");
    const terms = `/terms?program=${program.code}`;
    clearPageCache();
    expect(linkOf(await (await get("/destination")).text(), name)).toBe(terms);

    // Two applications of the program with an Initiate Login URI: the earliest registered is the link.
    const first = await register(browser, {
      programId: String(program.id),
      initiateLoginUri: "https://first.example.test/start?from=portal",
    });
    const second = await register(browser, {
      programId: String(program.id),
      initiateLoginUri: "https://second.example.test/start",
    });
    // An application without one does not change the link.
    await register(browser, { programId: String(program.id) });
    const issuer = env.PUBLIC_ORIGIN.replace(/\/+$/, "");
    const expected = `https://first.example.test/start?from=portal&iss=${encodeURIComponent(issuer)}`;

    // Anonymous visitors get the kept page for up to a minute, like any program change (worker/page-cache.ts).
    clearPageCache();
    const html = await (await get("/destination")).text();
    expect(linkOf(html, name)).toBe(expected);
    expect(html).not.toContain("<script");
    // Other programs still go to the Terms.
    expect(html).toContain('href="/terms?program=IQR"');
    // Still one D1 round trip for the screen (a fresh render: any cookie skips the kept page).
    const fresh = await get("/destination", { Cookie: "anything=1" });
    expect(fresh.headers.get("X-D1-Round-Trips")).toBe("1");
    expect(linkOf(await fresh.text(), name)).toBe(expected);

    // A disabled application's link goes; the next one with an Initiate Login URI takes its place.
    await browser.post(`/admin/applications/${first}`, { intent: "disable" });
    clearPageCache();
    expect(linkOf(await (await get("/destination")).text(), name)).toBe(
      `https://second.example.test/start?iss=${encodeURIComponent(issuer)}`,
    );
    await browser.post(`/admin/applications/${second}`, { intent: "disable" });
    clearPageCache();
    expect(linkOf(await (await get("/destination")).text(), name)).toBe(terms);
  });
});
