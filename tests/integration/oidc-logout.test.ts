import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { createLocalJWKSet, decodeProtectedHeader, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createDeps } from "../../app/.server/deps";
import type { LogoutQueueMessage } from "../../app/.server/oidc/backchannel";
import { BACKCHANNEL_LOGOUT_EVENT, drainLogoutDeliveries } from "../../app/.server/oidc/backchannel";
import { issuerOf, sidForClient } from "../../app/.server/oidc/config";
import { publicJwks, signJwt } from "../../app/.server/oidc/keys";
import worker from "../../worker/index";
import { handleLogoutBatch, LOGOUT_DEAD_LETTER_QUEUE, LOGOUT_QUEUE } from "../../worker/queue";
import { runScheduledJobs } from "../../worker/scheduled";
import { type Browser, get } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, signedInWithTotp } from "../factories/users";

/**
 * Sign-out reaches the applications (issue 19 item 7): RP-initiated logout at
 * /oidc/logout (the oidcc-rp-initiated-logout-certification-test-plan's modules)
 * and back-channel logout (the oidcc-backchannel-rp-initiated-logout plan's):
 * every way a session ends writes a delivery, the drain queues it, the consumer
 * POSTs a signed logout token, retries, and records what never arrived.
 * Applications are rows inserted here (Administration → Applications writes them
 * for real); so are oidc_logins (the authorization endpoint writes them).
 */

const RP = "https://rp.example.test";
const POST_LOGOUT = `${RP}/signed-out`;
/** Unreachable on purpose: the queue's own consumer (running beside the test) fails fast there. */
const BACKCHANNEL = "http://127.0.0.1:9/backchannel-logout";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

const deps = () => createDeps(env);

async function programId(): Promise<number> {
  return (await env.DB.prepare("SELECT id FROM programs ORDER BY id LIMIT 1").first<{ id: number }>())!.id;
}

async function application(
  options: { backchannel?: string | null; status?: "active" | "disabled"; postLogout?: string[] } = {},
) {
  const id = `sp-test${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO oidc_clients (id, name, program_id, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, initiate_login_uri, jwks, required_assurance, id_token_signed_response_alg, status, created_at, created_by_user_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 'aal1', 'ES256', ?, ?, NULL, ?)",
  )
    .bind(
      id,
      `Test Application ${id.slice(-4)}`,
      await programId(),
      JSON.stringify([`${RP}/callback`]),
      JSON.stringify(options.postLogout ?? [POST_LOGOUT]),
      options.backchannel === undefined ? BACKCHANNEL : options.backchannel,
      JSON.stringify({ keys: [] }),
      options.status ?? "active",
      now,
      now,
    )
    .run();
  return id;
}

async function sessionsOf(userId: string) {
  return (await env.DB.prepare("SELECT sid FROM sessions WHERE user_id = ?").bind(userId).all<{ sid: string }>())
    .results;
}

/** What the authorization endpoint writes with a code: this session signed in to this application. */
async function loginAt(sid: string, clientId: string, userId: string, sub = `sub-${crypto.randomUUID()}`) {
  await env.DB.prepare("INSERT INTO oidc_logins (sid, client_id, user_id, sub, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(sid, clientId, userId, sub, Date.now())
    .run();
  return sub;
}

interface DeliveryRow {
  id: number;
  client_id: string;
  sub: string;
  sid: string;
  queued_at: number | null;
  attempts: number;
  delivered_at: number | null;
  failed_at: number | null;
  last_error: string | null;
}

async function deliveriesFor(sid: string) {
  return (
    await env.DB.prepare("SELECT * FROM oidc_logout_deliveries WHERE sid = ? ORDER BY id").bind(sid).all<DeliveryRow>()
  ).results;
}

async function delivery(id: number) {
  return (await env.DB.prepare("SELECT * FROM oidc_logout_deliveries WHERE id = ?").bind(id).first<DeliveryRow>())!;
}

/** A delivery row as the trigger writes it, already queued (so the queue's own consumer never sees it). */
async function queuedDelivery(clientId: string, sub = "pairwise-sub", sid = `sid-${crypto.randomUUID()}`) {
  const row = await env.DB.prepare(
    "INSERT INTO oidc_logout_deliveries (client_id, sub, sid, created_at, claimed_at, queued_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
  )
    .bind(clientId, sub, sid, Date.now(), Date.now(), Date.now())
    .first<{ id: number }>();
  return row!.id;
}

/** An ID token the portal signed for this session and application, as an application would hold it. */
async function idToken(clientId: string, sessionSid: string, overrides: JWTPayload = {}) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(deps(), {
    claims: {
      iss: issuerOf(env),
      sub: "pairwise-sub",
      aud: clientId,
      iat: now - 3600,
      // Expired an hour ago: a hint may be (RP-Initiated Logout 1.0 §2).
      exp: now - 3000,
      nonce: "n-0S6_WzA2Mj",
      // What the application was told: the session's id for this application only.
      sid: sidForClient(env, clientId, sessionSid),
      ...overrides,
    },
  });
}

/** A live session row of the user's (another device), straight into D1; its sid. */
async function anotherSession(userId: string) {
  const sid = `sid-${crypto.randomUUID()}`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, sid) VALUES (?, ?, ?, ?, ?, 'strong', ?)",
  )
    .bind(`h-${crypto.randomUUID()}`, userId, now, now, now + 3600_000, sid)
    .run();
  return sid;
}

async function signedIn() {
  const { user, browser } = await signedInWithTotp("Logan", "Out");
  const [{ sid }] = await sessionsOf(user.id);
  return { user, browser, sid };
}

function logoutPath(params: Record<string, string>) {
  return `/oidc/logout?${new URLSearchParams(params)}`;
}

async function stillSignedIn(browser: Browser) {
  return (await browser.get("/my-account")).status === 200;
}

/** A message for the logout consumer; `fetch` is the application's side. */
async function consume(
  deliveryIds: number[],
  options: { fetch?: typeof fetch; attempts?: number; queue?: string } = {},
) {
  const batch = createMessageBatch<LogoutQueueMessage>(
    options.queue ?? LOGOUT_QUEUE,
    deliveryIds.map((deliveryId, i) => ({
      id: `l-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body: { type: "oidc-logout", deliveryId },
    })),
  );
  const retries = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  await handleLogoutBatch(batch, env, { fetch: options.fetch });
  const result = await getQueueResult(batch, ctx);
  return { ...result, delays: retries.flatMap((spy) => spy.mock.calls.map((call) => call[0]?.delaySeconds)) };
}

/** An application's back-channel logout endpoint: records each request, answers `status`. */
function applicationEndpoint(status = 200) {
  const calls: { url: string; init: RequestInit; body: URLSearchParams }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {}, body: new URLSearchParams(String(init?.body ?? "")) });
    return new Response(null, { status });
  }) as typeof fetch;
  return { calls, fetcher };
}

describe("oidcc-rp-initiated-logout", () => {
  it("signs the user out with a hint for this session and returns to the registered URI with state", async () => {
    const client = await application();
    const other = await application({ backchannel: null });
    const { user, browser, sid } = await signedIn();
    await loginAt(sid, client, user.id);
    await loginAt(sid, other, user.id);
    const response = await browser.get(
      logoutPath({
        id_token_hint: await idToken(client, sid),
        post_logout_redirect_uri: POST_LOGOUT,
        state: "xyz-123",
        ui_locales: "fr",
      }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(`${POST_LOGOUT}?state=xyz-123`);
    expect(response.headers.get("Set-Cookie")).toMatch(/__Host-sp-session=;.*Max-Age=0/i);
    expect(await sessionsOf(user.id)).toHaveLength(0);
    expect(await stillSignedIn(browser)).toBe(false);
    // The normal sign-out: audited, and every application the session reached is told (the asking one too).
    const audited = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE event_type = 'signout' AND subject_user_id = ?",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(audited?.n).toBe(1);
    const rows = await deliveriesFor(sid);
    expect(rows.map((r) => r.client_id).sort()).toEqual([client, other].sort());
    // Queued after the response.
    expect(rows.every((r) => r.queued_at !== null)).toBe(true);
  });
});

describe("oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", () => {
  it("never redirects to a URI not registered for the application", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const response = await browser.get(
      logoutPath({
        id_token_hint: await idToken(client, sid),
        post_logout_redirect_uri: "https://attacker.example/landing",
        state: "s",
      }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login?signedOut=1");
    // The hint proved the session: it is ended, and the portal's own signed-out page shown.
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it("does not redirect to another application's URI, nor to any URI of a disabled application", async () => {
    const client = await application();
    const otherRp = await application({ postLogout: ["https://other.example.test/bye"] });
    const disabled = await application({ status: "disabled" });
    for (const [clientId, uri] of [
      [client, "https://other.example.test/bye"],
      [otherRp, POST_LOGOUT],
      [disabled, POST_LOGOUT],
    ]) {
      const response = await get(logoutPath({ client_id: clientId, post_logout_redirect_uri: uri, state: "s" }));
      expect(response.status, `${clientId} ${uri}`).toBe(302);
      expect(response.headers.get("Location")).toBe("/login?signedOut=1");
    }
  });
});

describe("oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri", () => {
  it("compares the URI exactly: an added query is not the registered URI", async () => {
    const client = await application();
    const { browser, sid } = await signedIn();
    const response = await browser.get(
      logoutPath({
        id_token_hint: await idToken(client, sid),
        post_logout_redirect_uri: `${POST_LOGOUT}?foo=bar`,
        state: "s",
      }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login?signedOut=1");
  });
});

describe("oidcc-rp-initiated-logout-modified-id-token-hint", () => {
  it("a hint whose payload was changed does not verify: the user is asked, and not sent back", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const [header, , signature] = (await idToken(client, sid)).split(".");
    const forged = btoa(JSON.stringify({ iss: issuerOf(env), sub: "someone-else", aud: client, sid }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    const response = await browser.get(
      logoutPath({
        id_token_hint: `${header}.${forged}.${signature}`,
        post_logout_redirect_uri: POST_LOGOUT,
        state: "s",
      }),
    );
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("Sign out of the portal?");
    expect(page).toContain("could not be verified");
    expect(await sessionsOf(user.id)).toHaveLength(1);
    // Confirming signs out, but still never returns to the application.
    const confirmed = await browser.post("/oidc/logout", {
      intent: "sign-out",
      id_token_hint: `${header}.${forged}.${signature}`,
      post_logout_redirect_uri: POST_LOGOUT,
      state: "s",
    });
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get("Location")).toBe("/login?signedOut=1");
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });
});

describe("oidcc-rp-initiated-logout-bad-id-token-hint", () => {
  it("a hint signed by someone else is refused: no sign-out, no redirect", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const { privateKey } = await generateKeyPair("ES256");
    const now = Math.floor(Date.now() / 1000);
    const fake = await new SignJWT({ iss: issuerOf(env), sub: "x", aud: client, sid, iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: "ES256", kid: "not-ours" })
      .sign(privateKey);
    const response = await browser.get(
      logoutPath({ id_token_hint: fake, post_logout_redirect_uri: POST_LOGOUT, state: "s" }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("could not be verified");
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });

  it("a hint for another application than client_id names is refused the same way", async () => {
    const client = await application();
    const other = await application();
    const { user, browser, sid } = await signedIn();
    const response = await browser.get(
      logoutPath({
        id_token_hint: await idToken(client, sid),
        client_id: other,
        post_logout_redirect_uri: POST_LOGOUT,
      }),
    );
    expect(response.status).toBe(200);
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });

  it("a hint for another session of the same user asks first", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const response = await browser.get(
      logoutPath({
        id_token_hint: await idToken(client, `not-${sid}`),
        post_logout_redirect_uri: POST_LOGOUT,
        state: "s",
      }),
    );
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("Sign out of the portal?");
    expect(page).not.toContain("could not be verified");
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });
});

describe("oidcc-rp-initiated-logout-no-id-token-hint", () => {
  it("asks first; confirming signs out and returns to the URI registered for client_id, with state", async () => {
    const client = await application();
    const { user, browser } = await signedIn();
    const params = { client_id: client, post_logout_redirect_uri: POST_LOGOUT, state: "abc" };
    const page = await browser.get(logoutPath(params));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Sign out of the portal?");
    expect(html).toContain('value="sign-out"');
    expect(await sessionsOf(user.id)).toHaveLength(1);
    const confirmed = await browser.post("/oidc/logout", { ...params, intent: "sign-out" });
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get("Location")).toBe(`${POST_LOGOUT}?state=abc`);
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it("a post without the page's button (as an application would send it) signs nobody out", async () => {
    const client = await application();
    const { user, browser } = await signedIn();
    const posted = await browser.post("/oidc/logout", { client_id: client, post_logout_redirect_uri: POST_LOGOUT });
    expect(posted.status).toBe(200);
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });
});

describe("oidcc-rp-initiated-logout-no-params", () => {
  it("a bare GET only asks; the button signs out to the portal's signed-out page", async () => {
    const { user, browser } = await signedIn();
    const page = await browser.get("/oidc/logout");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Sign out of the portal?");
    expect(await stillSignedIn(browser)).toBe(true);
    const confirmed = await browser.post("/oidc/logout", { intent: "sign-out" });
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get("Location")).toBe("/login?signedOut=1");
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it("not signed in: the signed-out page", async () => {
    const response = await get("/oidc/logout");
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login?signedOut=1");
    expect(response.headers.get("Set-Cookie")).toBeNull();
  });
});

describe("oidcc-rp-initiated-logout-only-state", () => {
  it("state alone proves nothing and names no application: the user is asked, nothing redirects", async () => {
    const { user, browser } = await signedIn();
    const response = await browser.get(logoutPath({ state: "only" }));
    expect(response.status).toBe(200);
    expect(await sessionsOf(user.id)).toHaveLength(1);
    const confirmed = await browser.post("/oidc/logout", { intent: "sign-out", state: "only" });
    expect(confirmed.headers.get("Location")).toBe("/login?signedOut=1");
  });
});

describe("oidcc-rp-initiated-logout-no-post-logout-redirect-uri", () => {
  it("a hint alone signs out to the portal's signed-out page", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const response = await browser.get(logoutPath({ id_token_hint: await idToken(client, sid), state: "s" }));
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login?signedOut=1");
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });
});

describe("oidcc-rp-initiated-logout-no-state", () => {
  it("returns to the registered URI as it is, with no state added", async () => {
    const client = await application();
    const { browser, sid } = await signedIn();
    const response = await browser.get(
      logoutPath({ id_token_hint: await idToken(client, sid), post_logout_redirect_uri: POST_LOGOUT }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(POST_LOGOUT);
  });

  it("not signed in: returns to a registered URI (named by client_id or the hint), keeping its own query", async () => {
    const withQuery = `${RP}/bye?from=portal`;
    const client = await application({ postLogout: [withQuery] });
    const byClientId = await get(logoutPath({ client_id: client, post_logout_redirect_uri: withQuery, state: "q" }));
    expect(byClientId.headers.get("Location")).toBe(`${withQuery}&state=q`);
    const byHint = await get(
      logoutPath({ id_token_hint: await idToken(client, "gone"), post_logout_redirect_uri: withQuery }),
    );
    expect(byHint.headers.get("Location")).toBe(withQuery);
  });
});

describe("oidcc-backchannel-rp-initiated-logout", () => {
  it("tells the application by a logout token that verifies against the portal's JWKS", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const sub = await loginAt(sid, client, user.id);
    const response = await browser.get(
      logoutPath({
        id_token_hint: await idToken(client, sid, { sub }),
        post_logout_redirect_uri: POST_LOGOUT,
        state: "s",
      }),
    );
    expect(response.headers.get("Location")).toBe(`${POST_LOGOUT}?state=s`);
    const [row] = await deliveriesFor(sid);
    expect(row).toMatchObject({ client_id: client, sub, sid });
    expect(row.queued_at).not.toBeNull();

    const endpoint = applicationEndpoint(200);
    const result = await consume([row.id], { fetch: endpoint.fetcher });
    expect(result.explicitAcks).toHaveLength(1);
    expect(endpoint.calls).toHaveLength(1);
    const [call] = endpoint.calls;
    expect(call.url).toBe(BACKCHANNEL);
    expect(call.init.method).toBe("POST");
    expect(new Headers(call.init.headers).get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(call.init.redirect).toBe("manual");
    expect(call.init.signal).toBeInstanceOf(AbortSignal);
    expect([...call.body.keys()]).toEqual(["logout_token"]);

    // Back-Channel Logout 1.0 §2.4 and §2.6, checked independently with jose.
    const token = call.body.get("logout_token") ?? "";
    const header = decodeProtectedHeader(token);
    expect(header.typ).toBe("logout+jwt");
    expect(header.kid).toBeTruthy();
    const jwks = createLocalJWKSet(await publicJwks(deps()));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: issuerOf(env),
      audience: client,
      typ: "logout+jwt",
      requiredClaims: ["iat", "exp", "jti", "events"],
    });
    expect(payload.sub).toBe(sub);
    expect(payload.sid).toBe(sidForClient(env, client, sid));
    expect(payload.sid).not.toBe(sid);
    expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(payload).not.toHaveProperty("nonce");
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);

    const after = await delivery(row.id);
    expect(after.delivered_at).not.toBeNull();
    expect(after.last_error).toBeNull();
    // Delivered once: the same message again sends nothing.
    const again = await consume([row.id], { fetch: endpoint.fetcher });
    expect(again.explicitAcks).toHaveLength(1);
    expect(endpoint.calls).toHaveLength(1);
  });

  it("a logout token for the portal is not accepted as an id_token_hint", async () => {
    const client = await application();
    const { user, browser, sid } = await signedIn();
    const logoutToken = await signJwt(deps(), {
      typ: "logout+jwt",
      claims: { iss: issuerOf(env), aud: client, sub: "s", sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } },
    });
    const response = await browser.get(
      logoutPath({ id_token_hint: logoutToken, post_logout_redirect_uri: POST_LOGOUT }),
    );
    expect(response.status).toBe(200);
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });
});

describe("back-channel logout delivery: retries and the dead-letter record", () => {
  it("an answer other than 200 or 204 is retried with exponential delay, and its error kept", async () => {
    const client = await application();
    const id = await queuedDelivery(client);
    const failing = applicationEndpoint(500);
    const first = await consume([id], { fetch: failing.fetcher, attempts: 1 });
    expect(first.retryMessages).toHaveLength(1);
    expect(first.delays).toEqual([10]);
    const third = await consume([id], { fetch: failing.fetcher, attempts: 3 });
    expect(third.delays).toEqual([40]);
    const row = await delivery(id);
    expect(row.attempts).toBe(2);
    expect(row.delivered_at).toBeNull();
    expect(row.last_error).toBe("The application answered HTTP 500");
  });

  it("a redirect is not followed and counts as a failure; 204 is success", async () => {
    const client = await application();
    const id = await queuedDelivery(client);
    const redirecting = applicationEndpoint(302);
    expect((await consume([id], { fetch: redirecting.fetcher })).retryMessages).toHaveLength(1);
    expect((await delivery(id)).last_error).toBe("The application answered HTTP 302");
    const ok = applicationEndpoint(204);
    expect((await consume([id], { fetch: ok.fetcher })).explicitAcks).toHaveLength(1);
    expect((await delivery(id)).delivered_at).not.toBeNull();
  });

  it("an application that cannot be reached, or does not answer in time, is retried", async () => {
    const client = await application();
    const id = await queuedDelivery(client);
    const unreachable = (async () => {
      throw new TypeError("Network connection lost.");
    }) as typeof fetch;
    expect((await consume([id], { fetch: unreachable })).retryMessages).toHaveLength(1);
    expect((await delivery(id)).last_error).toContain("Could not reach the application");
    const silent = (async () => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    }) as typeof fetch;
    expect((await consume([id], { fetch: silent })).retryMessages).toHaveLength(1);
    expect((await delivery(id)).last_error).toBe("No answer within 5 seconds");
  });

  it("the dead-letter queue marks the delivery failed once and audits it once", async () => {
    const client = await application();
    const id = await queuedDelivery(client);
    await consume([id], { fetch: applicationEndpoint(503).fetcher });
    const dead = await consume([id, id], { queue: LOGOUT_DEAD_LETTER_QUEUE });
    expect(dead.explicitAcks).toHaveLength(2);
    const row = await delivery(id);
    expect(row.failed_at).not.toBeNull();
    expect(row.last_error).toBe("The application answered HTTP 503");
    const events = await env.DB.prepare(
      "SELECT details_json FROM audit_events WHERE event_type = 'oidc.logout_failed' AND details_json LIKE ?",
    )
      .bind(`%"deliveryId":${id},%`)
      .all<{ details_json: string }>();
    expect(events.results).toHaveLength(1);
    expect(JSON.parse(events.results[0].details_json)).toEqual({ deliveryId: id, clientId: client });
    // A failed delivery is not tried again.
    const endpoint = applicationEndpoint(200);
    expect((await consume([id], { fetch: endpoint.fetcher })).explicitAcks).toHaveLength(1);
    expect(endpoint.calls).toHaveLength(0);
  });

  it("an administrator sees the deliveries that never arrived under Failed email", async () => {
    const client = await application();
    const id = await queuedDelivery(client);
    await consume([id], { fetch: applicationEndpoint(404).fetcher });
    await consume([id], { queue: LOGOUT_DEAD_LETTER_QUEUE });
    const admin = await signedInWithTotp("Ada", "Failures");
    await grantRole(admin.user.id, "HELP_DESK_ADMINISTRATOR");
    const page = await (await admin.browser.get("/admin/failed-email")).text();
    expect(page).toContain("Application sign-outs never delivered");
    const name = (await env.DB.prepare("SELECT name FROM oidc_clients WHERE id = ?").bind(client).first<{
      name: string;
    }>())!.name;
    expect(page).toContain(name);
    expect(page).toContain("The application answered HTTP 404");
  });

  it("a disabled application, or one without a back-channel URI, is sent nothing", async () => {
    const disabled = await application({ status: "disabled" });
    const withoutUri = await application({ backchannel: null });
    const ids = [await queuedDelivery(disabled), await queuedDelivery(withoutUri)];
    const endpoint = applicationEndpoint(200);
    const result = await consume(ids, { fetch: endpoint.fetcher });
    expect(result.explicitAcks).toHaveLength(2);
    expect(endpoint.calls).toHaveLength(0);
    for (const id of ids) {
      const row = await delivery(id);
      expect(row.delivered_at).not.toBeNull();
      expect(row.last_error).toMatch(/^Not sent/);
    }
  });

  it("the Worker's queue handler hands the logout queue's batches to this consumer", async () => {
    const id = await queuedDelivery(await application({ status: "disabled" }));
    const batch = createMessageBatch<LogoutQueueMessage>(LOGOUT_QUEUE, [
      { id: "w-1", timestamp: new Date(), attempts: 1, body: { type: "oidc-logout", deliveryId: id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect((await delivery(id)).delivered_at).not.toBeNull();
  });
});

describe("back-channel logout drain", () => {
  it("queues each unqueued delivery once, however many drains run; the cron drains too", async () => {
    const client = await application({ backchannel: null });
    const sid = `sid-${crypto.randomUUID()}`;
    await env.DB.prepare(
      "INSERT INTO oidc_logout_deliveries (client_id, sub, sid, created_at) VALUES (?, 'a', ?, ?), (?, 'b', ?, ?)",
    )
      .bind(client, sid, Date.now(), client, sid, Date.now())
      .run();
    const sent: LogoutQueueMessage[] = [];
    const capturing = { ...deps(), enqueueLogout: async (m: LogoutQueueMessage[]) => void sent.push(...m) };
    const [first, second] = await Promise.all([drainLogoutDeliveries(capturing), drainLogoutDeliveries(capturing)]);
    const ids = (await deliveriesFor(sid)).map((r) => r.id);
    expect(
      sent
        .map((m) => m.deliveryId)
        .filter((d) => ids.includes(d))
        .sort(),
    ).toEqual(ids.sort());
    expect(first + second).toBeGreaterThanOrEqual(2);
    expect((await deliveriesFor(sid)).every((r) => r.queued_at !== null)).toBe(true);
    // A session past its absolute limit is deleted by the cron, and its delivery queued in the same run.
    const user = await createUser();
    const expiredSid = `sid-${crypto.randomUUID()}`;
    await env.DB.prepare(
      "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, sid) VALUES (?, ?, ?, ?, ?, 'weak', ?)",
    )
      .bind(`h-${crypto.randomUUID()}`, user.id, 0, 0, 1, expiredSid)
      .run();
    await loginAt(expiredSid, client, user.id);
    const result = await runScheduledJobs(env);
    expect(result.logoutsQueued).toBeGreaterThanOrEqual(1);
    const [row] = await deliveriesFor(expiredSid);
    expect(row.queued_at).not.toBeNull();
  });
});

describe("every way a session ends writes a back-channel logout delivery", () => {
  it("Sign Out", async () => {
    const client = await application({ backchannel: null });
    const { user, browser, sid } = await signedIn();
    const sub = await loginAt(sid, client, user.id);
    expect((await browser.post("/logout", {})).status).toBe(302);
    const rows = await deliveriesFor(sid);
    expect(rows).toEqual([expect.objectContaining({ client_id: client, sub, sid })]);
    expect(rows[0].queued_at).not.toBeNull();
  });

  it('"Sign out all other sessions"', async () => {
    const client = await application({ backchannel: null });
    const { user, browser, sid } = await signedIn();
    // Another session of the same user, on another device.
    const otherSid = await anotherSession(user.id);
    await loginAt(sid, client, user.id);
    await loginAt(otherSid, client, user.id);
    expect((await browser.post("/profile", { intent: "end-others" })).status).toBe(302);
    // The session that asked stays, and its application is not told.
    expect(await deliveriesFor(sid)).toHaveLength(0);
    expect(await sessionsOf(user.id)).toEqual([{ sid }]);
    const ended = await deliveriesFor(otherSid);
    expect(ended).toEqual([expect.objectContaining({ client_id: client, sid: otherSid })]);
    expect(ended[0].queued_at).not.toBeNull();
  });

  it("deactivation and Reset MFA by the help desk", async () => {
    const admin = await signedInWithTotp("Ada", "Admin");
    await grantRole(admin.user.id, "HELP_DESK_ADMINISTRATOR");
    for (const intent of ["deactivate", "reset-mfa"]) {
      const client = await application({ backchannel: null });
      const { user, sid } = await signedIn();
      await loginAt(sid, client, user.id);
      const post = await admin.browser.post(`/admin/users/${user.id}`, { intent, reason: "Verified by phone" });
      expect(post.status, intent).toBeLessThan(400);
      expect(await sessionsOf(user.id), intent).toHaveLength(0);
      const rows = await deliveriesFor(sid);
      expect(rows, intent).toEqual([expect.objectContaining({ client_id: client, sid })]);
      expect(rows[0].queued_at, intent).not.toBeNull();
    }
  });
});
