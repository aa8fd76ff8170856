import { SELF } from "cloudflare:test";

export const HOST = "localhost:8787";
export const ORIGIN = `http://${HOST}`;

/** A same-origin form post, as a browser sends it. */
export function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { Host: HOST, "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, "Sec-Fetch-Site": "same-origin", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

export function get(path: string, headers: Record<string, string> = {}) {
  return SELF.fetch(`${ORIGIN}${path}`, { redirect: "manual", headers: { Host: HOST, ...headers } });
}

/** `name=value` of a Set-Cookie header, for the next request's Cookie header. */
export function cookieFrom(response: Response): string {
  const header = response.headers.get("Set-Cookie") ?? "";
  return header.split(";")[0];
}
