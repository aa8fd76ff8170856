import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../app/.server/auth/session";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { ACR, pairwiseSubject } from "../../app/.server/oidc/config";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, totpNow } from "../factories/users";

/**
 * The authorization endpoint (app/routes/oidc.authorize.tsx), one describe per
 * OpenID Foundation conformance module it mirrors (oidcc-basic-certification-test-plan),
 * then consent, assurance and Connected Applications.
 */

const ISSUER = ORIGIN;

/** A registered application, straight into D1 (the part of Administration → Applications this needs). */
async function createClient(
  options: {
    redirectUris?: string[];
    requiredAssurance?: "aal1" | "aal2" | "aal2_phishing_resistant";
    status?: "active" | "disabled";
    name?: string;
  } = {},
) {
  const id = `sp-test${randomToken().slice(0, 20)}`;
  const redirectUris = options.redirectUris ?? [`https://app-${id}.example/callback`];
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO oidc_clients (id, name, program_id, redirect_uris, post_logout_redirect_uris, jwks, required_assurance, status, created_at, updated_at)
     VALUES (?, ?, (SELECT id FROM programs WHERE code = 'IQR'), ?, '[]', '{"keys":[]}', ?, ?, ?, ?)`,
  )
    .bind(
      id,
      options.name ?? "Quality Reporting App",
      JSON.stringify(redirectUris),
      options.requiredAssurance ?? "aal2",
      options.status ?? "active",
      now,
      now,
    )
    .run();
  return { id, redirectUri: redirectUris[0], redirectUris, name: options.name ?? "Quality Reporting App" };
}
type Client = Awaited<ReturnType<typeof createClient>>;

/** An enrolled user (authenticator app) with a session written straight into D1, of the strength a test needs. */
async function signedInUser(
  options: {
    assurance?: "weak" | "strong";
    amr?: string[];
    /** How long ago the session was created (and, for a strong one, its factor proven). */
    ageMs?: number;
    enrolled?: boolean;
  } = {},
) {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const user = await createUser(options.enrolled === false ? { verified: true } : { totpKey: key });
  const token = randomToken();
  const sid = randomToken();
  const at = Date.now() - (options.ageMs ?? 0);
  const assurance = options.assurance ?? "strong";
  const amr = options.amr ?? (assurance === "strong" ? ["pwd", "otp", "mfa"] : ["pwd", "email"]);
  await env.DB.prepare(
    "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at, sid, amr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
  )
    .bind(
      hashToken(token),
      user.id,
      at,
      Date.now(),
      Date.now() + 3600_000,
      assurance,
      assurance === "strong" ? at : null,
      sid,
      JSON.stringify(amr),
    )
    .run();
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, token);
  return { user, browser, key, sid };
}

const verifier = () => randomToken() + randomToken();
async function challengeOf(codeVerifier: string) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier)));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A good authorization request for the client, with `overrides` (null removes a parameter). */
async function authorizeParams(client: Client, overrides: Record<string, string | null> = {}) {
  const params: Record<string, string | null> = {
    client_id: client.id,
    redirect_uri: client.redirectUri,
    response_type: "code",
    scope: "openid",
    state: `st-${randomToken()}`,
    nonce: `n-${randomToken()}`,
    code_challenge: await challengeOf(verifier()),
    code_challenge_method: "S256",
    ...overrides,
  };
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null) search.set(k, v);
  return search;
}

async function authorizePath(client: Client, overrides: Record<string, string | null> = {}) {
  return `/oidc/authorize?${await authorizeParams(client, overrides)}`;
}

/** Asks without a session. */
const anonymous = (path: string) => fetchWorker(`${ORIGIN}${path}`, { redirect: "manual", headers: { Host: HOST } });

const locationOf = (response: Response) => new URL(response.headers.get("Location") ?? "", ORIGIN);

/** The answer is an error sent to the client's redirect URI. */
function expectErrorRedirect(response: Response, client: Client, error: string, state: string | null) {
  expect(response.status).toBe(302);
  const location = locationOf(response);
  expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
  expect(location.searchParams.get("error")).toBe(error);
  expect(location.searchParams.get("error_description")).toBeTruthy();
  expect(location.searchParams.get("state")).toBe(state);
  expect(location.searchParams.get("iss")).toBe(ISSUER);
  expect(location.searchParams.has("code")).toBe(false);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
}

/** The answer is a code sent to the client's redirect URI; returns the code's row. */
async function expectCode(response: Response, client: Client, state: string) {
  expect(response.status, summary(response)).toBe(302);
  const location = locationOf(response);
  expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
  expect(location.searchParams.get("state")).toBe(state);
  expect(location.searchParams.get("iss")).toBe(ISSUER);
  const code = location.searchParams.get("code") ?? "";
  expect(code).toMatch(/^[a-z2-7]{32}$/);
  const row = await env.DB.prepare("SELECT * FROM oidc_authorization_codes WHERE code_hash = ?")
    .bind(hashToken(code))
    .first<Record<string, string | number | null>>();
  expect(row).not.toBeNull();
  return row as Record<string, string | number | null>;
}

const summary = (response: Response) => `${response.status} ${response.headers.get("Location") ?? ""}`;

/** A grant straight into D1 (a user who allowed the client before). */
async function grant(userId: string, client: Client, scope = "openid") {
  const id = `gr_${randomToken()}`;
  await env.DB.prepare(
    "INSERT INTO oidc_grants (id, user_id, client_id, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
  )
    .bind(id, userId, client.id, scope, Date.now(), Date.now())
    .run();
  return id;
}

/** "Confirm it is you" with the authenticator app, back to `redirectTo`. */
async function stepUp(browser: Browser, key: Uint8Array, redirectTo: string) {
  const response = await browser.post("/step-up", { deviceType: "totp", code: totpNow(key), redirectTo });
  expect(response.status).toBe(302);
  return response.headers.get("Location") ?? "";
}

const events = async (type: string, userId: string) =>
  (
    await env.DB.prepare("SELECT details_json FROM audit_events WHERE event_type = ? AND subject_user_id = ?")
      .bind(type, userId)
      .all<{ details_json: string }>()
  ).results.map((r) => JSON.parse(r.details_json) as Record<string, string>);

beforeAll(async () => {
  await seedDatabase(env.DB);
});

describe("oidcc-ensure-registered-redirect-uri", () => {
  it("answers a redirect URI that is not registered exactly with a page, never a redirect", async () => {
    const client = await createClient();
    for (const redirectUri of [
      "https://attacker.example/callback",
      `${client.redirectUri}/more`,
      `${client.redirectUri}?x=1`,
      client.redirectUri.toUpperCase(),
    ]) {
      const response = await anonymous(await authorizePath(client, { redirect_uri: redirectUri }));
      expect(response.status).toBe(400);
      expect(response.headers.has("Location")).toBe(false);
      expect(await response.text()).toContain("This sign-in link cannot be used");
    }
  });

  it("answers an unknown or disabled client with a page", async () => {
    const client = await createClient();
    const disabled = await createClient({ status: "disabled" });
    for (const path of [
      await authorizePath(client, { client_id: "sp-nobody" }),
      await authorizePath(client, { client_id: null }),
      await authorizePath(disabled),
    ]) {
      const response = await anonymous(path);
      expect(response.status).toBe(400);
      expect(response.headers.has("Location")).toBe(false);
      expect(await response.text()).toContain("not registered with the portal");
    }
  });
});

describe("oidcc-ensure-redirect-uri-in-authorization-request", () => {
  it("answers a request without redirect_uri with a page, even for a client with one registered URI", async () => {
    const client = await createClient();
    const response = await anonymous(await authorizePath(client, { redirect_uri: null }));
    expect(response.status).toBe(400);
    expect(response.headers.has("Location")).toBe(false);
  });
});

describe("oidcc-response-type-missing", () => {
  it("sends invalid_request back to the client, with state and iss", async () => {
    const client = await createClient();
    const response = await anonymous(await authorizePath(client, { response_type: null, state: "abc" }));
    expectErrorRedirect(response, client, "invalid_request", "abc");
  });
});

describe("oidcc-unsupported-response-type", () => {
  it("refuses the implicit and hybrid flows", async () => {
    const client = await createClient();
    for (const responseType of ["id_token", "token", "code id_token", "code token", "id_token token"]) {
      const response = await anonymous(await authorizePath(client, { response_type: responseType, state: "s1" }));
      expectErrorRedirect(response, client, "unsupported_response_type", "s1");
    }
  });
});

describe("oidcc-ensure-request-without-nonce-fails", () => {
  it("sends invalid_request when nonce is missing", async () => {
    const client = await createClient();
    const response = await anonymous(await authorizePath(client, { nonce: null, state: "s2" }));
    expectErrorRedirect(response, client, "invalid_request", "s2");
  });

  it("sends invalid_request when state is missing (the portal requires it)", async () => {
    const client = await createClient();
    const response = await anonymous(await authorizePath(client, { state: null }));
    expectErrorRedirect(response, client, "invalid_request", null);
  });
});

describe("PKCE is required with S256", () => {
  it("sends invalid_request without a code_challenge, with plain, or with a malformed challenge", async () => {
    const client = await createClient();
    const cases: Record<string, string | null>[] = [
      { code_challenge: null },
      { code_challenge_method: null },
      { code_challenge_method: "plain" },
      { code_challenge: "short" },
    ];
    for (const overrides of cases) {
      const response = await anonymous(await authorizePath(client, { ...overrides, state: "pk" }));
      expectErrorRedirect(response, client, "invalid_request", "pk");
    }
  });
});

describe("oidcc-scope-omitted (openid missing)", () => {
  it("sends invalid_scope without the openid scope, and ignores unknown scopes", async () => {
    const client = await createClient();
    for (const scope of [null, "email profile", "openidx"]) {
      const response = await anonymous(await authorizePath(client, { scope, state: "sc" }));
      expectErrorRedirect(response, client, "invalid_scope", "sc");
    }
    // Unknown scopes beside openid are ignored: the request goes on to sign-in.
    const response = await anonymous(await authorizePath(client, { scope: "openid offline_access phone" }));
    expect(locationOf(response).pathname).toBe("/terms");
  });
});

describe("oidcc-ensure-request-object-with-redirect-uri", () => {
  it("answers request objects, request_uri and registration as not supported", async () => {
    const client = await createClient();
    const cases: [Record<string, string>, string][] = [
      [{ request: "eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6InMifQ." }, "request_not_supported"],
      [{ request_uri: "https://app.example/request.jwt" }, "request_uri_not_supported"],
      [{ registration: '{"client_name":"x"}' }, "registration_not_supported"],
    ];
    for (const [extra, error] of cases) {
      const response = await anonymous(await authorizePath(client, { ...extra, state: "ro" }));
      expectErrorRedirect(response, client, error, "ro");
    }
  });
});

describe("oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported", () => {
  it("rejects an unsigned request object as unsupported, even when it carries the other parameters", async () => {
    const client = await createClient();
    const object = `${btoa('{"alg":"none"}')}.${btoa(JSON.stringify({ client_id: client.id, state: "inside" }))}.`;
    const response = await anonymous(
      await authorizePath(client, { request: object, state: null, nonce: null, code_challenge: null }),
    );
    expectErrorRedirect(response, client, "request_not_supported", null);
  });
});

describe("oidcc-prompt-none-not-logged-in", () => {
  it("answers login_required to the client without showing anything", async () => {
    const client = await createClient();
    const response = await anonymous(await authorizePath(client, { prompt: "none", state: "pn" }));
    expectErrorRedirect(response, client, "login_required", "pn");
  });
});

describe("oidcc-prompt-none-logged-in", () => {
  it("issues a code without a screen to a signed-in user who allowed the client before", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    const response = await browser.get(await authorizePath(client, { prompt: "none", state: "ok" }));
    await expectCode(response, client, "ok");
  });

  it("answers consent_required when the user has not allowed the client", async () => {
    const client = await createClient();
    const { browser } = await signedInUser();
    const response = await browser.get(await authorizePath(client, { prompt: "none", state: "cr" }));
    expectErrorRedirect(response, client, "consent_required", "cr");
  });

  it("answers interaction_required when the session is weaker than the client needs", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser({ assurance: "weak" });
    await grant(user.id, client);
    const response = await browser.get(await authorizePath(client, { prompt: "none", state: "ir" }));
    expectErrorRedirect(response, client, "interaction_required", "ir");
  });

  it("refuses prompt=none combined with another value", async () => {
    const client = await createClient();
    const response = await anonymous(await authorizePath(client, { prompt: "none login", state: "pc" }));
    expectErrorRedirect(response, client, "invalid_request", "pc");
  });
});

describe("no session: Terms, sign-in and back", () => {
  it("sends the browser through Terms for the client's program and sign-in, back to the request, even a long one", async () => {
    const client = await createClient();
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    await grant(user.id, client);
    const state = `long-${"x".repeat(450)}`;
    const path = await authorizePath(client, { state, nonce: "y".repeat(300) });
    const browser = new Browser();
    const first = await browser.get(path);
    expect(first.status).toBe(302);
    const terms = locationOf(first);
    expect(terms.pathname).toBe("/terms");
    expect(terms.searchParams.get("program")).toBe("IQR");
    const redirectTo = terms.searchParams.get("redirectTo") ?? "";
    expect(redirectTo.startsWith("/oidc/authorize?")).toBe(true);
    expect(new URLSearchParams(redirectTo.split("?")[1]).get("state")).toBe(state);

    expect((await browser.get(`${terms.pathname}${terms.search}`)).status).toBe(200);
    const accepted = await browser.post("/terms", { intent: "accept", program: "IQR", redirectTo });
    const login = locationOf(accepted);
    expect(login.pathname).toBe("/login");
    expect(login.searchParams.get("redirectTo")).toBe(redirectTo);
    await browser.post("/login", { intent: "next", userId: user.loginId });
    const signedIn = await browser.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      deviceType: "totp",
      code: totpNow(key),
      redirectTo,
    });
    expect(signedIn.headers.get("Location")).toBe(redirectTo);
    const back = await browser.get(redirectTo);
    await expectCode(back, client, state);
  });

  it("refuses a request too long to carry through sign-in, to the client", async () => {
    const client = await createClient();
    // Each "é" is 6 characters once encoded: far more than the 2,000 the sign-in forms carry.
    const state = "é".repeat(200);
    const response = await anonymous(await authorizePath(client, { state, nonce: "é".repeat(200) }));
    expectErrorRedirect(response, client, "invalid_request", state);
  });
});

describe("a signed-in user who may not connect", () => {
  it("sends a user whose enrollment is not finished to New User Enrollment", async () => {
    const client = await createClient();
    const { browser } = await signedInUser({ enrolled: false, assurance: "weak", amr: ["pwd"] });
    const response = await browser.get(await authorizePath(client));
    expect(response.status).toBe(302);
    expect(locationOf(response).pathname).toBe("/enrollment");
  });
});

describe("oidcc-prompt-login", () => {
  it("re-authenticates through Confirm it is you once, then issues the code with a later auth_time", async () => {
    const client = await createClient();
    const { user, browser, key } = await signedInUser({ ageMs: 60_000 });
    await grant(user.id, client);
    const path = await authorizePath(client, { prompt: "login", state: "pl" });
    const first = await browser.get(path);
    expect(first.status).toBe(302);
    const stepUpUrl = locationOf(first);
    expect(stepUpUrl.pathname).toBe("/step-up");
    const back = await stepUp(browser, key, stepUpUrl.searchParams.get("redirectTo") ?? "");
    expect(back.startsWith("/oidc/authorize?")).toBe(true);
    const row = await expectCode(await browser.get(back), client, "pl");
    expect(Number(row.auth_time)).toBeGreaterThan(Date.now() - 30_000);
  });

  it("does not accept a forged or foreign marker", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    const forged = `${Date.now() - 1000}.${"A".repeat(43)}`;
    const response = await browser.get(await authorizePath(client, { prompt: "login", reauth: forged }));
    expect(locationOf(response).pathname).toBe("/step-up");
  });
});

describe("oidcc-max-age-1", () => {
  it("sends a session older than max_age to Confirm it is you, and not again on the way back", async () => {
    const client = await createClient();
    const { user, browser, key } = await signedInUser({ ageMs: 5_000 });
    await grant(user.id, client);
    const first = await browser.get(await authorizePath(client, { max_age: "1", state: "ma" }));
    const stepUpUrl = locationOf(first);
    expect(stepUpUrl.pathname).toBe("/step-up");
    const back = await stepUp(browser, key, stepUpUrl.searchParams.get("redirectTo") ?? "");
    // Longer than max_age passes before the way back: the marker, not the clock, says it was done.
    await new Promise((r) => setTimeout(r, 1100));
    const row = await expectCode(await browser.get(back), client, "ma");
    expect(Number(row.auth_time)).toBeGreaterThan(Date.now() - 30_000);
  });

  it("answers login_required to prompt=none with an old session", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser({ ageMs: 5_000 });
    await grant(user.id, client);
    const response = await browser.get(await authorizePath(client, { max_age: "1", prompt: "none", state: "mn" }));
    expectErrorRedirect(response, client, "login_required", "mn");
  });
});

describe("oidcc-max-age-10000", () => {
  it("issues the code at once to a session younger than max_age", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser({ ageMs: 60_000 });
    await grant(user.id, client);
    const row = await expectCode(
      await browser.get(await authorizePath(client, { max_age: "10000", state: "mx" })),
      client,
      "mx",
    );
    expect(Math.abs(Number(row.auth_time) - (Date.now() - 60_000))).toBeLessThan(10_000);
  });
});

describe("oidcc-ensure-request-with-acr-values-succeeds", () => {
  it("issues a code when acr_values lists classes the session meets", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    const response = await browser.get(
      await authorizePath(client, { acr_values: `${ACR.aal1} ${ACR.aal2} urn:unknown`, state: "acr" }),
    );
    const row = await expectCode(response, client, "acr");
    expect(row.acr).toBe(ACR.aal2);
  });
});

describe("oidcc-ensure-other-scope-order-succeeds", () => {
  it("issues a code for the same scopes in another order", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client, "openid email");
    const row = await expectCode(
      await browser.get(await authorizePath(client, { scope: "email openid", state: "so" })),
      client,
      "so",
    );
    expect(row.scope).toBe("openid email");
  });
});

describe("oidcc-ensure-post-request-succeeds", () => {
  it("turns an application's cross-site form POST into the same request as a GET, which issues the code", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    const params = await authorizeParams(client, { state: "post" });
    const posted = await fetchWorker(`${ORIGIN}/oidc/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: {
        Host: HOST,
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://rp.example",
        "Sec-Fetch-Site": "cross-site",
      },
      body: params.toString(),
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("Cache-Control")).toBe("no-store");
    const location = locationOf(posted);
    expect(location.pathname).toBe("/oidc/authorize");
    expect(location.searchParams.get("state")).toBe("post");
    await expectCode(await browser.get(`${location.pathname}${location.search}`), client, "post");
  });

  it("still refuses a cross-site post of the consent form", async () => {
    const client = await createClient();
    const { user } = await signedInUser();
    const params = await authorizeParams(client);
    params.set("intent", "allow");
    const posted = await fetchWorker(`${ORIGIN}/oidc/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: {
        Host: HOST,
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://evil.example",
        "Sec-Fetch-Site": "cross-site",
      },
      body: params.toString(),
    });
    expect(posted.status).toBe(403);
    expect(await events("oidc.consent_granted", user.id)).toEqual([]);
  });
});

describe("consent", () => {
  it("asks the first time, issues the code on Allow, and not again", async () => {
    const client = await createClient({ name: "Hospital Quality App" });
    const { user, browser } = await signedInUser();
    const path = await authorizePath(client, { scope: "openid email profile", state: "c1" });
    const screen = await browser.get(path);
    expect(screen.status).toBe(200);
    expect(screen.headers.get("Cache-Control")).toBe("no-store");
    const html = await screen.text();
    expect(html).toContain("Allow Hospital Quality App to know who you are?");
    expect(html).toContain("Your email address");
    expect(html).toContain("Your name");
    expect(html).toMatch(/Your Hospital Inpatient Quality Reporting[^<]* roles|roles/);
    expect(html).toContain(">Allow<");
    expect(html).toContain(">Cancel<");
    // The form carries the request in hidden fields; it is checked again on the way back.
    const fields = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
        m[1],
        m[2].replace(/&amp;/g, "&"),
      ]),
    );
    expect(fields.state).toBe("c1");
    const allowed = await browser.post("/oidc/authorize", { ...fields, intent: "allow" });
    await expectCode(allowed, client, "c1");
    const grants = await env.DB.prepare("SELECT * FROM oidc_grants WHERE user_id = ? AND client_id = ?")
      .bind(user.id, client.id)
      .all<{ scope: string; last_used_at: number | null }>();
    expect(grants.results).toHaveLength(1);
    expect(grants.results[0].scope).toBe("openid email profile");
    expect(grants.results[0].last_used_at).not.toBeNull();
    expect(await events("oidc.consent_granted", user.id)).toHaveLength(1);
    expect((await events("oidc.authorized", user.id))[0]).toMatchObject({ clientId: client.id, acr: ACR.aal2 });

    // Next time: no screen at all, only the redirect.
    await expectCode(
      await browser.get(await authorizePath(client, { scope: "openid email", state: "c2" })),
      client,
      "c2",
    );
    expect(await events("oidc.consent_granted", user.id)).toHaveLength(1);
  });

  it("asks again when the scopes grow, and the grant gets a new id that its tokens follow", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    const oldGrant = await grant(user.id, client, "openid");
    const tokenHash = hashToken(randomToken());
    await env.DB.prepare(
      "INSERT INTO oidc_access_tokens (token_hash, code_hash, grant_id, client_id, user_id, sub, scope, created_at, expires_at) VALUES (?, 'c', ?, ?, ?, 's', 'openid', ?, ?)",
    )
      .bind(tokenHash, oldGrant, client.id, user.id, Date.now(), Date.now() + 600_000)
      .run();
    const screen = await browser.get(await authorizePath(client, { scope: "openid email", state: "g1" }));
    expect(screen.status).toBe(200);
    const fields = Object.fromEntries(
      (await authorizeParams(client, { scope: "openid email", state: "g1" })).entries(),
    );
    const row = await expectCode(await browser.post("/oidc/authorize", { ...fields, intent: "allow" }), client, "g1");
    const after = await env.DB.prepare("SELECT id, scope FROM oidc_grants WHERE user_id = ? AND client_id = ?")
      .bind(user.id, client.id)
      .first<{ id: string; scope: string }>();
    expect(after?.scope).toBe("openid email");
    expect(after?.id).not.toBe(oldGrant);
    expect(row.grant_id).toBe(after?.id);
    const token = await env.DB.prepare("SELECT grant_id FROM oidc_access_tokens WHERE token_hash = ?")
      .bind(tokenHash)
      .first<{ grant_id: string }>();
    expect(token?.grant_id).toBe(after?.id);
  });

  it("asks again with prompt=consent", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    const screen = await browser.get(await authorizePath(client, { prompt: "consent" }));
    expect(screen.status).toBe(200);
    expect(await screen.text()).toContain("to know who you are?");
  });

  it("Cancel tells the client access_denied, records it, and writes no grant or code", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    const fields = Object.fromEntries((await authorizeParams(client, { state: "no" })).entries());
    const cancelled = await browser.post("/oidc/authorize", { ...fields, intent: "cancel" });
    expectErrorRedirect(cancelled, client, "access_denied", "no");
    expect(await events("oidc.consent_refused", user.id)).toHaveLength(1);
    const counts = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM oidc_grants WHERE user_id = ?1) AS grants, (SELECT count(*) FROM oidc_authorization_codes WHERE user_id = ?1) AS codes",
    )
      .bind(user.id)
      .first<{ grants: number; codes: number }>();
    expect(counts).toEqual({ grants: 0, codes: 0 });
  });

  it("checks the request again when the consent form comes back", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    const fields = Object.fromEntries((await authorizeParams(client, { state: "tamper" })).entries());
    const tampered = await browser.post("/oidc/authorize", {
      ...fields,
      redirect_uri: "https://attacker.example/cb",
      intent: "allow",
    });
    expect(tampered.status).toBe(400);
    expect(tampered.headers.has("Location")).toBe(false);
    const noPkce = await browser.post("/oidc/authorize", { ...fields, code_challenge: "", intent: "allow" });
    expectErrorRedirect(noPkce, client, "invalid_request", "tamper");
    expect(await events("oidc.consent_granted", user.id)).toEqual([]);
  });
});

describe("the consent form's post", () => {
  it("answers a post without Allow or Cancel with 400, and a signed-out post with sign-in", async () => {
    const client = await createClient();
    const { browser } = await signedInUser();
    const fields = Object.fromEntries((await authorizeParams(client, { state: "f" })).entries());
    expect((await browser.post("/oidc/authorize", { ...fields, intent: "approve" })).status).toBe(400);
    const signedOut = new Browser();
    const response = await signedOut.post("/oidc/authorize", { ...fields, intent: "allow" });
    expect(response.status).toBe(302);
    expect(locationOf(response).pathname).toBe("/terms");
  });
});

describe("assurance", () => {
  it("sends a One-Time Security Code session reaching an AAL2 client to Confirm it is you, and back with a code", async () => {
    const client = await createClient({ requiredAssurance: "aal2" });
    const { user, browser, key, sid } = await signedInUser({ assurance: "weak", amr: ["pwd", "email"] });
    await grant(user.id, client);
    const first = await browser.get(await authorizePath(client, { state: "weak" }));
    const stepUpUrl = locationOf(first);
    expect(stepUpUrl.pathname).toBe("/step-up");
    const back = await stepUp(browser, key, stepUpUrl.searchParams.get("redirectTo") ?? "");
    const row = await expectCode(await browser.get(back), client, "weak");
    expect(row.acr).toBe(ACR.aal2);
    // The session's amr is the password and the factor just proven: the emailed code no longer counts.
    expect(JSON.parse(String(row.amr))).toEqual(["pwd", "otp", "mfa"]);
    expect(row.sid).toBe(sid);
    // The step-up stored the factor in the session's amr.
    const session = await env.DB.prepare("SELECT amr FROM sessions WHERE sid = ?").bind(sid).first<{ amr: string }>();
    expect(JSON.parse(session?.amr ?? "[]")).toContain("otp");
  });

  it("lets an AAL1 client take a weak session, with acr aal1", async () => {
    const client = await createClient({ requiredAssurance: "aal1" });
    const { user, browser } = await signedInUser({ assurance: "weak" });
    await grant(user.id, client);
    const row = await expectCode(await browser.get(await authorizePath(client, { state: "a1" })), client, "a1");
    expect(row.acr).toBe(ACR.aal1);
    expect(JSON.parse(String(row.amr))).toEqual(["pwd", "email"]);
  });

  it("sends a weak session to step up when acr_values asks for AAL2 of an AAL1 client", async () => {
    const client = await createClient({ requiredAssurance: "aal1" });
    const { user, browser } = await signedInUser({ assurance: "weak" });
    await grant(user.id, client);
    const response = await browser.get(await authorizePath(client, { acr_values: ACR.aal2 }));
    expect(locationOf(response).pathname).toBe("/step-up");
  });

  it("explains that a security key or passkey is needed when the step-up used an app code, without looping", async () => {
    const client = await createClient({ requiredAssurance: "aal2_phishing_resistant", name: "Key Only App" });
    const { user, browser, key } = await signedInUser();
    await grant(user.id, client);
    const first = await browser.get(await authorizePath(client, { state: "pr" }));
    const stepUpUrl = locationOf(first);
    expect(stepUpUrl.pathname).toBe("/step-up");
    const back = await stepUp(browser, key, stepUpUrl.searchParams.get("redirectTo") ?? "");
    const page = await browser.get(back);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("This application needs a security key or passkey");
    // A way back to the application, which is told access_denied.
    expect(html).toMatch(/error=access_denied/);
  });

  it("accepts a security-key session for a phishing-resistant client", async () => {
    const client = await createClient({ requiredAssurance: "aal2_phishing_resistant" });
    const { user, browser } = await signedInUser({ amr: ["pwd", "hwk", "mfa"] });
    await grant(user.id, client);
    const row = await expectCode(await browser.get(await authorizePath(client, { state: "hk" })), client, "hk");
    expect(row.acr).toBe(ACR.aal2_phishing_resistant);
  });
});

describe("the code's row", () => {
  it("holds everything the ID token will say, with a pairwise sub per sector host", async () => {
    const one = await createClient({ redirectUris: ["https://one.example/cb"] });
    const two = await createClient({ redirectUris: ["https://two.example/cb"] });
    const { user, browser, sid } = await signedInUser();
    await grant(user.id, one);
    await grant(user.id, two);
    const params = await authorizeParams(one, { state: "r1", nonce: "nonce-1" });
    const before = Date.now();
    const rowOne = await expectCode(await browser.get(`/oidc/authorize?${params}`), one, "r1");
    const rowTwo = await expectCode(await browser.get(await authorizePath(two, { state: "r2" })), two, "r2");
    expect(rowOne).toMatchObject({
      client_id: one.id,
      user_id: user.id,
      sid,
      redirect_uri: "https://one.example/cb",
      code_challenge: params.get("code_challenge"),
      nonce: "nonce-1",
      scope: "openid",
      acr: ACR.aal2,
      redeemed_at: null,
    });
    expect(JSON.parse(String(rowOne.amr))).toEqual(["pwd", "otp", "mfa"]);
    expect(Number(rowOne.expires_at) - Number(rowOne.created_at)).toBe(60_000);
    expect(Number(rowOne.created_at)).toBeGreaterThanOrEqual(before);
    expect(rowOne.sub).toBe(pairwiseSubject(env, "one.example", user.id));
    expect(rowTwo.sub).toBe(pairwiseSubject(env, "two.example", user.id));
    expect(rowOne.sub).not.toBe(rowTwo.sub);
    const logins = await env.DB.prepare("SELECT client_id, sub FROM oidc_logins WHERE sid = ? ORDER BY client_id")
      .bind(sid)
      .all<{ client_id: string; sub: string }>();
    expect(logins.results).toHaveLength(2);
    expect(logins.results.find((l) => l.client_id === one.id)?.sub).toBe(rowOne.sub);
  });
});

describe("Connected Applications", () => {
  it("lists the user's applications and Disconnect ends the grant, its tokens and the application's sessions", async () => {
    const client = await createClient({ name: "Disconnect Me App" });
    const other = await createClient({ name: "Stays Connected App" });
    const { user, browser, sid } = await signedInUser();
    const grantId = await grant(user.id, client);
    await grant(user.id, other);
    await expectCode(await browser.get(await authorizePath(client, { state: "d" })), client, "d");
    await env.DB.prepare(
      "INSERT INTO oidc_access_tokens (token_hash, code_hash, grant_id, client_id, user_id, sub, scope, created_at, expires_at) VALUES (?, 'c', ?, ?, ?, 's', 'openid', ?, ?)",
    )
      .bind(hashToken(randomToken()), grantId, client.id, user.id, Date.now(), Date.now() + 600_000)
      .run();

    const list = await browser.get("/profile/applications");
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain("Connected Applications");
    expect(html).toContain("Disconnect Me App");
    expect(html).toContain("Stays Connected App");
    expect(html).toContain("Disconnect");

    const done = await browser.post("/profile/applications", { intent: "disconnect", clientId: client.id });
    expect(done.status).toBe(302);
    expect(locationOf(done).pathname).toBe("/profile/applications");
    const state = await env.DB.prepare(
      `SELECT (SELECT count(*) FROM oidc_grants WHERE user_id = ?1 AND client_id = ?2) AS grants,
              (SELECT count(*) FROM oidc_access_tokens WHERE user_id = ?1 AND client_id = ?2) AS tokens,
              (SELECT count(*) FROM oidc_logins WHERE user_id = ?1 AND client_id = ?2) AS logins,
              (SELECT count(*) FROM oidc_logout_deliveries WHERE client_id = ?2 AND sid = ?3) AS deliveries,
              (SELECT count(*) FROM oidc_grants WHERE user_id = ?1) AS remaining`,
    )
      .bind(user.id, client.id, sid)
      .first();
    expect(state).toEqual({ grants: 0, tokens: 0, logins: 0, deliveries: 1, remaining: 1 });
    expect(await events("oidc.disconnected", user.id)).toEqual([{ clientId: client.id }]);

    // A second Disconnect finds nothing, and records nothing.
    const again = await browser.post("/profile/applications", { intent: "disconnect", clientId: client.id });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("That application is not connected to your account.");
    expect(await events("oidc.disconnected", user.id)).toHaveLength(1);

    // Next sign-in to it asks for consent again.
    expect((await browser.get(await authorizePath(client))).status).toBe(200);
  });

  it("cannot disconnect another user's application", async () => {
    const client = await createClient();
    const owner = await signedInUser();
    await grant(owner.user.id, client);
    const { browser } = await signedInUser();
    const response = await browser.post("/profile/applications", { intent: "disconnect", clientId: client.id });
    expect(response.status).toBe(400);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM oidc_grants WHERE user_id = ?")
      .bind(owner.user.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(1);
  });
});

/**
 * Request parameters the portal does not act on must not break the request
 * (OIDC Core §3.1.2.1: "ignore … not understood"). One describe per module.
 */
describe.each([
  ["oidcc-ensure-request-with-unknown-parameter-succeeds", { extra: "foobar" }],
  ["oidcc-display-page", { display: "page" }],
  ["oidcc-display-popup", { display: "popup" }],
  ["oidcc-login-hint", { login_hint: "someone@example.test" }],
  ["oidcc-ui-locales", { ui_locales: "se" }],
  ["oidcc-claims-locales", { claims_locales: "se" }],
  ["oidcc-claims-essential", { claims: JSON.stringify({ userinfo: { name: { essential: true } } }) }],
])("%s", (_module, extra) => {
  it("issues the code as without the parameter", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    await expectCode(await browser.get(await authorizePath(client, { ...extra, state: "ok" })), client, "ok");
  });
});

describe("oidcc-id-token-hint", () => {
  it("issues a code for prompt=none with an id_token_hint of the signed-in user", async () => {
    const client = await createClient();
    const { user, browser } = await signedInUser();
    await grant(user.id, client);
    const first = await expectCode(await browser.get(await authorizePath(client, { state: "h1" })), client, "h1");
    // The hint names the same person; the code that answers it is for the same pairwise subject.
    const hint = `eyJhbGciOiJFUzI1NiJ9.${btoa(JSON.stringify({ sub: first.sub, aud: client.id })).replace(/=+$/, "")}.sig`;
    const second = await expectCode(
      await browser.get(await authorizePath(client, { prompt: "none", id_token_hint: hint, state: "h2" })),
      client,
      "h2",
    );
    expect(second.sub).toBe(first.sub);
  });
});

describe("oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported", () => {
  it("rejects request_uri as unsupported", async () => {
    const client = await createClient();
    const response = await anonymous(
      await authorizePath(client, { request_uri: "https://app.example.test/request.jwt", state: "ru" }),
    );
    expectErrorRedirect(response, client, "request_uri_not_supported", "ru");
  });
});
