import { type Context, Hono } from "hono";
import { issuerOf, OIDC_PATHS } from "../../app/.server/oidc/config";
import { discoveryDocument } from "../../app/.server/oidc/discovery";
import { edgeCache, publicJwks } from "../../app/.server/oidc/keys";
import { exchangeCode } from "../../app/.server/oidc/token";
import { userinfoClaims } from "../../app/.server/oidc/userinfo";
import type { AppEnv } from "../types";

/**
 * The OpenID provider's machine endpoints (SPEC 2.9). Rules: discovery and the
 * JWKS are public; the token endpoint admits a client proven by its
 * `private_key_jwt` assertion; userinfo admits a bearer access token. None uses
 * a cookie, so the door's CSRF check does not apply to them (worker/index.ts).
 */

/** Edge cache lifetimes: the JWKS well inside the day a new key is published before it signs. */
export const DISCOVERY_MAX_AGE_S = 60 * 60;
export const JWKS_MAX_AGE_S = 10 * 60;

/** The paths answered here, which the door leaves out of its cookie rules and CSRF check. */
export const OIDC_DOOR_PATHS: readonly string[] = [
  OIDC_PATHS.discovery,
  OIDC_PATHS.jwks,
  OIDC_PATHS.token,
  OIDC_PATHS.userinfo,
];
/** Public documents cached by browsers and the edge (the door's no-store rule leaves them alone). */
export const OIDC_PUBLIC_PATHS: readonly string[] = [OIDC_PATHS.discovery, OIDC_PATHS.jwks];

/** A body larger than this is refused before it is read (a token request is a few kilobytes). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A public JSON document from the edge cache (keyed by the issuer's URL for the
 * path, so neither a query string nor another host name can force a miss): a
 * hit costs no D1.
 */
async function edgeCachedJson(c: Context<AppEnv>, maxAgeSeconds: number, build: () => Promise<unknown>) {
  const key = new Request(`${issuerOf(c.env)}${c.req.path}`, { method: "GET" });
  const cache = edgeCache();
  const hit = await cache.match(key);
  if (hit) return publicHeaders(new Response(hit.body, hit), maxAgeSeconds);
  const response = publicHeaders(
    new Response(JSON.stringify(await build()), { headers: { "Content-Type": "application/json" } }),
    maxAgeSeconds,
  );
  c.executionCtx.waitUntil(cache.put(key, response.clone()));
  return response;
}

function publicHeaders(response: Response, maxAgeSeconds: number): Response {
  response.headers.set("Cache-Control", `public, max-age=${maxAgeSeconds}`);
  response.headers.set("Access-Control-Allow-Origin", "*");
  response.headers.delete("Set-Cookie");
  return response;
}

/** An error as RFC 6749 §5.2 gives it, never stored. */
function tokenError(status: 400 | 401, error: string, description: string) {
  return Response.json(
    { error, error_description: description },
    { status, headers: { "Cache-Control": "no-store", Pragma: "no-cache" } },
  );
}

/** RFC 6750 §3: the challenge, with the error when a token was presented. */
function bearerError(status: 400 | 401, error?: "invalid_request" | "invalid_token", description?: string) {
  const challenge = error
    ? `Bearer error="${error}"${description ? `, error_description="${description}"` : ""}`
    : "Bearer";
  return new Response(error ? JSON.stringify({ error, error_description: description }) : null, {
    status,
    headers: {
      "WWW-Authenticate": challenge,
      "Cache-Control": "no-store",
      ...(error ? { "Content-Type": "application/json" } : {}),
    },
  });
}

function tooLarge(c: Context<AppEnv>): boolean {
  return Number(c.req.header("Content-Length") ?? "0") > MAX_BODY_BYTES;
}

async function formOf(c: Context<AppEnv>): Promise<URLSearchParams | null> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" || tooLarge(c)) return null;
  const bytes = await c.req.arrayBuffer();
  return bytes.byteLength > MAX_BODY_BYTES ? null : new URLSearchParams(new TextDecoder().decode(bytes));
}

/** RFC 6749 §3.2: a parameter sent more than once is an invalid request. */
function repeated(form: URLSearchParams): string | null {
  const seen = new Set<string>();
  for (const name of form.keys()) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

async function userinfo(c: Context<AppEnv>) {
  const header = c.req.header("Authorization");
  let token: string | null = null;
  const bearer = header?.match(/^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i);
  if (header && !bearer) return bearerError(400, "invalid_request", "Malformed Authorization header");
  if (bearer) token = bearer[1];
  // RFC 6750 §2.2: the token in a form body, for clients that cannot send the header.
  if (c.req.method === "POST" && (c.req.header("Content-Type") ?? "").startsWith("application/x-www-form-urlencoded")) {
    const form = await formOf(c);
    const inBody = form?.getAll("access_token") ?? [];
    if (inBody.length > 1 || (inBody.length === 1 && token))
      return bearerError(400, "invalid_request", "Send the access token once");
    if (inBody.length === 1) token = inBody[0];
  }
  if (!token) return bearerError(401);
  const claims = await userinfoClaims(c.get("deps"), token);
  if (!claims) return bearerError(401, "invalid_token", "The access token is invalid or has expired");
  return Response.json(claims, { headers: { "Cache-Control": "no-store" } });
}

export const oidcRoutes = new Hono<AppEnv>()
  // Rule: public.
  .get(OIDC_PATHS.discovery, (c) => edgeCachedJson(c, DISCOVERY_MAX_AGE_S, async () => discoveryDocument(c.env)))
  // Rule: public.
  .get(OIDC_PATHS.jwks, (c) => edgeCachedJson(c, JWKS_MAX_AGE_S, () => publicJwks(c.get("deps"))))
  // Rule: a registered, active client proven by its private_key_jwt assertion.
  .post(OIDC_PATHS.token, async (c) => {
    const form = await formOf(c);
    if (!form) return tokenError(400, "invalid_request", "Send application/x-www-form-urlencoded parameters");
    const twice = repeated(form);
    if (twice) return tokenError(400, "invalid_request", `${twice} was sent more than once`);
    const result = await exchangeCode(c.get("deps"), form, {
      ip: c.req.header("CF-Connecting-IP") ?? null,
      userAgent: c.req.header("User-Agent") ?? null,
    });
    if (!result.ok) return tokenError(result.status, result.error, result.description);
    return Response.json(result.body, { headers: { "Cache-Control": "no-store", Pragma: "no-cache" } });
  })
  // Rule: a bearer access token, unexpired, its grant, client and user still active.
  .get(OIDC_PATHS.userinfo, userinfo)
  .post(OIDC_PATHS.userinfo, userinfo);
