import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../worker/index";

export const HOST = "localhost:8787";
export const ORIGIN = `http://${HOST}`;

/**
 * A request to the Worker: its own fetch handler (the same Hono and Remix code
 * that `SELF.fetch` reaches), called directly with a fresh execution context.
 * `SELF.fetch` goes through the test runner's service binding, whose cost grows
 * with every request it has carried in a test file (100 requests to /healthz:
 * 0.6 s for the first hundred, 10 s for the sixth); a direct call stays flat
 * (0.1 to 0.2 s each hundred).
 *
 * The answer comes back only after the request's `waitUntil` work (the session's
 * activity touch, the outbox drain and its queue sends) has finished, so a test
 * sees everything the request caused. Redirects are never followed: callers ask
 * for `redirect: "manual"`, and one that did not and got a redirect fails loudly
 * instead of silently seeing the 3xx.
 */
export async function fetchWorker(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  if (
    request.redirect !== "manual" &&
    response.status >= 300 &&
    response.status < 400 &&
    response.headers.has("Location")
  )
    throw new Error(
      `fetchWorker does not follow redirects: ${request.method} ${request.url} answered ${response.status} to ${response.headers.get("Location")}; pass redirect: "manual"`,
    );
  return response;
}

/** A same-origin form post, as a browser sends it. */
export function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetchWorker(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Host: HOST,
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: ORIGIN,
      "Sec-Fetch-Site": "same-origin",
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

export function get(path: string, headers: Record<string, string> = {}) {
  return fetchWorker(`${ORIGIN}${path}`, { redirect: "manual", headers: { Host: HOST, ...headers } });
}

/** `name=value` of a Set-Cookie header, for the next request's Cookie header. */
export function cookieFrom(response: Response): string {
  const header = response.headers.get("Set-Cookie") ?? "";
  return header.split(";")[0];
}

/** A minimal browser: keeps cookies across requests, sends same-origin form posts. */
export class Browser {
  cookies = new Map<string, string>();
  ip: string;

  constructor(ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`) {
    this.ip = ip;
  }

  private cookieHeader() {
    return [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const [name, ...rest] = pair.split("=");
      const value = rest.join("=");
      if (attributes.some((a) => /max-age=0/i.test(a.trim())) || value === "") this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
  }

  async get(path: string) {
    const response = await fetchWorker(`${ORIGIN}${path}`, {
      redirect: "manual",
      headers: {
        Host: HOST,
        Cookie: this.cookieHeader(),
        "CF-Connecting-IP": this.ip,
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
      },
    });
    this.remember(response);
    return response;
  }

  async post(path: string, fields: Record<string, string>) {
    const response = await fetchWorker(`${ORIGIN}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        Host: HOST,
        Origin: ORIGIN,
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
        Cookie: this.cookieHeader(),
        "CF-Connecting-IP": this.ip,
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(response);
    return response;
  }

  async acceptTerms() {
    await this.post("/terms", { intent: "accept", program: "IQR" });
  }

  /** Both steps of "Welcome to CMS Enterprise Portal". */
  async signIn(loginId: string, password: string, second: { deviceType?: string; code?: string } = {}) {
    if (!this.cookies.has("__Host-sp-terms")) await this.acceptTerms();
    await this.post("/login", { intent: "next", userId: loginId });
    return this.post("/login", {
      intent: "login",
      userId: loginId,
      password,
      deviceType: second.deviceType ?? "",
      code: second.code ?? "",
    });
  }
}
