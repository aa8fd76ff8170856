import type { Context, Next } from "hono";
import { REAUTH_PARAM } from "../../app/.server/oidc/authorize";
import { OIDC_PATHS } from "../../app/.server/oidc/config";
import type { AppEnv } from "../types";

/** More than any authorization request the screen would carry through sign-in (2,000 characters). */
const MAX_BODY = 8 * 1024;

/**
 * An application's authorization request sent as a form POST (OIDC Core §3.1.2.1:
 * the endpoint supports GET and POST). It changes nothing, so the door answers it,
 * before the CSRF check refuses cross-site posts, with a 303 to the same request as
 * a GET: a top-level GET carries the session cookie (SameSite=Lax), and the screen
 * (app/routes/oidc.authorize.tsx) checks it as any other. A post with `intent` is
 * the portal's own consent form: it goes on to the CSRF check and the screen's action.
 *
 * Rule: anyone (the request it leads to states its own).
 */
export async function authorizationPost(c: Context<AppEnv>, next: Next) {
  const type = c.req.header("Content-Type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return next();
  const body = new TextDecoder().decode(await c.req.raw.clone().arrayBuffer());
  if (body.length > MAX_BODY) return next();
  const form = new URLSearchParams(body);
  if (form.has("intent")) return next();
  // The portal's own re-authentication marker never comes from another site.
  form.delete(REAUTH_PARAM);
  c.header("Cache-Control", "no-store");
  return c.redirect(`${OIDC_PATHS.authorization}?${form}`, 303);
}
