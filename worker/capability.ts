import { createMiddleware } from "hono/factory";
import { type Action, can, type Resource } from "../app/.server/access/authorize";
import { type CurrentSession, getSession } from "../app/.server/auth/session";
import type { AppEnv } from "./types";

/**
 * The Hono door's guard: the same `can()` the screens ask, mapped to JSON
 * answers (401 signed out, 403 with what to do, 404 when not allowed at all).
 * Every Hono route that acts for a user states its rule with it.
 */
export function requireCapability(action: Action, resource: Resource = {}) {
  return createMiddleware<AppEnv & { Variables: { session: CurrentSession } }>(async (c, next) => {
    const deps = c.get("deps");
    const session = await getSession(deps, c.req.raw);
    if (!session) return c.json({ error: "Sign in first." }, 401);
    const decision = can(session.actor, action, resource, deps.now());
    if (!decision.ok) {
      if (decision.reason === "forbidden") return c.json({ error: "Not found." }, 404);
      const where =
        decision.reason === "step_up"
          ? "/step-up"
          : decision.reason === "restricted"
            ? "/account-restricted"
            : decision.reason === "reenrollment"
              ? "/enrollment/link"
              : "/enrollment";
      return c.json({ error: "Not allowed yet.", reason: decision.reason, location: where }, 403);
    }
    c.set("session", session);
    await next();
  });
}
