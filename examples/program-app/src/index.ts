/**
 * Sample Program Application: a relying party of Secure Portal, written only
 * against the standard protocol (discovery at ISSUER/.well-known/openid-configuration)
 * with an independent client library, oauth4webapi. A confidential client:
 * `private_key_jwt` (ES256, PRIVATE_JWK), PKCE S256, state and nonce.
 *
 *   GET  /                    signed out: a link to /login; signed in: the ID token's claims and roles
 *   GET  /login               starts sign-in; also the Initiate Login URI (OIDC Core §4: iss, login_hint, target_link_uri)
 *   GET  /callback            the redirect URI: checks the response, redeems the code, checks the ID token
 *   POST /logout              RP-initiated logout at the portal's end_session_endpoint
 *   POST /backchannel-logout  OpenID Connect Back-Channel Logout 1.0: ends the sessions of a sid (or sub)
 *
 * Sessions live in KV (SESSIONS) under a random cookie, with a sid → sessions
 * and a sub → sessions index for back-channel logout.
 */
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { errorPage, STYLESHEET, signedInPage, signedOutPage } from "./html";
import { initiateLoginParams, LogoutTokenError, verifyLogoutToken } from "./oidc";

export interface Env {
  /** The portal's origin (its issuer identifier). */
  ISSUER: string;
  CLIENT_ID: string;
  /** This application's own origin, e.g. http://localhost:8788. */
  APP_ORIGIN: string;
  REDIRECT_URI: string;
  /** The ES256 private key (a JWK, JSON) whose public half the portal has registered. */
  PRIVATE_JWK: string;
  SESSIONS: KVNamespace;
}

/** Cookie names of their own: on localhost every port shares one cookie jar with the portal. */
const LOGIN_COOKIE = "program_app_login";
const SESSION_COOKIE = "program_app_session";
const LOGOUT_COOKIE = "program_app_logout";
const LOGIN_TTL_S = 600;
const SESSION_TTL_S = 8 * 60 * 60;

interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

interface StoredSession {
  claims: Record<string, unknown>;
  roles: unknown;
  idToken: string;
  sid?: string;
  sub: string;
  csrf: string;
}

const secure = (env: Env) => new URL(env.APP_ORIGIN).protocol === "https:";
/** Plain http is allowed only for a loopback issuer (local development and the end-to-end test). */
function httpOptions(env: Env) {
  const url = new URL(env.ISSUER);
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  return url.protocol === "http:" && loopback ? { [oauth.allowInsecureRequests]: true } : {};
}

const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();
/** The portal's metadata, fetched once per isolate (again after a failure). */
function authorizationServer(env: Env): Promise<oauth.AuthorizationServer> {
  let pending = discovered.get(env.ISSUER);
  if (!pending) {
    const issuer = new URL(env.ISSUER);
    pending = oauth
      .discoveryRequest(issuer, { algorithm: "oidc", ...httpOptions(env) })
      .then((response) => oauth.processDiscoveryResponse(issuer, response));
    pending.catch(() => discovered.delete(env.ISSUER));
    discovered.set(env.ISSUER, pending);
  }
  return pending;
}

const remoteKeys = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function portalKeys(as: oauth.AuthorizationServer) {
  if (!as.jwks_uri) throw new Error("The portal publishes no jwks_uri.");
  let keys = remoteKeys.get(as.jwks_uri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(as.jwks_uri));
    remoteKeys.set(as.jwks_uri, keys);
  }
  return keys;
}

const clientOf = (env: Env): oauth.Client => ({ client_id: env.CLIENT_ID, id_token_signed_response_alg: "ES256" });

let privateKey: Promise<oauth.PrivateKey> | undefined;
function clientKey(env: Env): Promise<oauth.PrivateKey> {
  privateKey ??= (async () => {
    if (!env.PRIVATE_JWK) throw new Error("PRIVATE_JWK is not set: run `node scripts/program-app-key.ts`.");
    const jwk = JSON.parse(env.PRIVATE_JWK) as JsonWebKey & { kid?: string };
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    return { key, kid: jwk.kid };
  })();
  privateKey.catch(() => {
    privateKey = undefined;
  });
  return privateKey;
}

function randomId(): string {
  return oauth.generateRandomState();
}

async function addToIndex(kv: KVNamespace, key: string, sessionId: string) {
  const list = ((await kv.get<string[]>(key, "json")) ?? []).filter((id) => id !== sessionId);
  await kv.put(key, JSON.stringify([...list, sessionId]), { expirationTtl: SESSION_TTL_S });
}

async function endSessions(kv: KVNamespace, indexKey: string): Promise<number> {
  const ids = (await kv.get<string[]>(indexKey, "json")) ?? [];
  await Promise.all([...ids.map((id) => kv.delete(`session:${id}`)), kv.delete(indexKey)]);
  return ids.length;
}

async function currentSession(env: Env, id: string | undefined) {
  if (!id) return null;
  return env.SESSIONS.get<StoredSession>(`session:${id}`, "json");
}

const app = new Hono<{ Bindings: Env }>();

app.use("*", async (c, next) => {
  await next();
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' ${new URL(c.env.ISSUER).origin}; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
});

app.get("/style.css", (c) => {
  c.header("Cache-Control", "public, max-age=300");
  return c.body(STYLESHEET, 200, { "Content-Type": "text/css; charset=utf-8" });
});

app.get("/healthz", (c) => c.text("ok"));

app.get("/", async (c) => {
  const session = await currentSession(c.env, getCookie(c, SESSION_COOKIE));
  if (session) return c.html(signedInPage({ claims: session.claims, roles: session.roles, csrf: session.csrf }));
  const state = c.req.query("state");
  const logoutState = getCookie(c, LOGOUT_COOKIE);
  let notice: string | undefined;
  if (logoutState) {
    deleteCookie(c, LOGOUT_COOKIE, { path: "/" });
    if (state && state === logoutState) notice = "You signed out of the application and of Secure Portal.";
  }
  return c.html(signedOutPage({ notice }));
});

app.get("/login", async (c) => {
  const env = c.env;
  const initiated = initiateLoginParams(new URL(c.req.url).searchParams, {
    issuer: env.ISSUER,
    appOrigin: env.APP_ORIGIN,
  });
  if (!initiated.ok) return c.html(errorPage(initiated.message), 400);
  let as: oauth.AuthorizationServer;
  try {
    as = await authorizationServer(env);
  } catch {
    return c.html(errorPage("Secure Portal cannot be reached. Try again in a moment."), 503);
  }
  const pending: PendingLogin = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier: oauth.generateRandomCodeVerifier(),
    returnTo: initiated.returnTo,
  };
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set("client_id", env.CLIENT_ID);
  url.searchParams.set("redirect_uri", env.REDIRECT_URI);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", "openid email profile");
  url.searchParams.set("state", pending.state);
  url.searchParams.set("nonce", pending.nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(pending.verifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (initiated.loginHint) url.searchParams.set("login_hint", initiated.loginHint);
  const loginId = randomId();
  await env.SESSIONS.put(`login:${loginId}`, JSON.stringify(pending), { expirationTtl: LOGIN_TTL_S });
  setCookie(c, LOGIN_COOKIE, loginId, {
    path: "/callback",
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(env),
    maxAge: LOGIN_TTL_S,
  });
  return c.redirect(url.href, 303);
});

app.get("/callback", async (c) => {
  const env = c.env;
  const loginId = getCookie(c, LOGIN_COOKIE);
  deleteCookie(c, LOGIN_COOKIE, { path: "/callback" });
  const pending = loginId ? await env.SESSIONS.get<PendingLogin>(`login:${loginId}`, "json") : null;
  if (!loginId || !pending) return c.html(errorPage("This sign-in has expired. Start again."), 400);
  await env.SESSIONS.delete(`login:${loginId}`);
  try {
    const as = await authorizationServer(env);
    const client = clientOf(env);
    const params = oauth.validateAuthResponse(as, client, new URL(c.req.url), pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt(await clientKey(env)),
      params,
      env.REDIRECT_URI,
      pending.verifier,
      httpOptions(env),
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    // oauth4webapi checks iss, aud, azp, exp, iat and nonce; the signature is checked here against the portal's JWKS.
    const { payload } = await jwtVerify(result.id_token!, portalKeys(as), {
      issuer: as.issuer,
      audience: env.CLIENT_ID,
      algorithms: ["ES256", "RS256"],
    });
    const claims = { ...oauth.getValidatedIdTokenClaims(result), ...payload } as Record<string, unknown>;
    let roles = claims.roles;
    if (roles === undefined && as.userinfo_endpoint) {
      const info = await oauth.processUserInfoResponse(
        as,
        client,
        String(claims.sub),
        await oauth.userInfoRequest(as, client, result.access_token, httpOptions(env)),
      );
      roles = info.roles;
    }
    const sessionId = randomId();
    const stored: StoredSession = {
      claims,
      roles,
      idToken: result.id_token!,
      sid: typeof claims.sid === "string" ? claims.sid : undefined,
      sub: String(claims.sub),
      csrf: randomId(),
    };
    await env.SESSIONS.put(`session:${sessionId}`, JSON.stringify(stored), { expirationTtl: SESSION_TTL_S });
    if (stored.sid) await addToIndex(env.SESSIONS, `sid:${stored.sid}`, sessionId);
    await addToIndex(env.SESSIONS, `sub:${stored.sub}`, sessionId);
    setCookie(c, SESSION_COOKIE, sessionId, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: secure(env),
      maxAge: SESSION_TTL_S,
    });
    return c.redirect(pending.returnTo, 303);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      const refused = error.error === "access_denied";
      return c.html(
        errorPage(
          refused
            ? "You did not allow this application to know who you are."
            : `Secure Portal did not sign you in (${error.error}).`,
        ),
        400,
      );
    }
    console.error("sign-in failed", error instanceof Error ? error.message : error);
    return c.html(errorPage("Secure Portal's answer could not be verified. Start again."), 400);
  }
});

app.post("/logout", async (c) => {
  const env = c.env;
  const id = getCookie(c, SESSION_COOKIE);
  const session = await currentSession(c.env, id);
  const form = await c.req.parseBody();
  if (!session || form.csrf !== session.csrf) return c.redirect("/", 303);
  await env.SESSIONS.delete(`session:${id}`);
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  let as: oauth.AuthorizationServer;
  try {
    as = await authorizationServer(env);
  } catch {
    return c.redirect("/", 303);
  }
  if (!as.end_session_endpoint) return c.redirect("/", 303);
  const state = randomId();
  setCookie(c, LOGOUT_COOKIE, state, { path: "/", httpOnly: true, sameSite: "Lax", secure: secure(env), maxAge: 600 });
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set("id_token_hint", session.idToken);
  url.searchParams.set("client_id", env.CLIENT_ID);
  url.searchParams.set("post_logout_redirect_uri", `${new URL(env.APP_ORIGIN).origin}/`);
  url.searchParams.set("state", state);
  return c.redirect(url.href, 303);
});

app.post("/backchannel-logout", async (c) => {
  const env = c.env;
  const failure = (description: string) =>
    c.json({ error: "invalid_request", error_description: description }, 400, { "Cache-Control": "no-store" });
  const type = c.req.header("Content-Type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return failure("Expected a form-encoded logout_token.");
  const form = await c.req.parseBody();
  const token = form.logout_token;
  if (typeof token !== "string" || !token) return failure("logout_token is missing.");
  let as: oauth.AuthorizationServer;
  try {
    as = await authorizationServer(env);
  } catch {
    return c.json({ error: "temporarily_unavailable" }, 503, { "Cache-Control": "no-store" });
  }
  try {
    const { sid, sub } = await verifyLogoutToken(token, {
      issuer: as.issuer,
      audience: env.CLIENT_ID,
      keys: portalKeys(as),
    });
    if (sid) await endSessions(env.SESSIONS, `sid:${sid}`);
    else if (sub) await endSessions(env.SESSIONS, `sub:${sub}`);
  } catch (error) {
    if (error instanceof LogoutTokenError) return failure(error.message);
    throw error;
  }
  return c.body(null, 200, { "Cache-Control": "no-store" });
});

export default app;
