import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { users } from "../../app/.server/db/schema";
import { DEV_HELPDESK } from "../../app/.server/db/seed/build-seed";
import { npiCheckDigit } from "../../app/lib/organization-identifiers";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { addOrganization, independentTotp, resetMfa, signIn } from "./support/journeys";
import { writeLocalD1 } from "./support/local-d1";
import { readEmail } from "./support/mailbox";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * Administration (SPEC 2.8): HELPDESK1 adds an organization that a user then
 * finds in "Search Organizations", imports a CSV of 1,000 organizations (three
 * bad rows shown in the preview and skipped), unlocks a locked user and resets
 * another's MFA; each action is in the audit log.
 */

const getBrowser = sharedBrowser();

/** Signs HELPDESK1 in with an authenticator code; a code already used this step is refused, so the next step's is tried. */
async function signInAsHelpDesk(page: Page) {
  for (const offset of [0, 1]) {
    await signIn(page, DEV_HELPDESK.loginId, DEV_HELPDESK.password, {
      type: "totp",
      code: independentTotp(DEV_HELPDESK.totpSecretBase32, Date.now(), offset),
    });
    try {
      await page.waitForURL("**/welcome", { timeout: 5000 });
      return;
    } catch {
      // Refused (the code was just used by another journey): try the next one.
    }
  }
  throw new Error("HELPDESK1 could not sign in");
}

const npi = (n: number) => {
  const nine = String(700000000 + n).padStart(9, "0");
  return `${nine}${npiCheckDigit(nine)}`;
};

/** 1,000 data rows; rows 101, 502 and 903 of the data are wrong (a bad NPI check digit, a 5-character CCN, no name). */
function thousandRows(tag: string): string {
  const lines = ["name,org_type,address1,address2,city,state,zip,country,ccn,npi,tin"];
  for (let i = 1; i <= 1000; i++) {
    let name = `${tag} CLINIC ${i}`;
    let ccn = "";
    let id = npi(i);
    if (i === 101) id = `${id.slice(0, 9)}${(Number(id[9]) + 1) % 10}`;
    if (i === 502) ccn = "12345";
    if (i === 903) name = "";
    lines.push(`${name},Provider,${i} MAIN STREET,,DAYTON,OH,45402,US,${ccn},${id},`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

describe("Administration", () => {
  it("HELPDESK1 adds an organization a user then finds, imports 1,000 with 3 bad rows skipped, unlocks and resets MFA; all audited", async () => {
    const tag = `E2E${Date.now().toString(36).toUpperCase()}`;
    const locked = await createSignedInUser({ firstName: "Lola", lastName: "Locked" });
    const lostPhone = await createSignedInUser({ firstName: "Remy", lastName: "Reset" });
    await writeLocalD1(inject("localD1File"), (db) =>
      db
        .update(users)
        .set({ mfaLockedUntil: new Date(Date.now() + 60 * 60 * 1000), mfaFailures: 10 })
        .where(eq(users.id, locked.userId)),
    );

    const context = await newContext(getBrowser(), { javaScript: true, width: 1280 });
    const { page } = await openPage(context);
    await signInAsHelpDesk(page);
    await page.goto("/admin");
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await expectNoAxeViolations(page);

    // Add an organization.
    await page.goto("/admin/organizations/new");
    await addOrganization(page, { name: `${tag} COMMUNITY HOSPITAL`, address1: "1 HEALTH WAY", npi: npi(5000) });
    expect(await page.getByLabel("Org Name").inputValue()).toBe(`${tag} COMMUNITY HOSPITAL`);
    await screenshot(page, "admin-organization-added");

    // Import 1,000 rows: the preview names the three bad rows; the rest are written.
    await page.goto("/admin/organizations/import");
    await page.getByLabel(/CSV file/i).setInputFiles({
      name: "organizations.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(thousandRows(tag)),
    });
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("heading", { name: "Preview", level: 2 }).waitFor();
    await screenshot(page, "admin-import-preview");
    const importButton = page.getByRole("button", { name: "Import 997 valid rows" });
    await importButton.waitFor();
    const preview = page.locator("section[aria-labelledby='import-preview']");
    for (const row of ["102", "503", "904"]) await preview.getByText(row, { exact: true }).first().waitFor();
    await screenshot(page, "admin-import-preview");
    await importButton.click();
    await page
      .getByText(/Created 997, updated 0, unchanged 0, skipped 0; 3 rows with errors not imported/)
      .waitFor({ timeout: 60_000 });
    await screenshot(page, "admin-import-done");

    // Unlock a locked user.
    await page.goto(`/admin/users?q=${locked.loginId}`);
    await page.getByRole("link", { name: "Locked, Lola" }).click();
    await page.getByText("Unlock", { exact: true }).click();
    await page.getByRole("button", { name: "Unlock account" }).click();
    await page.getByText("Lola Locked's account is unlocked.").waitFor();

    // Reset a user's MFA after manual verification.
    await resetMfa(page, { loginId: lostPhone.loginId, firstName: "Remy", lastName: "Reset" });
    expect(await readEmail(page, lostPhone.email, "MFA devices were reset")).toContain("Hello Remy");

    // Each action is in the audit log.
    for (const [filter, type] of [
      [`type=organization.created`, "organization.created"],
      [`type=organization.imported`, "organization.imported"],
      [`userId=${locked.loginId}`, "account.unlocked"],
      [`userId=${lostPhone.loginId}`, "mfa.reset_by_help_desk"],
    ]) {
      await page.goto(`/audit-log?${filter}`);
      await page.locator("td", { hasText: type }).first().waitFor();
    }
    await context.close();

    // A user finds the new organization in "Search Organizations" (its own page without JavaScript).
    const user = await createSignedInUser({ firstName: "Finn", lastName: "Finder" });
    const userContext = await newContext(getBrowser(), { javaScript: false, width: 360 });
    await userContext.addCookies(user.cookies);
    const userPage = (await openPage(userContext)).page;
    await userPage.goto(`/my-account/request-access/organizations?name=${encodeURIComponent(`${tag} community`)}`);
    await userPage.getByRole("heading", { level: 1, name: "Search Organizations" }).waitFor();
    await userPage.getByText(`${tag} COMMUNITY HOSPITAL`).first().waitFor();
    await expectNoHorizontalScroll(userPage);
    await userContext.close();
  });
});
