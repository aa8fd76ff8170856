import { redirect } from "react-router";
import { recordAuditEvent } from "~/.server/audit/record";
import { clearSessionCookie, destroySession, getSession } from "~/.server/auth/session";
import type { ActionArgs } from "~/web/.server/route-args";

/** "Sign Out": ends the session on the server, not just the cookie. POST only. */
export async function action({ request, context }: ActionArgs) {
  const session = await getSession(context.deps, request);
  if (session) {
    await destroySession(context.deps, session.idHash);
    await recordAuditEvent(context.deps, {
      eventType: "signout",
      outcome: "success",
      subjectUserId: session.user.id,
      actorUserId: session.user.id,
      ip: context.clientIp,
    });
  }
  return redirect("/login?signedOut=1", { headers: { "Set-Cookie": await clearSessionCookie() } });
}

export async function loader() {
  return redirect("/");
}
