import { Hono } from "hono";
import { getSession } from "../../app/.server/auth/session";
import { authenticationOptions, registrationOptions } from "../../app/.server/auth/webauthn";
import type { AppEnv } from "../types";

/**
 * JSON for the browser's WebAuthn calls. Only options are issued here; the
 * signed answers come back through the ordinary form posts of the sign-in and
 * enrollment screens, which verify them.
 */
export const webauthnRoutes = new Hono<AppEnv>()
  .post("/registration/options", async (c) => {
    const session = await getSession(c.get("deps"), c.req.raw);
    if (!session) return c.json({ error: "Sign in first." }, 401);
    return c.json(await registrationOptions(c.get("deps"), session.user));
  })
  .post("/authentication/options", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { loginId?: unknown };
    const loginId = typeof body.loginId === "string" && /^[A-Za-z0-9]{1,20}$/.test(body.loginId) ? body.loginId : null;
    return c.json(await authenticationOptions(c.get("deps"), loginId));
  });
