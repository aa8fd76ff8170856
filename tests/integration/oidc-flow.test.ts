import { env } from "cloudflare:test";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../app/.server/auth/session";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { ACR, issuerOf, OIDC_PATHS, pairwiseSubject } from "../../app/.server/oidc/config";
import { Browser, fetchWorker } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, totpNow } from "../factories/users";

/**
 * The whole round trip, as "Done when" of SPEC 2.9 tells it: an administrator
 * registers a new application in Administration with its JWK Set pasted in, and
 * an independent OpenID Connect client (oauth4webapi) completes the code flow
 * against it with private_key_jwt and PKCE. The person signs in with an
 * authenticator code through the real sign-in form, allows the application, and
 * the ID token says who they are (pairwise), how strongly (AAL2) and their role
 * for that program only.
 */

const ISSUER = issuerOf(env);
const REDIRECT_URI = "https://hospital-app.example.test/callback";
const asWorker = { [oauth.customFetch]: fetchWorker as typeof fetch, [oauth.allowInsecureRequests]: true };

let programId: number;
let programCode: string;
let otherProgramId: number;

beforeAll(async () => {
  await seedDatabase(env.DB);
  const programs = await env.DB.prepare(
    "SELECT id, code FROM programs WHERE active = 1 AND is_destination = 1 ORDER BY sort_order LIMIT 2",
  ).all<{ id: number; code: string }>();
  [programId, programCode, otherProgramId] = [programs.results[0].id, programs.results[0].code, programs.results[1].id];
});

/** A Help Desk Administrator with a strong session from just now. */
async function administrator() {
  const admin = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
  await grantRole(admin.id, "HELP_DESK_ADMINISTRATOR");
  const token = randomToken();
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at, sid, amr) VALUES (?, ?, ?, ?, ?, \'strong\', ?, ?, \'["pwd","otp","mfa"]\')',
  )
    .bind(hashToken(token), admin.id, now, now, now + 3600_000, now, randomToken())
    .run();
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, token);
  return browser;
}

describe("an application registered in Administration signs a person in", () => {
  it("completes the code flow with private_key_jwt and PKCE for an independent client", async () => {
    // The application's own key pair; only the public half is pasted into the portal.
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "hospital-app-1", alg: "ES256", use: "sig" }] };

    const admin = await administrator();
    const registered = await admin.post("/admin/applications/new", {
      name: "Hospital Reporting App",
      programId: String(programId),
      redirectUris: REDIRECT_URI,
      postLogoutRedirectUris: "https://hospital-app.example.test/",
      backchannelLogoutUri: "https://hospital-app.example.test/backchannel-logout",
      initiateLoginUri: "https://hospital-app.example.test/login",
      jwks: JSON.stringify(jwks, null, 2),
      requiredAssurance: "aal2",
      signingAlg: "ES256",
    });
    expect(registered.status).toBe(302);
    const location = registered.headers.get("Location") ?? "";
    const clientId = decodeURIComponent(/\/admin\/applications\/([^?]+)/.exec(location)?.[1] ?? "");
    expect(clientId).toMatch(/^sp-/);
    const shown = await (await admin.get(`/admin/applications/${encodeURIComponent(clientId)}`)).text();
    expect(shown).toContain("Client ID");
    expect(shown).toContain(clientId);

    // A person with a role in the application's program and one in another program.
    const key = crypto.getRandomValues(new Uint8Array(20));
    const person = await createUser({ totpKey: key, firstName: "Dana", lastName: "Reyes" });
    const orgs = await env.DB.prepare("SELECT id FROM organizations ORDER BY id LIMIT 2").all<{ id: number }>();
    await grantRole(person.id, "OSO", { organizationId: orgs.results[0].id, programId });
    await grantRole(person.id, "OSO", { organizationId: orgs.results[1].id, programId: otherProgramId });

    // The application starts the request (oauth4webapi: discovery, PKCE, state, nonce).
    const as = await oauth.processDiscoveryResponse(
      new URL(ISSUER),
      await oauth.discoveryRequest(new URL(ISSUER), { ...asWorker, algorithm: "oidc" }),
    );
    const rp: oauth.Client = { client_id: clientId, id_token_signed_response_alg: "ES256" };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const authorize = new URL(as.authorization_endpoint as string);
    for (const [k, v] of Object.entries({
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid email profile",
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    }))
      authorize.searchParams.set(k, v);
    const requestPath = `${authorize.pathname}${authorize.search}`;

    // Not signed in: through Terms and sign-in, and back to the request.
    const browser = new Browser();
    const first = await browser.get(requestPath);
    expect(first.status).toBe(302);
    const terms = new URL(first.headers.get("Location") ?? "", ISSUER);
    expect(terms.pathname).toBe("/terms");
    // The request comes back as it was, with a marker of when sign-in was asked for.
    const carried = terms.searchParams.get("redirectTo") ?? "";
    expect(carried.startsWith(`${requestPath}&reauth=`)).toBe(true);
    await browser.post("/terms", { intent: "accept", program: programCode, redirectTo: carried });
    await browser.post(`/login?redirectTo=${encodeURIComponent(carried)}`, {
      intent: "next",
      userId: person.loginId,
    });
    const signedIn = await browser.post(`/login?redirectTo=${encodeURIComponent(carried)}`, {
      intent: "login",
      userId: person.loginId,
      password: person.password,
      deviceType: "totp",
      code: totpNow(key),
      redirectTo: carried,
    });
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get("Location")).toBe(carried);

    // Consent, the first time.
    const consent = await browser.get(carried);
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(html).toContain("Allow Hospital Reporting App to know who you are?");
    const fields = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
        m[1],
        m[2].replace(/&amp;/g, "&"),
      ]),
    );
    const allowed = await browser.post(OIDC_PATHS.authorization, { ...fields, intent: "allow" });
    expect(allowed.status).toBe(302);
    const callback = new URL(allowed.headers.get("Location") ?? "");
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);

    // The application redeems the code with its private_key_jwt assertion and the PKCE verifier.
    const params = oauth.validateAuthResponse(as, rp, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      rp,
      oauth.PrivateKeyJwt({ key: privateKey, kid: "hospital-app-1" }),
      params,
      REDIRECT_URI,
      verifier,
      asWorker,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { expectedNonce: nonce });
    const published = (await (await fetchWorker(`${ISSUER}${OIDC_PATHS.jwks}`)).json()) as { keys: [] };
    const { payload } = await jwtVerify(tokens.id_token as string, createLocalJWKSet(published), {
      issuer: ISSUER,
      audience: clientId,
    });
    expect(payload.sub).toBe(pairwiseSubject(env, "hospital-app.example.test", person.id));
    expect(payload.sub).not.toBe(person.id);
    expect(payload.acr).toBe(ACR.aal2);
    expect(payload.amr).toEqual(["pwd", "otp", "mfa"]);
    expect(payload).toMatchObject({ email: person.email, given_name: "Dana", family_name: "Reyes" });
    const roles = payload.roles as { program: string; role: string }[];
    expect(roles).toHaveLength(1);
    expect(roles[0]).toMatchObject({ program: programCode, role: "OSO" });

    const info = await oauth.processUserInfoResponse(
      as,
      rp,
      payload.sub as string,
      await oauth.userInfoRequest(as, rp, tokens.access_token, asWorker),
    );
    expect(info.roles).toEqual(payload.roles);

    // Disabled at once in Administration: the access token stops working.
    const disabled = await admin.post(`/admin/applications/${encodeURIComponent(clientId)}`, { intent: "disable" });
    expect([302, 303]).toContain(disabled.status);
    const after = await oauth.userInfoRequest(as, rp, tokens.access_token, asWorker);
    expect(after.status).toBe(401);
  });
});
