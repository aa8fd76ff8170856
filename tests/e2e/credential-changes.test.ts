import { describe, expect, it } from "vitest";
import { expectNoAxeViolations, newContext, openPage, screenshot, sharedBrowser } from "./support/browser";
import { NEW_PASSWORD, signOut } from "./support/journeys";
import { readEmail } from "./support/mailbox";
import { createSignedInUser, createVerifiedUser, FACTORY_CHALLENGE_ANSWERS } from "./support/signed-in-user";

const getBrowser = sharedBrowser();

/**
 * Issue 17: a session signed in with the challenge questions and an emailed
 * One-Time Security Code (weak) cannot change the password: it is sent to
 * "Confirm it is you", and the password stays as it was.
 */
for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";
  const width = javaScript ? 1280 : 360;

  describe(`credential changes with JavaScript ${javaScript ? "on" : "off"} at ${width} px`, () => {
    it("a One-Time Security Code session asked to change the password is sent to Confirm it is you", async () => {
      const user = await createSignedInUser({ firstName: "Rowan", lastName: `Credentials${mode}` });
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);

      // Phone left at home: "Unable to Access Security Code?" signs in, but only weakly.
      await page.goto("/terms?program=IQR");
      await page.getByRole("button", { name: "I Accept" }).click();
      await page.waitForURL("**/login?program=IQR");
      await page.getByLabel("User ID").fill(user.loginId);
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("link", { name: "Answer your challenge questions" }).click();
      await page.getByLabel("What was the name of your first pet?").fill(FACTORY_CHALLENGE_ANSWERS.first_pet!);
      await page.getByLabel("In what city were you born?").fill(FACTORY_CHALLENGE_ANSWERS.birth_city!);
      await page.getByLabel("What was the name of your first school?").fill(FACTORY_CHALLENGE_ANSWERS.first_school!);
      await page.getByRole("button", { name: "Email My One-Time Security Code" }).click();
      await page.waitForURL("**/login?step=2**");
      const otc = (await readEmail(page, user.email, "One-Time Security Code")).match(/\b(\d{6})\b/)![1];
      await page.goto(`/login?step=2&userId=${user.loginId}&device=otc`);
      await page.getByLabel("Password", { exact: true }).fill(user.password);
      await page.getByLabel("Security Code", { exact: true }).fill(otc);
      await page.getByRole("button", { name: "Log In" }).click();
      await page.waitForURL("**/welcome");

      await page.goto("/profile");
      const form = page.locator("form", { has: page.getByRole("button", { name: "Change Password" }) });
      await form.getByLabel("Current Password").fill(user.password);
      await form.getByLabel("New Password", { exact: true }).fill(NEW_PASSWORD);
      await form.getByLabel("Confirm New Password").fill(NEW_PASSWORD);
      await form.getByRole("button", { name: "Change Password" }).click();

      await page.waitForURL("**/step-up?redirectTo=%2Fprofile%23password");
      await page.getByRole("heading", { level: 1, name: "Confirm it is you" }).waitFor();
      // Only strong factors are offered: an emailed code or the questions will not do.
      expect(await page.getByLabel("MFA Device Type").locator("option").allTextContents()).toEqual([
        "Authenticator App",
        "Recovery Code",
      ]);
      await expectNoAxeViolations(page, { javaScript });
      await screenshot(page, `credential-change-step-up-${mode}`);

      // Stepping up with the app returns to the profile, where the change then goes through.
      await page.getByLabel("Security Code").fill(user.computeTotp());
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL("**/profile#password");
      await form.getByLabel("Current Password").fill(user.password);
      await form.getByLabel("New Password", { exact: true }).fill(NEW_PASSWORD);
      await form.getByLabel("Confirm New Password").fill(NEW_PASSWORD);
      await form.getByRole("button", { name: "Change Password" }).click();
      await page.waitForURL("**/profile?done=password#password");
      await page.getByText("Your password was changed.").waitFor();
      expect(problems).toEqual([]);
      await context.close();
    }, 180_000);
  });
}

describe("password reset with a security key (virtual authenticator)", () => {
  it("an account with a security key resets with the key; without JavaScript it is told so and offered its recovery codes", async () => {
    const context = await newContext(getBrowser(), { javaScript: true });
    const { page, problems } = await openPage(context);
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const user = await createVerifiedUser({ firstName: "Imani", lastName: "Keyholder" });
    await context.addCookies(user.cookies);
    await page.goto("/enrollment/security-key");
    await page.getByRole("button", { name: "Register Security Key" }).click();
    await page.waitForURL("**/enrollment/finish");
    await page.getByRole("button", { name: "Create My Recovery Codes" }).click();
    await page.getByRole("button", { name: /Finish Enrollment/ }).click();
    await page.waitForURL("**/welcome?enrolled=1");
    await signOut(page);

    await page.goto("/forgot-password");
    await page.getByLabel("User ID").fill(user.loginId);
    await page.getByLabel("Email Address").fill(user.email);
    await page.getByRole("button", { name: "Email Me a Reset Link" }).click();
    await page.getByText("If the User ID and email address match an account").waitFor();
    const mail = await readEmail(page, user.email, "Reset your QualityNet password");
    const path = mail.match(/\/reset-password\?token=[a-z2-7]{32}/)![0];

    // Without JavaScript: the page says so next to the choice, and offers the other strong factor.
    const noScript = await newContext(getBrowser(), { javaScript: false, width: 360 });
    const plain = await noScript.newPage();
    await plain.goto(path);
    await plain.getByText("Using a security key needs JavaScript. Turn it on, or use a recovery code.").waitFor();
    // The key is offered last, so the page starts on the factor it can use.
    expect(await plain.getByLabel("MFA Device Type").locator("option").allTextContents()).toEqual([
      "Recovery Code",
      "Security Key",
    ]);
    expect(await plain.getByLabel("MFA Device Type").inputValue()).toBe("recovery");
    await expectNoAxeViolations(plain, { javaScript: false });
    await screenshot(plain, "reset-security-key-nojs");
    await noScript.close();

    // With JavaScript: the key answers, and the password is reset.
    await page.goto(path);
    await page.getByRole("heading", { level: 1, name: "Choose a new password" }).waitFor();
    expect(await page.getByLabel("MFA Device Type").locator("option").allTextContents()).toContain("Security Key");
    await page.getByLabel("MFA Device Type").selectOption("webauthn");
    await page.getByLabel("New Password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Confirm New Password").fill(NEW_PASSWORD);
    await expectNoAxeViolations(page, { javaScript: true });
    await screenshot(page, "reset-security-key-js");
    await page.getByRole("button", { name: "Change Password" }).click();
    await page.waitForURL("**/login?reset=1");
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
});
