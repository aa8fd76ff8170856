import { data, type ActionFunctionArgs } from "@remix-run/cloudflare";
import { getSession } from "~/.server/auth/session";

/** "Stay signed in" from the idle-timeout warning: any authenticated request counts as activity. */
export async function action({ request, context }: ActionFunctionArgs) {
  const session = await getSession(context.deps, request);
  if (!session) return data({ ok: false as const }, { status: 401 });
  return { ok: true as const, idleExpiresAt: session.idleExpiresAt.toISOString() };
}
