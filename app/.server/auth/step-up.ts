import { STRONG_TYPES } from "~/lib/mfa";
import type { StepUpInput } from "~/lib/sign-in-schemas";
import { recordAuditEvent } from "../audit/record";
import type { Deps } from "../deps";
import { amrAfterStepUp } from "../oidc/config";
import { fail, ok, type Result } from "../result";
import { verifySecondFactor } from "./mfa";
import { type CurrentSession, rotateSession } from "./session";

/**
 * Step-up (NIST SP 800-63B §4.2.3 reauthentication at AAL2): a code from an
 * authenticator app, a security key or a recovery code makes the session
 * strong for 15 minutes, under a new session id. Wrong codes count like wrong
 * codes at sign-in (locks, emails).
 */
export async function stepUp(
  deps: Deps,
  session: CurrentSession,
  input: Pick<StepUpInput, "type" | "code">,
  client: { ip: string | null; userAgent: string | null },
): Promise<Result<{ setCookie: string }, "invalid" | "mfa_locked" | "expired">> {
  const verified = await verifySecondFactor(deps, session.user, input.type, input.code, { allowed: STRONG_TYPES });
  await recordAuditEvent(deps, {
    eventType: verified.ok ? "session.stepped_up" : "session.step_up_failed",
    outcome: verified.ok ? "success" : "failure",
    subjectUserId: session.user.id,
    actorUserId: session.user.id,
    ip: client.ip,
    userAgent: client.userAgent,
    details: { deviceType: input.type },
  });
  if (!verified.ok) {
    if (verified.code === "refused") return verified;
    return fail(verified.code, { field: "code", detail: verified.detail });
  }
  // The factor joins the session's amr: an application asking for a security key sees whether one was used.
  const rotated = await rotateSession(deps, session, { strong: true, amr: amrAfterStepUp(session.amr, input.type) });
  if (!rotated) return fail("expired");
  return ok(rotated);
}
