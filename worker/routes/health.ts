import { Hono } from "hono";
import type { AppEnv } from "../types";

/** Liveness plus a one-row D1 read, for uptime checks. */
export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const row = await c.env.DB.prepare("SELECT 1 AS ok").first<{ ok: number }>();
  return c.json({ status: row?.ok === 1 ? "ok" : "degraded", traceId: c.get("traceId") });
});
