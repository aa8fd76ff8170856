import { type AppLoadContext, createCookie } from "react-router";
import type { Client } from "~/.server/client";

/** Long-lived random id of this browser, for "new device" alerts (its hash is stored). */
export const deviceCookie = createCookie("__Host-sp-device", {
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  path: "/",
  maxAge: 400 * 24 * 60 * 60,
});

export async function getClient(context: AppLoadContext, request: Request): Promise<Client> {
  const device = await deviceCookie.parse(request.headers.get("Cookie"));
  return {
    ip: context.clientIp,
    userAgent: request.headers.get("User-Agent"),
    location: context.clientLocation,
    deviceToken: typeof device === "string" && /^[a-z2-7]{32}$/.test(device) ? device : null,
  };
}
