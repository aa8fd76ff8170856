import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { PROGRAMS } from "../../app/.server/db/seed/reference";
import { cookieFrom, get, postForm } from "../factories/http";
import { seedDatabase } from "../factories/seed";

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
