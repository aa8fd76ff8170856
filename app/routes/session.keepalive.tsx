import { data } from "react-router";
import { getSession, touchSession } from "~/.server/auth/session";
import type { ActionArgs } from "~/web/.server/route-args";

/** "Stay signed in" from the idle-timeout warning. */
export async function action({ request, context }: ActionArgs) {
  const session = await getSession(context.deps, request);
  if (!session) return data({ ok: false as const, idleRemainingMs: 0 }, { status: 401 });
  return { ok: true as const, idleRemainingMs: await touchSession(context.deps, session) };
}
