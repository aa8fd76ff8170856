import { decodeJwt } from "jose";
import type { Deps } from "../deps";
import { getActiveClient } from "./clients";
import { OIDC_PATHS } from "./config";

/**
 * The origin of the application a page's form may end at, or null.
 *
 * The portal's Content-Security-Policy has `form-action 'self'`, and browsers
 * apply it to every redirect that follows a form's submission. Without
 * JavaScript, a form in the sign-in round trip (Log In, "Confirm it is you",
 * consent, "Sign out of the portal?") ends with a redirect to the application:
 * its redirect URI or post-logout redirect URI, on another origin. The page
 * that holds such a form may therefore also post towards that one origin, and
 * only when the client is active and registered the URI exactly, as the
 * endpoint that redirects will check again.
 *
 * A page is part of the round trip when it is the authorization or logout
 * endpoint itself, or carries one as its `redirectTo` (the portal's
 * return-after-sign-in parameter).
 */
export async function applicationFormOrigin(deps: Pick<Deps, "db">, url: URL): Promise<string | null> {
  let target = url;
  const redirectTo = url.searchParams.get("redirectTo");
  if (redirectTo?.startsWith(`${OIDC_PATHS.authorization}?`)) {
    if (!ROUND_TRIP_PAGES.has(url.pathname)) return null;
    target = new URL(redirectTo, url);
  }
  if (target.pathname === OIDC_PATHS.authorization)
    return registeredOrigin(
      deps,
      target.searchParams.get("client_id"),
      target.searchParams.get("redirect_uri"),
      "redirectUris",
    );
  if (target.pathname === OIDC_PATHS.endSession)
    return registeredOrigin(
      deps,
      target.searchParams.get("client_id") ?? audienceOf(target.searchParams.get("id_token_hint")),
      target.searchParams.get("post_logout_redirect_uri"),
      "postLogoutRedirectUris",
    );
  return null;
}

/** The pages that carry an authorization request on to the application (their forms end there). */
const ROUND_TRIP_PAGES = new Set(["/terms", "/login", "/step-up", "/first-sign-in"]);

/** The hint's audience, unverified: it only names which client's registered URIs to compare with. */
function audienceOf(hint: string | null): string | null {
  if (!hint) return null;
  try {
    const aud = decodeJwt(hint).aud;
    return typeof aud === "string" ? aud : (aud?.[0] ?? null);
  } catch {
    return null;
  }
}

async function registeredOrigin(
  deps: Pick<Deps, "db">,
  clientId: string | null,
  uri: string | null,
  list: "redirectUris" | "postLogoutRedirectUris",
): Promise<string | null> {
  if (!clientId || !uri || clientId.length > 100 || uri.length > 2000) return null;
  const client = await getActiveClient(deps, clientId);
  if (!client?.[list].includes(uri)) return null;
  return new URL(uri).origin;
}

/** The Content-Security-Policy with `form-action` widened to one more origin. */
export function withFormActionOrigin(policy: string, origin: string): string {
  return policy.replace(
    /(^|;\s*)form-action ([^;]*)/,
    (_all, start: string, sources: string) => `${start}form-action ${sources} ${origin}`,
  );
}
