import { Hono } from "hono";
import { hitRateLimit, ipKey } from "../../app/.server/auth/rate-limit";
import { authenticationOptions, registrationOptions } from "../../app/.server/auth/webauthn";
import { requireCapability } from "../capability";
import type { AppEnv } from "../types";

/**
 * Unauthenticated sign-in options per IP. Each call writes a challenge row, so a
 * script could fill D1 with them; a person needs one or two per sign-in. Same
 * budget as sign-in attempts per IP (LIMITS.signInPerIp): a shared office NAT
 * signing in through the morning stays well inside it.
 */
export const AUTHENTICATION_OPTIONS_PER_IP = { limit: 30, windowMs: 15 * 60 * 1000 } as const;

/**
 * JSON for the browser's WebAuthn calls. Only options are issued here; the
 * signed answers come back through the ordinary form posts of the sign-in and
 * enrollment screens, which verify them.
 */
export const webauthnRoutes = new Hono<AppEnv>()
  // Rule: adding a device (the first during enrollment; later ones need a fresh strong factor).
  .post("/registration/options", requireCapability("device.add"), async (c) => {
    return c.json(await registrationOptions(c.get("deps"), c.get("session").user));
  })
  .post("/authentication/options", async (c) => {
    const deps = c.get("deps");
    const gate = await hitRateLimit(
      deps,
      ipKey("webauthn-options", c.req.header("CF-Connecting-IP") ?? null),
      AUTHENTICATION_OPTIONS_PER_IP,
    );
    if (!gate.allowed) {
      const minutes = Math.ceil(gate.retryAfterSeconds / 60);
      return c.json({ error: `Too many sign-in attempts from your network. Try again in ${minutes} minutes.` }, 429, {
        "Retry-After": String(gate.retryAfterSeconds),
      });
    }
    const body = (await c.req.json().catch(() => ({}))) as { loginId?: unknown };
    const loginId = typeof body.loginId === "string" && /^[A-Za-z0-9]{1,20}$/.test(body.loginId) ? body.loginId : null;
    return c.json(await authenticationOptions(deps, loginId));
  });
