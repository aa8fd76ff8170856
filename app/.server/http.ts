import { createCookie, type AppLoadContext } from "@remix-run/cloudflare";

/** Long-lived random id of this browser, for "new device" alerts (its hash is stored). */
export const deviceCookie = createCookie("__Host-sp-device", {
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  path: "/",
  maxAge: 400 * 24 * 60 * 60,
});

export interface Client {
  ip: string | null;
  userAgent: string | null;
  location: string | null;
  deviceToken: string | null;
}

export async function getClient(context: AppLoadContext, request: Request): Promise<Client> {
  const device = await deviceCookie.parse(request.headers.get("Cookie"));
  return {
    ip: context.clientIp,
    userAgent: request.headers.get("User-Agent"),
    location: context.clientLocation,
    deviceToken: typeof device === "string" && /^[a-z2-7]{32}$/.test(device) ? device : null,
  };
}

/** Only local paths: no open redirects (ASVS 5.1.5). */
export function safeRedirectPath(value: FormDataEntryValue | string | null | undefined, fallback = "/welcome"): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  return value;
}
