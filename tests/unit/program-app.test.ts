import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml, roleRows, signedInPage, signedOutPage } from "../../examples/program-app/src/html";
import app, { type Env } from "../../examples/program-app/src/index";
import { BACKCHANNEL_LOGOUT_EVENT, initiateLoginParams, returnPath } from "../../examples/program-app/src/oidc";
import { generateProgramAppJwk, publicJwkOf } from "../../scripts/program-app-key";

/**
 * The Sample Program Application (examples/program-app) against a stand-in
 * provider: a local HTTP server with a discovery document and a JWKS, so the
 * sample's own code (oauth4webapi, jose, Hono, its KV sessions) runs unchanged.
 * The whole path through the portal is tests/e2e/program-app.test.ts.
 */

/** An in-memory KV with the calls the sample makes. */
function memoryKv() {
  const data = new Map<string, string>();
  const kv = {
    data,
    async get(key: string, type?: "json") {
      const value = data.get(key);
      return value === undefined ? null : type === "json" ? JSON.parse(value) : value;
    },
    async put(key: string, value: string) {
      data.set(key, value);
    },
    async delete(key: string) {
      data.delete(key);
    },
  };
  return kv;
}

let server: Server;
let issuer: string;
let signingKey: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "portal-1", alg: "ES256", use: "sig" };
  server = createServer((req, res) => {
    res.setHeader("Content-Type", "application/json");
    if (req.url === "/.well-known/openid-configuration")
      return res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/oidc/authorize`,
          token_endpoint: `${issuer}/oidc/token`,
          userinfo_endpoint: `${issuer}/oidc/userinfo`,
          end_session_endpoint: `${issuer}/oidc/logout`,
          jwks_uri: `${issuer}/oidc/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["ES256", "RS256"],
        }),
      );
    if (req.url === "/oidc/jwks") return res.end(JSON.stringify({ keys: [publicJwk] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function env(): Promise<Env & { SESSIONS: ReturnType<typeof memoryKv> }> {
  return {
    ISSUER: issuer,
    CLIENT_ID: "sp-dev-program-app",
    APP_ORIGIN: "http://localhost:8788",
    REDIRECT_URI: "http://localhost:8788/callback",
    PRIVATE_JWK: JSON.stringify(await generateProgramAppJwk()),
    SESSIONS: memoryKv() as unknown as KVNamespace & ReturnType<typeof memoryKv>,
  };
}

const logoutToken = (claims: Record<string, unknown>, header: { typ?: string } = {}) =>
  new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "portal-1", typ: header.typ ?? "logout+jwt" })
    .setIssuer(issuer)
    .setAudience((claims.aud as string | undefined) ?? "sp-dev-program-app")
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .sign(signingKey);

const backchannel = (e: Env, token: string) =>
  app.request(
    "/backchannel-logout",
    {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ logout_token: token }).toString(),
    },
    e,
  );

describe("sample program application: sign-in request", () => {
  it("sends the browser to the provider's authorization endpoint with PKCE S256, state and nonce", async () => {
    const e = await env();
    const response = await app.request(`/login?iss=${encodeURIComponent(issuer)}&login_hint=abc`, {}, e);
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("Location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${issuer}/oidc/authorize`);
    const params = Object.fromEntries(location.searchParams);
    expect(params).toMatchObject({
      client_id: "sp-dev-program-app",
      redirect_uri: "http://localhost:8788/callback",
      response_type: "code",
      scope: "openid email profile",
      code_challenge_method: "S256",
      login_hint: "abc",
    });
    expect(params.state).toMatch(/^[\w-]{40,}$/);
    expect(params.nonce).toMatch(/^[\w-]{40,}$/);
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    // The verifier stays with the sample (KV), under a short-lived HttpOnly cookie for /callback.
    const cookie = response.headers.get("Set-Cookie")!;
    expect(cookie).toMatch(/program_app_login=[\w-]+/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/callback/);
    const [stored] = [...e.SESSIONS.data.values()].map((v) => JSON.parse(v));
    expect(stored).toMatchObject({ state: params.state, nonce: params.nonce, returnTo: "/" });
    expect(stored.verifier).not.toBe(params.code_challenge);
  });

  it("refuses a third-party-initiated login from another issuer", async () => {
    const response = await app.request("/login?iss=https%3A%2F%2Fevil.example", {}, await env());
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("does not trust");
  });

  it("a callback without its login cookie is refused without contacting the provider", async () => {
    const response = await app.request("/callback?code=abc&state=xyz", {}, await env());
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("This sign-in has expired");
  });

  it("keeps target_link_uri to its own origin", () => {
    const config = { issuer: "http://localhost:8787", appOrigin: "http://localhost:8788" };
    const own = new URLSearchParams({ iss: "http://localhost:8787/", target_link_uri: "http://localhost:8788/x?y=1" });
    expect(initiateLoginParams(own, config)).toEqual({ ok: true, loginHint: undefined, returnTo: "/x?y=1" });
    expect(returnPath("https://evil.example/x", config.appOrigin)).toBe("/");
    expect(returnPath("//evil.example/x", config.appOrigin)).toBe("/");
    expect(returnPath("not a url::", config.appOrigin)).toBe("/not%20a%20url::");
  });
});

describe("sample program application: back-channel logout", () => {
  async function signedIn(e: Awaited<ReturnType<typeof env>>, sid: string, sub = "pairwise-sub") {
    const id = crypto.randomUUID();
    const session = { claims: { sub, sid }, roles: [], idToken: "x", sid, sub, csrf: "c" };
    await e.SESSIONS.put(`session:${id}`, JSON.stringify(session));
    await e.SESSIONS.put(`sid:${sid}`, JSON.stringify([id]));
    await e.SESSIONS.put(`sub:${sub}`, JSON.stringify([id]));
    return id;
  }

  it("ends the sessions of the token's sid and answers 200", async () => {
    const e = await env();
    const mine = await signedIn(e, "sid-1");
    const other = await signedIn(e, "sid-2", "someone-else");
    const page = await app.request("/", { headers: { Cookie: `program_app_session=${mine}` } }, e);
    expect(await page.text()).toContain("Sign out");
    const response = await backchannel(e, await logoutToken({ sid: "sid-1", sub: "pairwise-sub" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(e.SESSIONS.data.has(`session:${mine}`)).toBe(false);
    expect(e.SESSIONS.data.has(`session:${other}`)).toBe(true);
    const after = await app.request("/", { headers: { Cookie: `program_app_session=${mine}` } }, e);
    expect(await after.text()).toContain("Sign in with Secure Portal");
  });

  it("ends every session of the subject when the token has no sid", async () => {
    const e = await env();
    const mine = await signedIn(e, "sid-3");
    expect((await backchannel(e, await logoutToken({ sub: "pairwise-sub" }))).status).toBe(200);
    expect(e.SESSIONS.data.has(`session:${mine}`)).toBe(false);
  });

  it.each([
    ["a nonce", { sid: "s", nonce: "n" }, {}],
    ["neither sid nor sub", {}, {}],
    ["no logout event", { sid: "s", events: {} }, {}],
    ["the wrong typ", { sid: "s" }, { typ: "JWT" }],
    ["another audience", { sid: "s", aud: "someone-else" }, {}],
  ])("refuses a logout token with %s (400, error JSON), ending nothing", async (_, claims, header) => {
    const e = await env();
    const mine = await signedIn(e, "s");
    const response = await backchannel(e, await logoutToken(claims, header));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_request" });
    expect(e.SESSIONS.data.has(`session:${mine}`)).toBe(true);
  });

  it("refuses a token signed by a key the provider does not publish", async () => {
    const e = await env();
    const stranger = await generateKeyPair("ES256");
    const token = await new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: "s" })
      .setProtectedHeader({ alg: "ES256", kid: "portal-1", typ: "logout+jwt" })
      .setIssuer(issuer)
      .setAudience("sp-dev-program-app")
      .setIssuedAt()
      .setJti("j")
      .sign(stranger.privateKey);
    expect((await backchannel(e, token)).status).toBe(400);
    expect((await backchannel(e, "")).status).toBe(400);
  });
});

describe("sample program application: pages", () => {
  it("escapes what it shows", () => {
    expect(escapeHtml(`<script>"&'`)).toBe("&lt;script&gt;&quot;&amp;&#39;");
    const html = signedInPage({ claims: { sub: "<b>", given_name: "Ann" }, roles: [], csrf: "t" });
    expect(html).toContain("&lt;b&gt;");
    expect(html).not.toContain("<b>");
    expect(html).not.toMatch(/<script/i);
    expect(signedOutPage()).toContain('href="/login"');
  });

  it("reads the roles claim, nested or flat", () => {
    expect(
      roleRows([
        {
          program: "ESRD-QRS",
          organization: { id: 7, name: "REGIONAL OFFICE 5 - CHICAGO", type: "QARM Org Security" },
          role: "Organization Security Official",
          end_date: "2027-12-08",
        },
        { program: { code: "ESRD-QRS" }, organization_name: "X", role: { name: "End User" } },
        "junk",
      ]),
    ).toEqual([
      {
        program: "ESRD-QRS",
        organizationName: "REGIONAL OFFICE 5 - CHICAGO",
        organizationType: "QARM Org Security",
        organizationId: "7",
        role: "Organization Security Official",
        endDate: "2027-12-08",
      },
      {
        program: "ESRD-QRS",
        organizationName: "X",
        organizationType: "",
        organizationId: "",
        role: "End User",
        endDate: "None",
      },
    ]);
  });

  it("the development key's public half has no private member", async () => {
    const jwk = await generateProgramAppJwk();
    expect(jwk.d).toBeTruthy();
    expect(publicJwkOf(jwk)).toEqual({
      kty: "EC",
      crv: "P-256",
      x: jwk.x,
      y: jwk.y,
      kid: jwk.kid,
      alg: "ES256",
      use: "sig",
    });
  });
});
