import { type Context, Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { createRequestHandler, type ServerBuild } from "react-router";
import { createDeps } from "../app/.server/deps";
import { type Env, isDevelopment, isProduction } from "../app/.server/env";
import type { ImportChunkMessage, QueueMessageBody } from "../app/.server/mail/messages";
import { escapeHtml } from "../app/.server/mail/templates";
import type { LogoutQueueMessage } from "../app/.server/oidc/backchannel";
import { OIDC_PATHS } from "../app/.server/oidc/config";
import { applicationFormOrigin, withFormActionOrigin } from "../app/.server/oidc/form-action";
import * as build from "../build/server";
import { withPageCache } from "./page-cache";
import {
  handleImportBatch,
  handleLogoutBatch,
  handleQueueBatch,
  IMPORT_QUEUE,
  LOGOUT_DEAD_LETTER_QUEUE,
  LOGOUT_QUEUE,
} from "./queue";
import { bookmarkCookieFor, readFromFor } from "./read-replicas";
import { devMailboxRoutes } from "./routes/dev-mailbox";
import { healthRoutes } from "./routes/health";
import { OIDC_DOOR_PATHS, OIDC_PUBLIC_PATHS, oidcRoutes } from "./routes/oidc";
import { authorizationPost } from "./routes/oidc-authorization-post";
import { webauthnRoutes } from "./routes/webauthn";
import { runScheduledJobs } from "./scheduled";
import { securityHeaders } from "./security-headers";
import type { AppEnv } from "./types";

const handleRouterRequest = createRequestHandler(build as unknown as ServerBuild);

export const app = new Hono<AppEnv>();

/**
 * "Columbus, Ohio, US" from Cloudflare's metadata, or null without it. Local
 * servers never download the real metadata (CLOUDFLARE_CF_FETCH_ENABLED=false,
 * scripts/local.ts): there every request carries miniflare's fixed placeholder
 * ("Austin, Texas, US"), which is not where the developer is.
 */
function describeLocation(cf: Request["cf"]): string | null {
  const parts = [cf?.city, cf?.region, cf?.country].filter((p): p is string => typeof p === "string" && p.length > 0);
  return parts.length > 0 ? parts.join(", ") : null;
}

// A fresh id per request, returned so support can quote it. Never taken from a
// header: CF-Ray can be sent by anyone reaching the Worker by another route, and
// the id is echoed in a header, the error page and every log line.
app.use("*", async (c, next) => {
  const id = crypto.randomUUID();
  c.set("traceId", id);
  await next();
  c.res.headers.set("X-Trace-Id", id);
});

// A signed-in answer (or one that sets a cookie) is never stored by a browser or
// a proxy: pages, React Router's `.data` requests, redirects and error pages alike. Set
// here, in the door every request passes, so no route can forget it. Anonymous
// requests carry no cookie, so the public pages kept in memory are unaffected.
// The OpenID discovery document and JWKS are public and the same for everyone: never marked.
app.use("*", async (c, next) => {
  await next();
  if (OIDC_PUBLIC_PATHS.includes(c.req.path)) return;
  if (c.req.header("Cookie") || c.res.headers.has("Set-Cookie")) c.res.headers.set("Cache-Control", "no-store");
});

// A page whose form ends, without JavaScript, with a redirect to a registered
// application may post towards that application's origin (app/.server/oidc/form-action.ts).
// Registered before the security headers, so it sees the policy they set.
app.use("*", async (c, next) => {
  await next();
  const policy = c.res.headers.get("Content-Security-Policy");
  const deps = c.get("deps");
  if (!policy || !deps || !c.res.headers.get("Content-Type")?.startsWith("text/html")) return;
  const origin = await applicationFormOrigin(deps, new URL(c.req.url));
  if (origin) c.res.headers.set("Content-Security-Policy", withFormActionOrigin(policy, origin));
});

app.use("*", async (c, next) => {
  // The dev mailbox's HTML preview shows an email as a mail client would, inline
  // styles included; it is served only in development, in a sandboxed document.
  if (c.req.path.startsWith("/_dev/mailbox/") && c.req.path.endsWith("/html")) {
    await next();
    c.res.headers.set(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
    );
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    return;
  }
  return securityHeaders({ production: isProduction(c.env) })(c, next);
});

// An application's authorization request may be a form POST from its own site: the door
// turns it into the same request as a GET before the CSRF check (it changes nothing).
app.post(OIDC_PATHS.authorization, authorizationPost);

// Every state-changing form post must come from this origin (Origin or
// Sec-Fetch-Site); cookies are also SameSite=Lax. See docs/decisions. The OpenID
// endpoints are called by the applications' servers, authenticated by a client
// assertion or a bearer token, never by a cookie: they are left out.
const sameOrigin = csrf();
app.use("*", (c, next) => (OIDC_DOOR_PATHS.includes(c.req.path) ? next() : sameOrigin(c, next)));

app.use("*", async (c, next) => {
  const afterResponse: (() => Promise<unknown>)[] = [];
  // The OpenID endpoints read what the previous step just wrote (a code, a token): the primary, no bookmark cookie.
  const oidc = OIDC_DOOR_PATHS.includes(c.req.path);
  const deps = createDeps(c.env, {
    traceId: c.get("traceId"),
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    afterResponse: (work) => afterResponse.push(work),
    readFrom: oidc ? "first-primary" : readFromFor(c.req.raw),
  });
  c.set("deps", deps);
  await next();
  if (afterResponse.length > 0) startAfterResponse(c, afterResponse);
  const bookmark = oidc ? null : bookmarkCookieFor(c.req.raw, deps.bookmark());
  if (bookmark) c.res.headers.append("Set-Cookie", bookmark);
  // How many times this answer waited on D1 (the performance budget): shown to developers and tests only.
  if (isDevelopment(c.env)) c.res.headers.set("X-D1-Round-Trips", String(deps.roundTrips()));
});

/**
 * Starts `deps.afterResponse` work once the answer's body has been sent in full
 * (so its cost cannot show in the answer's timing), or after a second at most,
 * should the client stop reading.
 */
function startAfterResponse(c: Context<AppEnv>, work: (() => Promise<unknown>)[]) {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    // A task that throws at once must not break the answer's body: each runs as a promise of its own.
    for (const w of work) c.executionCtx.waitUntil(Promise.resolve().then(w));
  };
  c.executionCtx.waitUntil(new Promise((resolve) => setTimeout(resolve, 1000)).then(start));
  const body = c.res.body;
  if (!body) return start();
  c.res = new Response(body.pipeThrough(new TransformStream({ flush: start })), c.res);
}

app.route("/healthz", healthRoutes);
app.route("/_dev/mailbox", devMailboxRoutes);
app.route("/webauthn", webauthnRoutes);
app.route("/", oidcRoutes);

// `all`, not `get`: React Router actions answer POSTs.
app.all("*", (c) =>
  handleRouterRequest(c.req.raw, {
    deps: c.get("deps"),
    cspNonce: c.get("secureHeadersNonce") ?? "",
    clientIp: c.req.header("CF-Connecting-IP") ?? null,
    clientLocation: describeLocation(c.req.raw.cf),
  }),
);

app.onError((error, c) => {
  if (error instanceof HTTPException && error.status === 403) {
    return c.html(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Request refused - CMS.gov | QualityNet</title></head><body><main><h1>Request refused</h1><p>This form was not sent from this site, so it was not processed. Go back to the <a href="/">home page</a> and try again.</p></main></body></html>`,
      403,
    );
  }
  if (error instanceof HTTPException) return error.getResponse();
  // CF-Ray is logged as its own field (JSON-encoded) to match Cloudflare's logs; it is never echoed.
  console.error(
    JSON.stringify({
      level: "error",
      traceId: c.get("traceId"),
      cfRay: c.req.header("CF-Ray") ?? null,
      msg: String(error),
      stack: error.stack,
    }),
  );
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Something went wrong - CMS.gov | QualityNet</title></head><body><main><h1>Something went wrong</h1><p>Please try again. If this keeps happening, contact the help desk and quote reference ${escapeHtml(c.get("traceId") ?? "")}.</p><p><a href="/">Return to the home page</a></p></main></body></html>`,
    500,
  );
});

export default {
  // Anonymous GETs of the pages that are the same for everyone are answered from
  // memory before any middleware (./page-cache.ts); everything else is the app.
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    withPageCache(request, async () => app.fetch(request, env, ctx), { tell: isDevelopment(env) }),
  async queue(batch: MessageBatch<QueueMessageBody | ImportChunkMessage | LogoutQueueMessage>, env: Env) {
    if (batch.queue === IMPORT_QUEUE) await handleImportBatch(batch as MessageBatch<ImportChunkMessage>, env);
    else if (batch.queue === LOGOUT_QUEUE || batch.queue === LOGOUT_DEAD_LETTER_QUEUE)
      await handleLogoutBatch(batch as MessageBatch<LogoutQueueMessage>, env);
    else await handleQueueBatch(batch as MessageBatch<QueueMessageBody>, env);
  },
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(runScheduledJobs(env));
  },
} satisfies ExportedHandler<Env, QueueMessageBody | ImportChunkMessage | LogoutQueueMessage>;
