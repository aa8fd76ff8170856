import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { firstSignInSetup } from "./support/journeys";
import { readEmail } from "./support/mailbox";
import { createSignedInUser } from "./support/signed-in-user";

const getBrowser = sharedBrowser();

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";
  const width = javaScript ? 1280 : 360;

  describe(`accounts with JavaScript ${javaScript ? "on" : "off"} at ${width} px`, () => {
    it("register Thomas Tyler → emailed User ID → sign in → new password and challenge questions → Welcome → My Account → Sign Out", async () => {
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);
      const email = `thomas.tyler.${mode}.${Date.now()}@example.test`;
      const a11y = async (name: string) => {
        await expectNoAxeViolations(page, { javaScript });
        await expectNoHorizontalScroll(page);
        await screenshot(page, `${name}-${mode}`);
      };

      await page.goto("/");
      await page.getByRole("link", { name: "New user registration" }).click();
      await page.waitForURL("**/register");
      await a11y("register");
      // A bad submission first: the message sits by the field and the rest is kept.
      await page.getByLabel("First Name").fill("Thomas");
      await page.getByLabel("Last Name").fill("Tyler");
      await page.getByLabel("Email Address").fill("thomas at example");
      await page.getByLabel("Phone Number").fill("614-555-0142");
      await page.getByLabel("Email Address").evaluate((el) => el.closest("form")?.setAttribute("novalidate", ""));
      await page.getByRole("button", { name: "Register" }).click();
      await page.getByText("Enter an email address like name@example.com.").first().waitFor();
      expect(await page.getByLabel("First Name").inputValue()).toBe("Thomas");
      expect(await page.getByLabel("Phone Number").inputValue()).toBe("614-555-0142");
      await a11y("register-error");
      await page.getByLabel("Email Address").fill(email);
      await page.getByRole("button", { name: "Register" }).click();
      await page.getByRole("heading", { name: "Check your email" }).waitFor();
      await a11y("register-done");

      const body = await readEmail(page, email, "User ID and temporary password");
      const loginId = body.match(/User ID: (THOMTY\d{2})/)?.[1];
      const temporary = body.match(/Temporary password: (\S+)/)?.[1];
      expect(loginId).toMatch(/^THOMTY\d{2}$/);
      expect(temporary).toBeTruthy();
      await screenshot(page, `mailbox-registration-${mode}`);

      await page.goto("/destination");
      await page.getByRole("link", { name: "Inpatient Hospital Quality Reporting Program" }).click();
      await page.getByRole("button", { name: "I Accept" }).click();
      await page.waitForURL("**/login?program=IQR");
      await page.getByLabel("User ID").fill(loginId!);
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByLabel("Password", { exact: true }).waitFor();
      await a11y("login-step2");
      await page.getByLabel("Password", { exact: true }).fill(temporary!);
      await page.getByRole("button", { name: "Log In" }).click();

      await page.waitForURL("**/first-sign-in");
      await a11y("first-sign-in");
      await firstSignInSetup(page);
      await page.waitForURL("**/welcome");
      await page.getByRole("heading", { level: 1, name: "Welcome", exact: true }).waitFor();
      await a11y("welcome");
      await page.getByText("User Profile", { exact: true }).click();
      await page.getByRole("link", { name: "My Account", exact: true }).click();
      await page.waitForURL("**/my-account");
      // Wait for the screen to show it (a count right after the navigation flakes on a busy machine).
      await page.getByText(loginId!).first().waitFor();
      await a11y("my-account");
      await page.goto("/profile");
      await a11y("profile");

      await page.getByText("User Profile", { exact: true }).click();
      await page.getByRole("button", { name: "Sign Out" }).click();
      await page.waitForURL("**/login?signedOut=1");
      await page.getByText("You have signed out.").waitFor();
      const after = await page.goto("/my-account");
      expect(after?.url()).toContain("/login");

      expect(problems).toEqual([]);
      await context.close();
    });
  });
}

describe("idle timeout warning (JavaScript on)", () => {
  it("warns two minutes before the idle timeout and Stay signed in keeps the session", async () => {
    const user = await createSignedInUser();
    const context = await newContext(getBrowser(), { javaScript: true });
    await context.addCookies(user.cookies);
    const { page, problems } = await openPage(context);
    await page.clock.install();
    await page.goto("/welcome");
    // The page is on screen before we check that no warning is.
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    expect(await page.getByRole("alertdialog").count()).toBe(0);
    // The warning's timer starts once the page's script has run: wait for it on a busy machine.
    await page.waitForLoadState("networkidle");
    await page.clock.fastForward("28:30");
    const warning = page.getByRole("alertdialog", { name: "Your session is about to end" });
    await warning.waitFor();
    await expectNoAxeViolations(page);
    await screenshot(page, "session-warning-js");
    await page.getByRole("button", { name: "Stay signed in" }).click();
    await warning.waitFor({ state: "hidden" });
    expect(problems).toEqual([]);
    await context.close();
  });
});
