import { redirect } from "react-router";
import { type Action, can, type Refusal, type Resource } from "~/.server/access/authorize";
import { type CurrentSession, clearSessionCookie, getSession, hasSessionCookie } from "~/.server/auth/session";
import type { Deps } from "~/.server/deps";
import { getEnrollmentState } from "~/.server/proofing/enrollment";

/**
 * The screens' door guards: they ask the domain (`getSession`, `can()`) and map
 * its answers to React Router responses. Domain services never import the framework.
 */

/** Where the current screen is, to come back to it after signing in or stepping up. */
function here(request: Request): string {
  const url = new URL(request.url);
  return url.pathname + url.search;
}

/** For screens that need a signed-in user: redirects to sign-in otherwise. */
export async function requireSession(
  deps: Pick<Deps, "db" | "now">,
  request: Request,
  options: { allowIncompleteSetup?: boolean } = {},
): Promise<CurrentSession> {
  const session = await getSession(deps, request);
  if (!session) {
    const expired = hasSessionCookie(request);
    throw redirect(`/login?${expired ? "expired=1&" : ""}redirectTo=${encodeURIComponent(here(request))}`, {
      headers: { "Set-Cookie": clearSessionCookie() },
    });
  }
  if (!options.allowIncompleteSetup && session.setupNeeded) throw redirect("/first-sign-in");
  return session;
}

/**
 * Every screen that changes something sensitive states its rule here. A refusal
 * becomes: a 404 (nothing revealed), the step-up screen (and back), New User
 * Enrollment, the screen that asks for the emailed re-enrollment link (and sends
 * a new one), or the screen that says until when the account is restricted.
 */
export async function requireCapability(
  deps: Pick<Deps, "db" | "now">,
  request: Request,
  action: Action,
  resource: Resource | ((session: CurrentSession) => Resource) = {},
  options: { returnTo?: string } = {},
): Promise<CurrentSession> {
  const session = await requireSession(deps, request);
  const target = typeof resource === "function" ? resource(session) : resource;
  const decision = can(session.actor, action, target, deps.now());
  if (decision.ok) return session;
  return refuse(decision, request, options.returnTo);
}

/** Maps a refusal of `can()` to the screens' response (for services that check `can()` themselves). */
export function refuse(decision: Refusal, request: Request, returnTo?: string): never {
  const back = encodeURIComponent(returnTo ?? here(request));
  switch (decision.reason) {
    case "step_up":
      throw redirect(`/step-up?redirectTo=${back}`);
    case "enrollment":
      throw redirect("/enrollment");
    case "reenrollment":
      throw redirect("/enrollment/link");
    case "restricted":
      throw redirect(`/account-restricted?redirectTo=${back}`);
    case "forbidden":
      throw new Response("Not Found", { status: 404 });
  }
}

/**
 * Enrollment screens: a signed-in user; `verified` ones also need proofing
 * done. Screens that add a device state it (`addsDevice`): the first device
 * needs a session that proved more than the password (identity proofing or the
 * emailed re-enrollment link), later ones a fresh strong factor (`can(…, "device.add")`).
 */
export async function requireEnrollee(
  deps: Deps,
  request: Request,
  options: { verified?: boolean; addsDevice?: boolean } = {},
) {
  const session = await requireSession(deps, request);
  const state = await getEnrollmentState(deps, session.user);
  if (options.verified && !state.identityVerified) throw redirect("/enrollment");
  if (options.addsDevice) {
    const decision = can(session.actor, "device.add", {}, deps.now());
    if (!decision.ok) refuse(decision, request);
  }
  return { session, user: session.user, state };
}
