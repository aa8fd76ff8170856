import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { independentTotp, resetMfa, signIn } from "./support/journeys";
import { readEmail } from "./support/mailbox";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * Recovery proves possession (docs/decisions/2026-12-07-recovery-model.md): after
 * a help-desk "Reset MFA", the password alone signs in but cannot register a
 * device (the screen asks for the emailed link); the link from the email, used
 * once in the owner's signed-in browser, lets them register an authenticator
 * app and finish enrollment with new recovery codes. With JavaScript off at
 * 360 px, and with JavaScript on at 1280 px.
 */

const getBrowser = sharedBrowser();

for (const javaScript of [false, true]) {
  const mode = javaScript ? "js" : "nojs";
  const width = javaScript ? 1280 : 360;

  describe(`Re-enrollment after Reset MFA with JavaScript ${javaScript ? "on" : "off"} at ${width} px`, () => {
    it("a password-only sign-in cannot register a device; the emailed link lets the owner do it", async () => {
      const [admin, owner] = await Promise.all([
        createSignedInUser({ firstName: "Hana", lastName: "Helpdesk", roles: [{ role: "HELP_DESK_ADMINISTRATOR" }] }),
        createSignedInUser({ firstName: "Remy", lastName: `Recover${mode === "js" ? "js" : "nojs"}` }),
      ]);

      // The help desk resets the owner's MFA.
      const adminContext = await newContext(getBrowser(), { javaScript, width });
      await adminContext.addCookies(admin.cookies);
      const adminPage = (await openPage(adminContext)).page;
      await resetMfa(adminPage, { loginId: owner.loginId, firstName: owner.firstName, lastName: owner.lastName });
      const email = await readEmail(adminPage, owner.email, "MFA devices were reset");
      const link = email.match(/\/enrollment\/reenroll\?token=[a-z2-7]{32}/)?.[0];
      expect(link).toBeTruthy();
      await adminContext.close();

      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);
      const check = async (name: string) => {
        await expectNoAxeViolations(page, { javaScript });
        await expectNoHorizontalScroll(page);
        await screenshot(page, `${name}-${mode}`);
      };

      // The password alone: signed in, but every way to a device leads to "use the link we emailed you".
      await signIn(page, owner.loginId, owner.password);
      await page.waitForURL("**/welcome");
      await page.goto("/enrollment");
      await page.waitForURL("**/enrollment/link");
      await page.getByText("To register a new device, use the link we emailed you.").waitFor();
      await check("recovery-link-needed");
      for (const path of ["/enrollment/mfa", "/enrollment/totp", "/enrollment/finish"]) {
        await page.goto(path);
        await page.waitForURL("**/enrollment/link");
      }
      // "Email me a new link": the same answer whatever happens.
      await page.getByRole("button", { name: "Email me a new link" }).click();
      await page.waitForURL("**/enrollment/link?sent=1");
      await page.getByText("If your account can use one, we emailed a new link").waitFor();
      await check("recovery-link-sent");

      // The link from the email: it shows a button (opening it uses nothing), the button opens the way.
      await page.goto(link ?? "");
      await page.getByRole("heading", { level: 1, name: "Register a new MFA device" }).waitFor();
      await check("recovery-reenroll");
      await page.getByRole("button", { name: "Continue to Register a Device" }).click();
      await page.waitForURL("**/enrollment/mfa");
      await page.getByRole("link", { name: /Authenticator app/ }).click();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("Secret key").waitFor();
      const secret = (await page.locator("code.secret").textContent())?.replaceAll(" ", "") ?? "";
      await page.getByLabel("Security Code").fill(independentTotp(secret));
      await page.getByRole("button", { name: "Verify and Add Device" }).click();
      await page.waitForURL("**/enrollment/finish");
      await page.getByRole("button", { name: "Create My Recovery Codes" }).click();
      await page.locator(".code-list li").nth(9).waitFor();
      await page.getByRole("button", { name: /Finish Enrollment/ }).click();
      await page.waitForURL("**/welcome?enrolled=1");

      // The link worked once: opened again, it says so.
      await page.goto(link ?? "");
      await page.getByText("This link has expired, was already used").waitFor();
      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
