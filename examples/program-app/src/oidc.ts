/**
 * The parts of the sample's OpenID Connect client that need no network: the
 * third-party-initiated login's parameters, the return path, and back-channel
 * logout token validation (OpenID Connect Back-Channel Logout 1.0 §2.6).
 */
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";

/** OIDC Core §4: `iss` must be our issuer; `login_hint` and `target_link_uri` are optional. */
export function initiateLoginParams(
  query: URLSearchParams,
  config: { issuer: string; appOrigin: string },
): { ok: true; loginHint?: string; returnTo: string } | { ok: false; message: string } {
  const iss = query.get("iss");
  if (iss !== null && iss.replace(/\/+$/, "") !== config.issuer.replace(/\/+$/, ""))
    return { ok: false, message: "This sign-in was started by an issuer this application does not trust." };
  const loginHint = query.get("login_hint") || undefined;
  return { ok: true, loginHint, returnTo: returnPath(query.get("target_link_uri"), config.appOrigin) };
}

/** Where to go after sign-in: a path of this application only (never another origin), "/" otherwise. */
export function returnPath(target: string | null | undefined, appOrigin: string): string {
  if (!target) return "/";
  try {
    const url = new URL(target, appOrigin);
    if (url.origin !== new URL(appOrigin).origin) return "/";
    return `${url.pathname}${url.search}`;
  } catch {
    return "/";
  }
}

export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

export interface LogoutClaims {
  sid?: string;
  sub?: string;
}

export class LogoutTokenError extends Error {}

/**
 * Validates a logout token: signature with the issuer's keys, `typ` logout+jwt,
 * `iss`, `aud`, `iat` (and `exp` if present), `jti`, the back-channel logout
 * event, no `nonce`, and a `sid` or `sub`. Throws LogoutTokenError otherwise.
 */
export async function verifyLogoutToken(
  token: string,
  options: { issuer: string; audience: string; keys: JWTVerifyGetKey; now?: Date },
): Promise<LogoutClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      typ: "logout+jwt",
      requiredClaims: ["iat", "jti"],
      maxTokenAge: "5 minutes",
      clockTolerance: 30,
      currentDate: options.now,
    }));
  } catch (error) {
    throw new LogoutTokenError(error instanceof Error ? error.message : "The logout token is not valid.");
  }
  const events = payload.events as Record<string, unknown> | undefined;
  const event = events && typeof events === "object" ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (typeof event !== "object" || event === null || Array.isArray(event))
    throw new LogoutTokenError("The logout token has no back-channel logout event.");
  if ("nonce" in payload) throw new LogoutTokenError("A logout token must not carry a nonce.");
  const sid = typeof payload.sid === "string" && payload.sid ? payload.sid : undefined;
  const sub = typeof payload.sub === "string" && payload.sub ? payload.sub : undefined;
  if (!sid && !sub) throw new LogoutTokenError("The logout token names neither a session (sid) nor a subject (sub).");
  return { sid, sub };
}
