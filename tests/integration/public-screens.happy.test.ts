import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { PROGRAMS } from "../../app/.server/db/seed/reference";
import { clearPageCache } from "../../worker/page-cache";
import { cookieFrom, get, postForm } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { signedInWithTotp } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

describe("public screens", () => {
  it("home page offers Log In and New user registration in the CMS.gov | QualityNet shell", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(">Log In</a>");
    expect(html).toContain('href="/register"');
    expect(html).toContain("CMS.gov");
    expect(html).toContain("Centers for Medicare &amp; Medicaid Services");
  });

  it("destination screen lists the nine quality programs and Secure File Transfer", async () => {
    const html = await (await get("/destination")).text();
    expect(html).toContain("Choose Your QualityNet Destination");
    expect(html).toContain(
      "Please select your primary quality program to reach the correct login screen for your QualityNet portal.",
    );
    expect(html).toContain("Secure File Transfer");
    expect(html).toContain("Select your primary quality program:");
    const destinations = PROGRAMS.filter((p) => !("isDestination" in p));
    expect(destinations).toHaveLength(9);
    for (const p of destinations) expect(html).toContain(p.name);
    expect(html).not.toContain("Quality Improvement and Evaluation System");
  });

  it("accepting the terms records version, time and program, then opens the sign-in screen", async () => {
    const before = Date.now();
    const accepted = await postForm("/terms", { intent: "accept", program: "IQR" });
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("Location")).toBe("/login?program=IQR");
    const setCookie = accepted.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-sp-terms=/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("Secure");
    expect(setCookie).toContain("SameSite=Lax");

    const row = await env.DB.prepare(
      "SELECT terms_version, program_code, accepted_at FROM terms_acceptances ORDER BY accepted_at DESC LIMIT 1",
    ).first<{
      terms_version: string;
      program_code: string;
      accepted_at: number;
    }>();
    expect(row?.terms_version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(row?.program_code).toBe("IQR");
    expect(row?.accepted_at).toBeGreaterThanOrEqual(before);

    const login = await get("/login?program=IQR", { Cookie: cookieFrom(accepted) });
    expect(login.status).toBe(200);
    const html = await login.text();
    expect(html).toContain("Welcome to CMS Enterprise Portal");
    expect(html).toContain("Inpatient Hospital Quality Reporting Program");
    // The label names the User ID input (ids come from the form: `${formId}-${field}`).
    const inputId = html.match(/<input[^>]*id="([^"]+)"[^>]*name="userId"/)?.[1];
    expect(inputId).toBe("login-start-userId");
    expect(html).toMatch(new RegExp(`<label[^>]*for="${inputId}"[^>]*>User ID</label>`));
  });

  it("the sign-in screen sends anyone who has not accepted the terms back to them", async () => {
    const response = await get("/login?program=OQR");
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/terms?program=OQR");
    const forged = await get("/login", { Cookie: "__Host-sp-terms=%2200000000-0000-0000-0000-000000000000%22" });
    expect(forged.headers.get("Location")).toBe("/terms");
  });

  it("declining the terms returns home with a message and records nothing", async () => {
    const { count: before } = (await env.DB.prepare("SELECT count(*) AS count FROM terms_acceptances").first<{
      count: number;
    }>())!;
    const declined = await postForm("/terms", { intent: "decline" });
    expect(declined.status).toBe(302);
    expect(declined.headers.get("Location")).toBe("/?declined=1");
    const { count: after } = (await env.DB.prepare("SELECT count(*) AS count FROM terms_acceptances").first<{
      count: number;
    }>())!;
    expect(after).toBe(before);
    expect(await (await get("/?declined=1")).text()).toContain("You need to accept them to log in.");
  });

  it("an unknown program on the terms form is ignored rather than recorded", async () => {
    const accepted = await postForm("/terms", { intent: "accept", program: "NOT-A-PROGRAM" });
    expect(accepted.headers.get("Location")).toBe("/login");
  });

  it("an unknown page answers 404 inside the site shell", async () => {
    const response = await get("/no-such-page");
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain("Page not found");
    expect(html).toContain("site-header");
  });

  it("the health check reads D1", async () => {
    const response = await get("/healthz");
    expect(await response.json()).toMatchObject({ status: "ok" });
  });
});

describe("public screens without scripts, from memory", () => {
  const scriptless = ["/", "/destination", "/terms", "/terms?program=IQR"];

  it("Home, the destination chooser and the Terms ship no script and no nonce; other screens keep theirs", async () => {
    for (const path of scriptless) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(html, path).not.toContain("<script");
      expect(html, path).not.toContain("modulepreload");
      expect(html, path).not.toContain("nonce=");
      // Stricter than elsewhere: scripts only from this origin, no nonce, nothing inline.
      const policy = response.headers.get("Content-Security-Policy") ?? "";
      expect(policy, path).toMatch(/(^|;)\s*script-src 'self'(;|$)/);
      expect(policy, path).not.toMatch(/nonce|unsafe/);
    }
    const register = await get("/register");
    expect(await register.text()).toContain("<script");
    expect(register.headers.get("Content-Security-Policy")).toMatch(/script-src 'self' 'nonce-[^']+'/);
  });

  it("serves an anonymous page from memory for a while; any cookie gets a fresh page, and a signed-in page is never kept", async () => {
    // The same module the Worker runs (the tests call its fetch in this isolate).
    clearPageCache();
    const first = await get(`/destination`);
    expect(first.headers.get("X-Page-Cache")).toBe("miss");
    const firstHtml = await first.text();
    const again = await get(`/destination`);
    expect(again.headers.get("X-Page-Cache")).toBe("hit");
    expect(await again.text()).toBe(firstHtml);
    // Each answer still has its own trace id, and the page's security headers.
    expect(again.headers.get("X-Trace-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers.get("X-Trace-Id")).not.toBe(first.headers.get("X-Trace-Id"));
    for (const header of ["Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"])
      expect(again.headers.get(header), header).toBe(first.headers.get(header));
    expect(again.headers.get("X-Frame-Options")).toBe("DENY");

    // A new destination appears for anyone with a cookie at once, and for anonymous visitors within a minute.
    const code = `T${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    await env.DB.prepare(
      "INSERT INTO programs (code, name, is_destination, sort_order, active) VALUES (?, ?, 1, 999, 1)",
    )
      .bind(code, `Cached Program ${code}`)
      .run();
    expect(await (await get(`/destination`)).text()).not.toContain(code);
    const withCookie = await get(`/destination`, { Cookie: "anything=1" });
    expect(withCookie.headers.get("X-Page-Cache")).toBeNull();
    expect(await withCookie.text()).toContain(code);
    await env.DB.prepare("DELETE FROM programs WHERE code = ?").bind(code).run();

    // A signed-in Home (with the user's name and scripts) is never served to anyone else.
    const { user, browser } = await signedInWithTotp("Cachetest");
    const home = `/`;
    const mine = await browser.get(home);
    expect(mine.headers.get("X-Page-Cache")).toBeNull();
    const mineHtml = await mine.text();
    expect(mineHtml).toContain("User Profile");
    expect(mineHtml).toContain("<script");
    const anonymous = await (await get(home)).text();
    expect(anonymous).not.toContain("User Profile");
    expect(anonymous).not.toContain(user.loginId);
    expect(anonymous).not.toContain("<script");
  });

  it("keeps only pages that are the same for everyone: not a POST's answer, not a redirect, not another path, not a made-up query", async () => {
    clearPageCache();
    for (const path of ["/destination?utm_source=mail", "/terms?program=IQR&program=OQR"]) {
      await get(path);
      expect((await get(path)).headers.get("X-Page-Cache"), path).toBeNull();
    }
    await get("/terms?program=IQR");
    expect((await get("/terms?program=IQR")).headers.get("X-Page-Cache")).toBe("hit");
    const declined = await postForm("/terms", { intent: "decline" });
    expect(declined.status).toBe(302);
    expect(declined.headers.get("X-Page-Cache")).toBeNull();
    for (const path of ["/login", "/register", "/nope-not-a-page"]) {
      await get(path);
      expect((await get(path)).headers.get("X-Page-Cache"), path).toBeNull();
    }
  });
});
