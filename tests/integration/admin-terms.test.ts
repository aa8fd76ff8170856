import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, totpNow } from "../factories/users";

/**
 * Terms and Conditions in D1 (SPEC 2.8): administrators preview and publish a
 * version (Markdown, never markup), everyone accepts the new version at their
 * next sign-in, and the acceptance records the version.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const NEW_VERSION = "2027-01-15";
afterAll(async () => {
  // Leave the version in force as the other files expect it.
  await env.DB.prepare("DELETE FROM terms_versions WHERE version LIKE '2027-%'").run();
});

async function signedIn(roleCode: string | null, firstName = "Ada") {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const user = await createUser({ totpKey: key, firstName, lastName: "Admin" });
  if (roleCode)
    await env.DB.prepare(
      "INSERT INTO user_roles (id, user_id, role_id, organization_id, status, granted_at) SELECT ?, ?, id, (SELECT id FROM organizations WHERE external_key = 'cms:hq'), 'active', ? FROM roles WHERE code = ?",
    )
      .bind(crypto.randomUUID(), user.id, Date.now(), roleCode)
      .run();
  const browser = new Browser();
  const response = await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
  expect(response.status).toBe(302);
  return { user, browser, key };
}

const BODY =
  "# Use of this system\n\nYou must **protect** health data.\n\n- Report misuse\n- Keep your factor\n\n<script>alert(1)</script>";

describe("Terms and Conditions administration", () => {
  it("is a 404 without the administrator role and steps up a weak session", async () => {
    const approver = await signedIn("HELP_DESK_APPROVER", "Hal");
    for (const path of ["/admin", "/admin/terms"]) expect((await approver.browser.get(path)).status).toBe(404);
    expect(
      (
        await approver.browser.post("/admin/terms", {
          intent: "publish",
          version: "x1",
          bodyMarkdown: BODY,
          confirm: "on",
        })
      ).status,
    ).toBe(404);
    const admin = await signedIn("HELP_DESK_ADMINISTRATOR", "Wes");
    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(admin.user.id)
      .run();
    const weak = await admin.browser.get("/admin/terms");
    expect(weak.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent("/admin/terms")}`);
  });

  it("previews Markdown as text, writes nothing, and refuses a stale factor for publishing", async () => {
    const admin = await signedIn("HELP_DESK_ADMINISTRATOR", "Pru");
    const preview = await admin.browser.post("/admin/terms", {
      intent: "preview",
      version: "2027-02-01",
      bodyMarkdown: BODY,
    });
    expect(preview.status).toBe(200);
    const html = await preview.text();
    expect(html).toContain("<strong>protect</strong>");
    expect(html).toContain("<li>Report misuse</li>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)");
    expect(
      (
        await env.DB.prepare("SELECT count(*) AS n FROM terms_versions WHERE version = '2027-02-01'").first<{
          n: number;
        }>()
      )?.n,
    ).toBe(0);

    const missing = await admin.browser.post("/admin/terms", {
      intent: "publish",
      version: "2027-02-01",
      bodyMarkdown: BODY,
    });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Confirm that everyone must accept this version at their next sign-in.");

    await env.DB.prepare("UPDATE sessions SET strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now() - 16 * 60 * 1000, admin.user.id)
      .run();
    const stale = await admin.browser.post("/admin/terms", {
      intent: "publish",
      version: "2027-02-01",
      bodyMarkdown: BODY,
      confirm: "on",
    });
    expect(stale.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent("/admin/terms")}`);
  });

  it("publishing once (of 10 at once) makes everyone accept the new version at the next sign-in, recorded with the version", async () => {
    // Someone who accepted the version in force before the change.
    const reader = new Browser();
    await reader.acceptTerms();
    expect((await reader.get("/login")).status).toBe(200);

    const admin = await signedIn("HELP_DESK_ADMINISTRATOR", "Max");
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        admin.browser.post("/admin/terms", {
          intent: "publish",
          version: NEW_VERSION,
          bodyMarkdown: BODY,
          confirm: "on",
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await responses.find((r) => r.status === 409)!.text()).toContain("That version name is already used.");
    const audits = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE event_type = 'terms.published' AND details_json LIKE ?",
    )
      .bind(`%${NEW_VERSION}%`)
      .first<{ n: number }>();
    expect(audits?.n).toBe(1);

    // The earlier acceptance no longer counts: back to the terms, now the new text.
    const again = await reader.get("/login");
    expect(again.headers.get("Location")).toBe("/terms");
    const terms = await (await reader.get("/terms")).text();
    expect(terms).toContain(`Version ${NEW_VERSION}`);
    expect(terms).toContain("<h2>Use of this system</h2>");
    expect(terms).toContain(`name="version" value="${NEW_VERSION}"`);

    // Accepting the version on screen is recorded with it, and sign-in links it to the account.
    const key = crypto.getRandomValues(new Uint8Array(20));
    const person = await createUser({ totpKey: key, firstName: "Nell", lastName: "Next" });
    const browser = new Browser();
    const accepted = await browser.post("/terms", { intent: "accept", program: "", version: NEW_VERSION });
    expect(accepted.headers.get("Location")).toBe("/login");
    expect(
      (await browser.signIn(person.loginId, person.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(302);
    const row = await env.DB.prepare(
      "SELECT terms_version FROM terms_acceptances WHERE user_id = ? ORDER BY accepted_at DESC LIMIT 1",
    )
      .bind(person.id)
      .first<{ terms_version: string }>();
    expect(row?.terms_version).toBe(NEW_VERSION);

    // A page read before the change cannot accept the old version.
    const stale = await new Browser().post("/terms", { intent: "accept", program: "", version: "2026-11-01" });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("The Terms and Conditions changed while you were reading them.");
  });
});
