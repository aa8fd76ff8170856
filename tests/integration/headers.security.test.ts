import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { fetchWorker, get, ORIGIN, postForm } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { signedInWithTotp } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

describe("security headers", () => {
  it("every page carries a strict CSP whose nonce matches its inline scripts", async () => {
    // A page with scripts (Home ships none).
    const response = await get("/register");
    const csp = response.headers.get("Content-Security-Policy") ?? "";
    const nonce = csp.match(/'nonce-([^']+)'/)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await response.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toContain(`nonce="${nonce}"`);
  });

  it("nonces differ between requests; the scriptless public pages name none", async () => {
    const nonceOf = async (path: string) =>
      (await get(path)).headers.get("Content-Security-Policy")?.match(/'nonce-([^']+)'/)?.[1];
    const a = await nonceOf("/register");
    const b = await nonceOf("/register");
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
    expect(await nonceOf("/")).toBeUndefined();
  });

  it("sends framing, referrer and sniffing protections and a request id", async () => {
    const response = await get("/destination");
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("Referrer-Policy")).toBe("same-origin");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("X-Trace-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("no signed-in answer is ever stored", () => {
  it("sends Cache-Control: no-store on a signed-in user's pages, .data requests, redirects and errors", async () => {
    const { user, browser } = await signedInWithTotp("Uncached");
    const answers = {
      page: await browser.get("/my-account"),
      // Remix's single-fetch data request for the same screen: the user's email, as JSON.
      data: await browser.get("/my-account.data"),
      "data of a layout route": await browser.get("/profile.data?_routes=root"),
      redirect: await browser.get("/login"),
      "data redirect": await browser.get("/login.data"),
      "not found": await browser.get("/no-such-page"),
      "data not found": await browser.get("/no-such-page.data"),
      "JSON endpoint": await browser.post("/webauthn/registration/options", {}),
    };
    expect(await answers.data.clone().text()).toContain(user.email);
    expect(answers.redirect.status).toBeGreaterThanOrEqual(300);
    expect(answers.redirect.status).toBeLessThan(400);
    expect(answers["not found"].status).toBe(404);
    for (const [name, response] of Object.entries(answers))
      expect(response.headers.get("Cache-Control"), `${name} (${response.status})`).toBe("no-store");
  });

  it("sends no-store on an answer that sets a cookie, and keeps the public pages' own headers", async () => {
    const accepted = await postForm("/terms", { intent: "accept" });
    expect(accepted.headers.getSetCookie().length).toBeGreaterThan(0);
    expect(accepted.headers.get("Cache-Control")).toBe("no-store");
    const home = await get("/");
    expect(home.status).toBe(200);
    expect(home.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("CSRF protection", () => {
  it("refuses a form post from another site", async () => {
    const response = await postForm(
      "/terms",
      { intent: "accept" },
      { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
    );
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Request refused");
  });

  it("refuses a form post that proves no origin at all", async () => {
    const response = await fetchWorker(`${ORIGIN}/terms`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "intent=accept",
    });
    expect(response.status).toBe(403);
  });

  it("accepts a same-origin form post", async () => {
    const response = await postForm("/terms", { intent: "decline" });
    expect(response.status).toBe(302);
  });
});
