import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { emailLog, proofingReviews, users } from "../../app/.server/db/schema";
import { npiCheckDigit } from "../../app/lib/organization-identifiers";
import { expectNoAxeViolations, newContext, openPage, screenshot, sharedBrowser } from "./support/browser";
import { addOrganization, resetMfa } from "./support/journeys";
import { writeLocalD1 } from "./support/local-d1";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * Administration on a 360 × 740 phone with JavaScript off (SPEC 2.8): a Help Desk
 * Administrator goes through every screen and does one real thing on each, by
 * plain links and form posts: adds, finds, edits, deactivates and reactivates an
 * organization; saves a role's rules; unlocks one user and resets another's MFA;
 * records a manual-proofing decision; previews new Terms (publishes nothing);
 * filters the Audit Log. Each page answers below 500, nothing scrolls sideways,
 * axe finds nothing, and a screenshot (admin-phone-<screen>) is kept to look at.
 */

const getBrowser = sharedBrowser();
const WIDTH = 360;

describe("Administration on a phone without JavaScript", () => {
  it("a Help Desk Administrator uses every Administration screen at 360 px with plain links and forms", async () => {
    const tag = `PHONE${Date.now().toString(36).toUpperCase()}`;
    const [admin, locked, lostPhone, unverified] = await Promise.all([
      createSignedInUser({ firstName: "Harper", lastName: "Admin", roles: [{ role: "HELP_DESK_ADMINISTRATOR" }] }),
      createSignedInUser({ firstName: "Lola", lastName: "Locked" }),
      createSignedInUser({ firstName: "Remy", lastName: "Reset" }),
      createSignedInUser({ firstName: "Noor", lastName: "Unverified" }),
    ]);
    const now = new Date();
    await writeLocalD1(inject("localD1File"), async (db) => {
      await db
        .update(users)
        .set({ mfaLockedUntil: new Date(now.getTime() + 60 * 60 * 1000), mfaFailures: 10 })
        .where(eq(users.id, locked.userId));
      // A person who asked for manual proofing, and an email the queue gave up on: rows for those screens.
      await db.insert(proofingReviews).values({
        id: crypto.randomUUID(),
        userId: unverified.userId,
        status: "open",
        note: "Moved recently; the online check could not find my address.",
        createdAt: now,
      });
      await db.insert(emailLog).values({
        idempotencyKey: `e2e-phone-${tag}-a-key-long-enough-to-need-breaking-somewhere`,
        kind: "mfa_reset",
        recipient: `${tag.toLowerCase()}.someone-with-a-long-address@example.test`,
        subject: "Your MFA devices were reset",
        status: "failed",
        attempts: 5,
        lastError: "550 5.1.1 The email account that you tried to reach does not exist",
        createdAt: now,
        updatedAt: now,
      });
    });

    const context = await newContext(getBrowser(), { javaScript: false, width: WIDTH, height: 740 });
    await context.addCookies(admin.cookies);
    const { page, problems } = await openPage(context);
    // The status of the last page the browser landed on (a form post's redirect included).
    let status = 0;
    page.on("response", (response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) status = response.status();
    });

    /** What every screen must be on a phone: served, no sideways scroll, accessible; then kept as a picture. */
    async function check(screen: string) {
      expect(status, screen).toBeGreaterThan(0);
      expect(status, screen).toBeLessThan(500);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth, `${screen} scrolls sideways`).toBeLessThanOrEqual(WIDTH);
      await expectNoAxeViolations(page, { javaScript: false });
      await screenshot(page, `admin-phone-${screen}`);
    }
    /** The Administration navigation above every screen (the footer links "Terms and Conditions" too). */
    const nav = page.getByRole("navigation", { name: "Administration" });
    /** Pixels between the top of what `selector` finds and the bottom of the element before it. */
    const gapAbove = (selector: string) =>
      page.locator(selector).evaluate((el) => {
        const before = el.previousElementSibling ?? el.parentElement!;
        return el.getBoundingClientRect().top - before.getBoundingClientRect().bottom;
      });
    const box = async (locator: ReturnType<Page["locator"]>) => (await locator.boundingBox())!;
    const h1 = (p: Page, name: string) => p.getByRole("heading", { level: 1, name, exact: true }).waitFor();

    // Dashboard.
    await page.goto("/admin");
    await h1(page, "Dashboard");
    await check("dashboard");

    // Organizations: add one, find it, edit it, deactivate and reactivate it.
    await nav.getByRole("link", { name: "Organizations", exact: true }).click();
    await h1(page, "Organizations");
    await check("organizations");
    await page.getByRole("link", { name: "Add an organization" }).click();
    await h1(page, "Add an organization");
    await check("organization-new");
    const nine = String(Date.now() % 1_000_000_000).padStart(9, "0");
    await addOrganization(page, {
      name: `${tag} FAMILY CLINIC`,
      address1: "1 MAIN STREET",
      npi: `${nine}${npiCheckDigit(nine)}`,
    });

    await page.goto("/admin/organizations");
    await page.getByLabel("Org Name").fill(`${tag} family`);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByText(`${tag} FAMILY CLINIC`).first().waitFor();
    // The results' caption stands apart from the Search button above it.
    expect(await gapAbove("#admin-organizations")).toBeGreaterThanOrEqual(16);
    await check("organizations-search");
    await page.getByRole("link", { name: `Edit ${tag} FAMILY CLINIC` }).click();
    await h1(page, "Edit organization");
    await page.getByLabel("Org Address 2").fill("SUITE 200");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Your changes were saved.").waitFor();
    expect(await page.getByLabel("Org Address 2").inputValue()).toBe("SUITE 200");
    // Deactivate is a section of its own, below the details form's buttons, and as wide as they are.
    const statusSection = page.getByRole("region", { name: "Organization status" });
    const deactivate = statusSection.getByRole("button", { name: "Deactivate organization" });
    const back = await box(page.getByRole("link", { name: "Back to Organizations" }));
    expect((await box(statusSection)).y - (back.y + back.height)).toBeGreaterThanOrEqual(24);
    expect((await box(deactivate)).width).toBe((await box(page.getByRole("button", { name: "Save changes" }))).width);
    await check("organization-edit");
    await deactivate.click();
    await page.getByText("The organization is now inactive.").waitFor();
    await check("organization-deactivated");
    await page.getByRole("button", { name: "Reactivate organization" }).click();
    await page.getByText("The organization is active again.").waitFor();

    // Programs and roles: save a role's rules as they are.
    await nav.getByRole("link", { name: "Programs and roles", exact: true }).click();
    await h1(page, "Programs and roles");
    // "A request must give an End Date" stands apart from the organization types above it.
    const firstRole = page.locator("li.card").first();
    const types = await box(firstRole.locator("fieldset").first());
    const endDate = await box(firstRole.getByText("A request must give an End Date"));
    expect(endDate.y - (types.y + types.height)).toBeGreaterThanOrEqual(24);
    const roleId = await firstRole.getAttribute("id");
    await firstRole.getByRole("button", { name: "Save rules" }).click();
    // The page comes back at the saved role (#role-…); its notice is there, on screen, not above it.
    const notice = page.locator(`#${roleId}`).getByRole("status");
    await notice.getByText("Nothing changed.").waitFor();
    const shown = await box(notice);
    expect(shown.y).toBeGreaterThanOrEqual(0);
    expect(shown.y + shown.height).toBeLessThanOrEqual(740);
    await check("programs");

    // Users: find the locked one and unlock; find the other and reset MFA.
    await nav.getByRole("link", { name: "Users", exact: true }).click();
    await h1(page, "Users");
    await page.getByLabel("User ID, name or email").fill(locked.loginId);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "1 account found" }).waitFor();
    await check("users-search");
    await page.getByRole("link", { name: "Locked, Lola" }).click();
    await h1(page, "Lola Locked");
    await check("user");
    await page.getByText("Unlock", { exact: true }).click();
    await page.getByRole("button", { name: "Unlock account" }).click();
    await page.getByText("Lola Locked's account is unlocked.").waitFor();
    await check("user-unlocked");

    await resetMfa(page, { loginId: lostPhone.loginId, firstName: "Remy", lastName: "Reset" });
    await check("user-mfa-reset");

    // Manual proofing: record that a person could not be verified.
    await nav.getByRole("link", { name: "Manual proofing", exact: true }).click();
    await h1(page, "Manual identity proofing");
    const request = page.locator(".card", { hasText: unverified.loginId });
    // The phone number is never split across lines.
    const phone = request.getByText("614-555-0100", { exact: true });
    expect(await phone.evaluate((el) => el.getClientRects().length)).toBe(1);
    await check("proofing");
    await request.getByLabel("Reason (if you could not verify)").fill("No answer at the phone number on file.");
    await request.getByRole("button", { name: "Could Not Verify" }).click();
    await page.getByText("Recorded.").waitFor();
    // The decisions table speaks of decisions, not of open requests.
    await page.locator("#recent-decisions").getByText("No answer at the phone number on file.").first().waitFor();
    expect(await page.locator("#recent-decisions").textContent()).not.toContain("No open requests.");
    await check("proofing-decided");

    // Failed email: the list (this row's message was not kept, so it has no Resend).
    await nav.getByRole("link", { name: /^Failed email/ }).click();
    await h1(page, "Failed email");
    await page.getByText("550 5.1.1").waitFor();
    // Each table's caption stands apart from the text or table above it.
    expect(await gapAbove("#dead-letters")).toBeGreaterThanOrEqual(16);
    expect(await gapAbove("#retired-outbox")).toBeGreaterThanOrEqual(16);
    await check("failed-email");

    // Terms and Conditions: preview a new version; publish nothing.
    await nav.getByRole("link", { name: "Terms and Conditions", exact: true }).click();
    await h1(page, "Terms and Conditions");
    await check("terms");
    await page.getByLabel("Version", { exact: true }).fill(`${tag}-draft`);
    await page.getByLabel("Text", { exact: true }).fill("# Draft\n\nA paragraph to preview.\n\n- one\n- two");
    await page.getByRole("button", { name: "Preview", exact: true }).click();
    const preview = page.getByRole("region", { name: "Preview" });
    await preview.getByRole("heading", { level: 3, name: "Preview" }).waitFor();
    // The preview's heading sits at the top of its box, not below an empty band.
    const previewHeading = await box(preview.getByRole("heading", { level: 3, name: "Preview" }));
    expect(previewHeading.y - (await box(preview)).y).toBeLessThanOrEqual(24);
    expect(await page.getByLabel("Version", { exact: true }).inputValue()).toBe(`${tag}-draft`);
    await check("terms-preview");

    // Audit Log: filter to the events about the unlocked user.
    await page.goto("/audit-log");
    await h1(page, "Audit Log");
    await check("audit-log");
    await page.getByLabel("User ID").fill(locked.loginId);
    await page.getByRole("button", { name: "Apply Filters" }).click();
    await page.locator("td", { hasText: "account.unlocked" }).first().waitFor();
    expect(await gapAbove("#audit-events")).toBeGreaterThanOrEqual(16);
    await check("audit-log-filtered");

    expect(problems).toEqual([]);
    await context.close();
    // Fifteen screens, each checked by axe and photographed: about a minute on an idle machine, more on a busy one.
  }, 180_000);
});
