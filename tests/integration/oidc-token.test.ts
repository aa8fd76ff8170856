import { env } from "cloudflare:test";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import { createDeps } from "../../app/.server/deps";
import { issuerOf, OIDC_PATHS, sidForClient } from "../../app/.server/oidc/config";
import { purgeOidcRecords } from "../../app/.server/oidc/purge";
import { JWT_BEARER } from "../../app/.server/oidc/token";
import { fetchWorker } from "../factories/http";
import {
  clientAssertion,
  createClient,
  createCode,
  type TestClient,
  type TestCode,
  TOKEN_URL,
} from "../factories/oidc";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole } from "../factories/users";

/**
 * The token endpoint, userinfo, discovery and the JWKS, named after the OpenID
 * Foundation's conformance modules they mirror (oidcc-basic and oidcc-config
 * certification plans). Codes are written as the authorization screen writes
 * them (tests/factories/oidc.ts); oauth4webapi plays the application.
 */

const ISSUER = issuerOf(env);
const USERINFO_URL = `${ISSUER}${OIDC_PATHS.userinfo}`;

let programId: number;
let otherProgramId: number;
let user: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  await seedDatabase(env.DB);
  const programs = await env.DB.prepare("SELECT id FROM programs ORDER BY id LIMIT 2").all<{ id: number }>();
  programId = programs.results[0].id;
  otherProgramId = programs.results[1].id;
  user = await createUser({
    totpKey: crypto.getRandomValues(new Uint8Array(20)),
    firstName: "Oidc",
    lastName: "Holder",
  });
  const organizationId = (await env.DB.prepare("SELECT id FROM organizations ORDER BY id LIMIT 1").first<number>(
    "id",
  )) as number;
  const role = async (program: number) =>
    (await env.DB.prepare(
      "SELECT code FROM roles WHERE (program_id = ? OR program_id IS NULL) AND is_admin = 0 AND active = 1 ORDER BY id LIMIT 1",
    )
      .bind(program)
      .first<string>("code")) as string;
  await grantRole(user.id, await role(programId), { programId, organizationId });
  await grantRole(user.id, await role(otherProgramId), { programId: otherProgramId, organizationId });
});

async function tokenRequest(
  client: TestClient,
  code: TestCode,
  overrides: Record<string, string | undefined> = {},
): Promise<Response> {
  const fields: Record<string, string | undefined> = {
    grant_type: "authorization_code",
    code: code.code,
    redirect_uri: code.redirectUri,
    code_verifier: code.verifier,
    client_assertion_type: JWT_BEARER,
    client_assertion: await clientAssertion(client),
    ...overrides,
  };
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v);
  return fetchWorker(TOKEN_URL, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
}

async function expectError(response: Response, status: number, error: string) {
  const body = (await response.json()) as { error: string };
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(response.headers.get("Cache-Control")).toBe("no-store");
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetchWorker(`${ISSUER}${OIDC_PATHS.jwks}`)).json()) as JSONWebKeySet;
}

function userinfo(accessToken: string, how: "get" | "post-header" | "post-body" = "get") {
  if (how === "get") return fetchWorker(USERINFO_URL, { headers: { Authorization: `Bearer ${accessToken}` } });
  if (how === "post-header")
    return fetchWorker(USERINFO_URL, { method: "POST", headers: { Authorization: `Bearer ${accessToken}` } });
  return fetchWorker(USERINFO_URL, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ access_token: accessToken }).toString(),
  });
}

/** oauth4webapi as the application, its requests sent to the Worker. */
const asWorker = { [oauth.customFetch]: fetchWorker as typeof fetch, [oauth.allowInsecureRequests]: true };

describe("oidcc-server", () => {
  it("completes the code flow with private_key_jwt and PKCE; the ID token verifies against the JWKS", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const as = await oauth.processDiscoveryResponse(
      new URL(ISSUER),
      await oauth.discoveryRequest(new URL(ISSUER), { ...asWorker, algorithm: "oidc" }),
    );
    const rp: oauth.Client = { client_id: client.id, id_token_signed_response_alg: "ES256" };
    const params = oauth.validateAuthResponse(
      as,
      rp,
      new URL(`${client.redirectUri}?code=${code.code}&state=s1&iss=${encodeURIComponent(ISSUER)}`),
      "s1",
    );
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      rp,
      oauth.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }),
      params,
      client.redirectUri,
      code.verifier,
      asWorker,
    );
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const result = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: code.nonce });
    expect(result.token_type).toBe("bearer");
    expect(result.refresh_token).toBeUndefined();

    const { payload, protectedHeader } = await jwtVerify(result.id_token as string, createLocalJWKSet(await jwks()), {
      issuer: ISSUER,
      audience: client.id,
      algorithms: ["ES256"],
    });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({
      sub: code.sub,
      nonce: code.nonce,
      azp: client.id,
      sid: sidForClient(env, client.id, code.sid),
      acr: "urn:secure-portal:aal:2",
      amr: ["pwd", "otp", "mfa"],
      email: user.email,
      email_verified: true,
      given_name: "Oidc",
      family_name: "Holder",
    });
    expect(typeof payload.auth_time).toBe("number");
    // Roles for the application's program only.
    const roles = payload.roles as { program: string; organization: { id: number; name: string; type: string } }[];
    expect(roles.length).toBe(1);
    const programCode = await env.DB.prepare("SELECT code FROM programs WHERE id = ?")
      .bind(programId)
      .first<string>("code");
    expect(roles[0].program).toBe(programCode);
    expect(roles[0].organization.name).toBeTruthy();

    const info = await oauth.processUserInfoResponse(
      as,
      rp,
      code.sub,
      await oauth.userInfoRequest(as, rp, result.access_token, asWorker),
    );
    expect(info).toMatchObject({ sub: code.sub, email: user.email, given_name: "Oidc" });
    expect((info.roles as unknown[]).length).toBe(1);
  });

  it("releases only the scopes granted (openid alone: sub and roles)", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id, { scope: "openid" });
    const body = (await (await tokenRequest(client, code)).json()) as { id_token: string; access_token: string };
    const { payload } = await jwtVerify(body.id_token, createLocalJWKSet(await jwks()));
    expect(payload.email).toBeUndefined();
    expect(payload.given_name).toBeUndefined();
    const info = (await (await userinfo(body.access_token)).json()) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(["roles", "sub"]);
  });
});

describe("oidcc-codereuse", () => {
  it("refuses a code the second time", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    expect((await tokenRequest(client, code)).status).toBe(200);
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
  });
});

describe("oidcc-codereuse-30seconds", () => {
  it("revokes the access token the code issued when the code is used again, and audits it", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const first = (await (await tokenRequest(client, code)).json()) as { access_token: string };
    expect((await userinfo(first.access_token)).status).toBe(200);
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
    const after = await userinfo(first.access_token);
    expect(after.status).toBe(401);
    expect(after.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
    const audited = await env.DB.prepare(
      "SELECT subject_user_id, details_json FROM audit_events WHERE event_type = 'oidc.code_reused' AND details_json LIKE ?",
    )
      .bind(`%${client.id}%`)
      .first<{ subject_user_id: string }>();
    expect(audited?.subject_user_id).toBe(user.id);
  });
});

describe("oidcc-ensure-redirect-uri-in-authorization-request (redirect_uri at the token endpoint)", () => {
  it("refuses a redirect_uri that differs from the code's, and the code cannot be tried again", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(
      await tokenRequest(client, code, { redirect_uri: `${client.redirectUri}/other` }),
      400,
      "invalid_grant",
    );
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
  });

  it("requires redirect_uri", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(await tokenRequest(client, code, { redirect_uri: undefined }), 400, "invalid_request");
  });
});

describe("oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body", () => {
  it("answers with the bearer token in the header (GET and POST) or in a form body (RFC 6750 §2.2)", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const { access_token } = (await (await tokenRequest(client, code)).json()) as { access_token: string };
    for (const how of ["get", "post-header", "post-body"] as const) {
      const response = await userinfo(access_token, how);
      expect(response.status, how).toBe(200);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      expect(((await response.json()) as { sub: string }).sub).toBe(code.sub);
    }
  });

  it("answers 401 with a Bearer challenge without a token, and invalid_token for an unknown one", async () => {
    const none = await fetchWorker(USERINFO_URL);
    expect(none.status).toBe(401);
    expect(none.headers.get("WWW-Authenticate")).toBe("Bearer");
    const unknown = await userinfo("not-a-token");
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("stops answering once the grant is revoked (Disconnect)", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const { access_token } = (await (await tokenRequest(client, code)).json()) as { access_token: string };
    await env.DB.prepare("DELETE FROM oidc_grants WHERE id = ?").bind(code.grantId).run();
    expect((await userinfo(access_token)).status).toBe(401);
  });
});

describe("oidcc-idtoken-signature", () => {
  it("signs with a key in the JWKS, named by kid; a changed signature does not verify", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const { id_token } = (await (await tokenRequest(client, code)).json()) as { id_token: string };
    const header = decodeProtectedHeader(id_token);
    const keys = await jwks();
    expect(keys.keys.map((k) => k.kid)).toContain(header.kid);
    const [h, p, s] = id_token.split(".");
    const flipped = `${h}.${p}.${s.startsWith("A") ? `B${s.slice(1)}` : `A${s.slice(1)}`}`;
    await expect(jwtVerify(flipped, createLocalJWKSet(keys))).rejects.toThrow();
  });
});

describe("oidcc-idtoken-rs256", () => {
  it("signs with RS256 for a client registered for it", async () => {
    const client = await createClient({ programId, idTokenAlg: "RS256", alg: "RS256" });
    const code = await createCode(client, user.id);
    const response = await tokenRequest(client, code);
    expect(response.status).toBe(200);
    const { id_token } = (await response.json()) as { id_token: string };
    const { protectedHeader } = await jwtVerify(id_token, createLocalJWKSet(await jwks()), {
      algorithms: ["RS256"],
      audience: client.id,
    });
    expect(protectedHeader.alg).toBe("RS256");
  });
});

describe("oidcc-discovery-endpoint-verification", () => {
  it("publishes the configuration, cached publicly, with CORS and no cookie even for a browser with one", async () => {
    const response = await fetchWorker(`${ISSUER}${OIDC_PATHS.discovery}`, { headers: { Cookie: "a=b" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Set-Cookie")).toBeNull();
    const config = (await response.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oidc/token`,
      jwks_uri: `${ISSUER}/oidc/jwks`,
      userinfo_endpoint: `${ISSUER}/oidc/userinfo`,
      authorization_endpoint: `${ISSUER}/oidc/authorize`,
      end_session_endpoint: `${ISSUER}/oidc/logout`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["ES256", "RS256"],
      token_endpoint_auth_methods_supported: ["private_key_jwt"],
      code_challenge_methods_supported: ["S256"],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
    expect(config.scopes_supported).toContain("openid");
    expect(config.claims_supported).toEqual(expect.arrayContaining(["sub", "acr", "amr", "auth_time", "sid", "roles"]));
  });

  it("publishes the JWKS for ten minutes, public keys only", async () => {
    const response = await fetchWorker(`${ISSUER}${OIDC_PATHS.jwks}`, { headers: { Cookie: "a=b" } });
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=600");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Set-Cookie")).toBeNull();
    const { keys } = (await response.json()) as JSONWebKeySet;
    for (const key of keys) {
      expect(key.kid).toBeTruthy();
      expect(key.d).toBeUndefined();
      expect(key.p).toBeUndefined();
    }
  });
});

describe("PKCE at the token endpoint", () => {
  it("refuses a missing verifier and burns the code", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(await tokenRequest(client, code, { code_verifier: undefined }), 400, "invalid_grant");
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
  });

  it("refuses a wrong verifier and burns the code", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(await tokenRequest(client, code, { code_verifier: "x".repeat(43) }), 400, "invalid_grant");
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
    const issued = await env.DB.prepare("SELECT COUNT(*) AS n FROM oidc_access_tokens WHERE grant_id = ?")
      .bind(code.grantId)
      .first<number>("n");
    expect(issued).toBe(0);
  });
});

describe("codes", () => {
  it("refuses a code whose portal session has ended (Sign Out within its minute)", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await env.DB.prepare("DELETE FROM sessions WHERE sid = ?").bind(code.sid).run();
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
  });

  it("ends the access tokens a session's sign-ins issued when the session ends", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const { access_token } = (await (await tokenRequest(client, code)).json()) as { access_token: string };
    const bearer = { headers: { Authorization: `Bearer ${access_token}` } };
    expect((await fetchWorker(USERINFO_URL, bearer)).status).toBe(200);
    await env.DB.prepare("DELETE FROM sessions WHERE sid = ?").bind(code.sid).run();
    expect((await fetchWorker(USERINFO_URL, bearer)).status).toBe(401);
  });

  it("refuses an expired code", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id, { expiresInMs: -1000 });
    await expectError(await tokenRequest(client, code), 400, "invalid_grant");
  });

  it("refuses a code issued to another client, and leaves it for its own", async () => {
    const owner = await createClient({ programId });
    const thief = await createClient({ programId });
    const code = await createCode(owner, user.id);
    await expectError(await tokenRequest(thief, code), 400, "invalid_grant");
    expect((await tokenRequest(owner, code)).status).toBe(200);
  });

  it("refuses other grant types", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(await tokenRequest(client, code, { grant_type: "refresh_token" }), 400, "unsupported_grant_type");
  });
});

describe("client authentication (private_key_jwt)", () => {
  it("refuses a request without an assertion", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(
      await tokenRequest(client, code, {
        client_assertion: undefined,
        client_assertion_type: undefined,
        client_id: client.id,
      }),
      401,
      "invalid_client",
    );
  });

  it("refuses an expired assertion", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(
      await tokenRequest(client, code, { client_assertion: await clientAssertion(client, { expiresInS: -120 }) }),
      401,
      "invalid_client",
    );
    // Not the application's: its code still works.
    expect((await tokenRequest(client, code)).status).toBe(200);
  });

  it("refuses an assertion whose exp is more than 5 minutes ahead", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(
      await tokenRequest(client, code, { client_assertion: await clientAssertion(client, { expiresInS: 10 * 60 }) }),
      401,
      "invalid_client",
    );
  });

  it("refuses an assertion for another audience, or signed by another key", async () => {
    const client = await createClient({ programId });
    const other = await createClient({ programId });
    const code = await createCode(client, user.id);
    await expectError(
      await tokenRequest(client, code, {
        client_assertion: await clientAssertion(client, { aud: "https://elsewhere.example/token" }),
      }),
      401,
      "invalid_client",
    );
    await expectError(
      await tokenRequest(client, code, { client_assertion: await clientAssertion(client, { key: other.privateKey }) }),
      401,
      "invalid_client",
    );
  });

  it("refuses a replayed jti", async () => {
    const client = await createClient({ programId });
    const assertion = await clientAssertion(client);
    const first = await createCode(client, user.id);
    const second = await createCode(client, user.id);
    expect((await tokenRequest(client, first, { client_assertion: assertion })).status).toBe(200);
    await expectError(await tokenRequest(client, second, { client_assertion: assertion }), 401, "invalid_client");
  });

  it("of two parallel requests with the same assertion and code, exactly one succeeds", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const assertion = await clientAssertion(client);
    const responses = await Promise.all(
      Array.from({ length: 2 }, () => tokenRequest(client, code, { client_assertion: assertion })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("of two parallel requests with the same code and different assertions, exactly one succeeds", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const responses = await Promise.all(Array.from({ length: 2 }, () => tokenRequest(client, code)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it("refuses a disabled client, and an unknown one", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    await env.DB.prepare("UPDATE oidc_clients SET status = 'disabled' WHERE id = ?").bind(client.id).run();
    await expectError(await tokenRequest(client, code), 401, "invalid_client");
    const unknown = { ...client, id: "sp-unknown" };
    await expectError(await tokenRequest(unknown, code), 401, "invalid_client");
  });
});

describe("the door", () => {
  it("leaves the token and userinfo endpoints out of the browser-form CSRF check (servers call them)", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code: code.code,
      redirect_uri: code.redirectUri,
      code_verifier: code.verifier,
      client_assertion_type: JWT_BEARER,
      client_assertion: await clientAssertion(client),
    });
    const response = await fetchWorker(TOKEN_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://app.example.test",
        "Sec-Fetch-Site": "cross-site",
      },
      body: body.toString(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Set-Cookie")).toBeNull();
    const { access_token } = (await response.json()) as { access_token: string };
    const info = await fetchWorker(USERINFO_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://app.example.test",
        "Sec-Fetch-Site": "cross-site",
      },
      body: new URLSearchParams({ access_token }).toString(),
    });
    expect(info.status).toBe(200);
  });

  it("still refuses a cross-site form post to the portal's own screens", async () => {
    const response = await fetchWorker(`${ISSUER}/login`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://app.example.test",
        "Sec-Fetch-Site": "cross-site",
      },
      body: "loginId=x",
    });
    expect(response.status).toBe(403);
  });
});

describe("housekeeping (cron)", () => {
  it("keeps codes, tokens and jtis while they matter, and removes them after", async () => {
    const client = await createClient({ programId });
    const code = await createCode(client, user.id);
    const assertion = await clientAssertion(client);
    expect((await tokenRequest(client, code, { client_assertion: assertion })).status).toBe(200);
    const count = async () =>
      (await env.DB.prepare(
        `SELECT (SELECT COUNT(*) FROM oidc_authorization_codes WHERE client_id = ?1)
              + (SELECT COUNT(*) FROM oidc_access_tokens WHERE client_id = ?1)
              + (SELECT COUNT(*) FROM oidc_client_assertions WHERE client_id = ?1) AS n`,
      )
        .bind(client.id)
        .first<number>("n")) as number;
    await purgeOidcRecords(createDeps(env, { now: () => new Date(Date.now() + 5000) }));
    expect(await count()).toBe(3);
    await purgeOidcRecords(createDeps(env, { now: () => new Date(Date.now() + 60 * 60 * 1000) }));
    expect(await count()).toBe(0);
  });
});

describe("performance", () => {
  it("answers a token request in at most two D1 round trips", async () => {
    const client = await createClient({ programId });
    // The first request of an isolate may make the first key; the budget is for every request after.
    await tokenRequest(client, await createCode(client, user.id));
    const response = await tokenRequest(client, await createCode(client, user.id));
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("X-D1-Round-Trips"))).toBeLessThanOrEqual(2);
    const { access_token } = (await response.json()) as { access_token: string };
    const info = await userinfo(access_token);
    expect(Number(info.headers.get("X-D1-Round-Trips"))).toBe(1);
  });
});
