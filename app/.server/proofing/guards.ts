import { redirect } from "@remix-run/cloudflare";
import type { Deps } from "../deps";
import { requireSession } from "../auth/session";
import { getEnrollmentState } from "./enrollment";

/** Enrollment screens: a signed-in user; `verified` ones also need proofing done. */
export async function requireEnrollee(deps: Deps, request: Request, options: { verified?: boolean } = {}) {
  const session = await requireSession(deps, request);
  const state = await getEnrollmentState(deps, session.user);
  if (options.verified && !state.identityVerified) throw redirect("/enrollment");
  return { session, user: session.user, state };
}
