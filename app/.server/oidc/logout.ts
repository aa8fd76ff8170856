import type { JWTPayload } from "jose";
import { recordAuditEvent } from "../audit/record";
import { type CurrentSession, destroySession } from "../auth/session";
import type { Deps } from "../deps";
import { getActiveClient } from "./clients";
import { sidForClient } from "./config";
import { verifyOwnJwt } from "./keys";

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at
 * /oidc/logout, the discovery document's end_session_endpoint. An application
 * sends the user here to sign out of the portal too:
 * - with an `id_token_hint` the portal signed (expired is fine) whose `sid` is
 *   the current session: the user is signed out at once (the normal sign-out,
 *   whose trigger tells the other applications by back-channel logout) and sent
 *   to `post_logout_redirect_uri` with `state`;
 * - without a hint, with a hint for another session, or with one that does not
 *   verify: the user is asked "Sign out of the portal?" (a POST from the
 *   portal's own page): nothing ends on a bare GET without proof;
 * - not signed in: straight to the post-logout redirect, or the signed-out page.
 * `post_logout_redirect_uri` is used only if it is exactly one registered for
 * the application the hint (its `aud`) or `client_id` names, and never after a
 * hint that does not verify: anything else shows the portal's signed-out page.
 */

export interface LogoutParams {
  idTokenHint: string | null;
  clientId: string | null;
  postLogoutRedirectUri: string | null;
  state: string | null;
}

/** The portal's own signed-out page. */
export const SIGNED_OUT_PATH = "/login?signedOut=1";

/** Longer than any real value; a parameter past it is treated as absent. */
const MAX_PARAM_LENGTH = 4096;

/** The request's parameters (query or form; `ui_locales` and anything else are ignored). */
export function logoutParamsFrom(source: URLSearchParams | FormData): LogoutParams {
  const read = (name: string) => {
    const value = source.get(name);
    return typeof value === "string" && value.length > 0 && value.length <= MAX_PARAM_LENGTH ? value : null;
  };
  return {
    idTokenHint: read("id_token_hint"),
    clientId: read("client_id"),
    postLogoutRedirectUri: read("post_logout_redirect_uri"),
    state: read("state"),
  };
}

export type LogoutDecision =
  /** End the current session now, then go to `redirectTo` (null: the signed-out page). */
  | { kind: "sign-out"; redirectTo: string | null }
  /** Signed in, no proof: ask. `hintRejected`: the hint did not verify (the page says so). */
  | { kind: "confirm"; clientName: string | null; hintRejected: boolean }
  /** Not signed in: go to `redirectTo` (null: the signed-out page). */
  | { kind: "signed-out"; redirectTo: string | null };

function audiences(payload: JWTPayload): string[] {
  if (typeof payload.aud === "string") return [payload.aud];
  return Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === "string") : [];
}

/** The hint, if the portal signed it as an ID token (a logout token, say, is not one). */
async function verifiedHint(deps: Pick<Deps, "db" | "env" | "now">, hint: string): Promise<JWTPayload | null> {
  const payload = await verifyOwnJwt(deps, hint, { allowExpired: true });
  if (!payload || "events" in payload || typeof payload.sub !== "string") return null;
  return audiences(payload).length > 0 ? payload : null;
}

/**
 * What to do with a logout request. `confirmed`: the user pressed "Sign Out"
 * on the portal's own page (a same-origin POST, checked by the door).
 */
export async function decideLogout(
  deps: Pick<Deps, "db" | "env" | "now">,
  params: LogoutParams,
  session: Pick<CurrentSession, "sid"> | null,
  options: { confirmed: boolean },
): Promise<LogoutDecision> {
  const hint = params.idTokenHint ? await verifiedHint(deps, params.idTokenHint) : null;
  let hintRejected = params.idTokenHint !== null && hint === null;
  let clientId = params.clientId;
  if (hint) {
    const aud = audiences(hint);
    // A client_id that is not the hint's audience: the request contradicts itself.
    if (clientId && !aud.includes(clientId)) hintRejected = true;
    else clientId ??= aud.length === 1 ? aud[0] : typeof hint.azp === "string" ? hint.azp : null;
  }
  const client = clientId ? await getActiveClient(deps, clientId) : null;
  let redirectTo: string | null = null;
  if (!hintRejected && client && params.postLogoutRedirectUri) {
    if (client.postLogoutRedirectUris.includes(params.postLogoutRedirectUri)) {
      const url = new URL(params.postLogoutRedirectUri);
      if (params.state !== null) url.searchParams.append("state", params.state);
      redirectTo = url.toString();
    }
  }
  if (!session) return { kind: "signed-out", redirectTo };
  if (options.confirmed) return { kind: "sign-out", redirectTo };
  if (
    !hintRejected &&
    hint &&
    typeof hint.sid === "string" &&
    typeof hint.aud === "string" &&
    hint.sid === sidForClient(deps.env, hint.aud, session.sid)
  )
    return { kind: "sign-out", redirectTo };
  return { kind: "confirm", clientName: hintRejected ? null : (client?.name ?? null), hintRejected };
}

/** The normal Sign Out (session row deleted: back-channel logout reaches every application it signed in to). */
export async function signOutForApplication(
  deps: Deps,
  session: Pick<CurrentSession, "idHash" | "user">,
  ip: string | null,
) {
  await destroySession(deps, session.idHash);
  await recordAuditEvent(deps, {
    eventType: "signout",
    outcome: "success",
    subjectUserId: session.user.id,
    actorUserId: session.user.id,
    ip,
    details: { via: "end_session_endpoint" },
  });
}
