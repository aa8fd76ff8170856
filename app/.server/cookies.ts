/**
 * The portal's own cookies, written without a framework so that both doors
 * (React Router and Hono) and the domain services can use them. Every one is
 * `__Host-` prefixed: Secure, Path=/, no Domain, so no subdomain can set it.
 */
export interface CookieOptions {
  /** Seconds; omitted for a browser-session cookie, 0 to delete. */
  maxAge?: number;
}

export function serializeCookie(name: `__Host-${string}`, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "Secure", "SameSite=Lax"];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.maxAge === 0) parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  return parts.join("; ");
}

/** The value of one cookie from a Cookie header, or null; the pattern refuses anything malformed. */
export function readCookie(cookieHeader: string | null, name: string, pattern: RegExp): string | null {
  if (!cookieHeader) return null;
  for (const pair of cookieHeader.split(";")) {
    const index = pair.indexOf("=");
    if (index < 0 || pair.slice(0, index).trim() !== name) continue;
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(index + 1).trim());
    } catch {
      return null;
    }
    return pattern.test(value) ? value : null;
  }
  return null;
}
