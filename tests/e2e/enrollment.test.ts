import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import {
  firstSignInSetup,
  independentTotp,
  NEW_PASSWORD,
  proof,
  register,
  SANDBOX,
  signIn,
  signOut,
} from "./support/journeys";
import { readEmail } from "./support/mailbox";
import { createVerifiedUser } from "./support/signed-in-user";

const getBrowser = sharedBrowser();

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";
  const width = javaScript ? 1280 : 360;

  describe(`New User Enrollment with JavaScript ${javaScript ? "on" : "off"} at ${width} px`, () => {
    it("proofs Thomas Tyler in six steps, binds an authenticator app from its Secret key, and signs in again with a fresh code that cannot be reused", async () => {
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);
      const check = async (name: string) => {
        await expectNoAxeViolations(page, { javaScript });
        await expectNoHorizontalScroll(page);
        await screenshot(page, `${name}-${mode}`);
      };
      const email = `enrol.${mode}.${Date.now()}@example.test`;
      const { loginId, temporary } = await register(page, email);
      await signIn(page, loginId, temporary);
      await firstSignInSetup(page);

      await page.getByRole("link", { name: "Start/Complete New User Enrollment" }).waitFor();
      await proof(page, SANDBOX.thomas, check);
      await page.getByText("Your identity is verified").waitFor();
      await page.getByRole("link", { name: "Register an MFA Device" }).click();
      await page.getByRole("link", { name: /Authenticator app/ }).click();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByText("Secret key").waitFor();
      await check("enroll-totp");
      const secret = (await page.locator("code.secret").textContent())!.replaceAll(" ", "");
      const enrolCode = independentTotp(secret);
      await page.getByLabel("Security Code").fill(enrolCode);
      await page.getByRole("button", { name: "Verify and Add Device" }).click();

      await page.waitForURL("**/enrollment/finish");
      await page.getByRole("button", { name: "Create My Recovery Codes" }).click();
      await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
      await page.locator(".code-list li").nth(9).waitFor();
      expect(await page.locator(".code-list li").count()).toBe(10);
      await check("enroll-recovery-codes");
      await page.getByRole("button", { name: /Finish Enrollment/ }).click();
      await page.waitForURL("**/welcome?enrolled=1");
      await signOut(page);

      // The enrolment code again: refused. The next step's code: accepted.
      await signIn(page, loginId, NEW_PASSWORD, { type: "totp", code: enrolCode });
      await page.getByText("The User ID, password or security code is not correct.").waitFor();
      await signIn(page, loginId, NEW_PASSWORD, { type: "totp", code: independentTotp(secret, Date.now(), 1) });
      await page.waitForURL("**/welcome");
      await page.goto("/profile/devices");
      await page.getByRole("heading", { name: "MFA devices", exact: true }).waitFor();
      await check("profile-devices");
      const usedStep = Math.floor(Date.now() / 30_000) + 1;
      await signOut(page);

      // Phone left at home: "Unable to Access Security Code?" signs in, but only weakly.
      await page.goto("/terms?program=IQR");
      await page.getByRole("button", { name: "I Accept" }).click();
      await page.getByLabel("User ID").fill(loginId);
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("link", { name: "Answer your challenge questions" }).click();
      await page.getByLabel("What was the name of your first pet?").fill("Biscuit");
      await page.getByLabel("In what city were you born?").fill("Columbus");
      await page.getByLabel("What was the make and model of your first car?").fill("Honda Accord");
      await page.getByRole("button", { name: "Email My One-Time Security Code" }).click();
      await page.waitForURL("**/login?step=2**");
      const otcMail = await readEmail(page, email, "One-Time Security Code");
      const otc = otcMail.match(/\b(\d{6})\b/)![1];
      await page.goto(`/login?step=2&userId=${loginId}&device=otc`);
      await page.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("Security Code", { exact: true }).fill(otc);
      await page.getByRole("button", { name: "Log In" }).click();
      await page.waitForURL("**/welcome");

      // Adding a device asks for a code from the app, then continues where the user was.
      await page.goto("/profile/devices");
      await page.getByRole("link", { name: "Authenticator app" }).click();
      await page.getByRole("heading", { name: "Confirm it is you" }).waitFor();
      expect(await page.getByLabel("MFA Device Type").locator("option").allTextContents()).toEqual([
        "Authenticator App",
        "Recovery Code",
      ]);
      await check("step-up");
      // A code from a step the app has not used yet (the last sign-in used step `usedStep`).
      while (Math.floor(Date.now() / 30_000) < usedStep) await page.waitForTimeout(1000);
      await page.getByLabel("Security Code").fill(independentTotp(secret, Date.now(), 1));
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL("**/enrollment/totp?from=profile");
      await page.getByRole("button", { name: "Continue" }).waitFor();
      await check("add-device-after-step-up");
      expect(problems).toEqual([]);
      await context.close();
    }, 180_000);
  });
}

describe("security keys and passkeys (virtual authenticator)", () => {
  it("registers a security key, signs in with it as the second factor, and with a passkey alone", async () => {
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

    const maria = await createVerifiedUser({ firstName: "Maria", lastName: "Delgado" });
    await context.addCookies(maria.cookies);
    await page.goto("/enrollment/security-key");
    await page.getByRole("button", { name: "Register Security Key" }).click();
    await page.waitForURL("**/enrollment/finish");
    await screenshot(page, "security-key-registered-js");
    await page.getByRole("button", { name: "Create My Recovery Codes" }).click();
    await page.getByRole("button", { name: /Finish Enrollment/ }).click();
    await page.waitForURL("**/welcome?enrolled=1");
    await signOut(page);

    // Second factor after the password.
    await signIn(page, maria.loginId, maria.password, { type: "webauthn" });
    await page.waitForURL("**/welcome");
    await signOut(page);

    // A passkey alone.
    await page.goto("/login");
    await page.getByRole("button", { name: "Log In with a Passkey" }).click();
    await page.waitForURL("**/welcome");
    await page.getByText("Hello, Maria.").waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it("without JavaScript the security key page says it needs JavaScript and offers the other devices", async () => {
    const context = await newContext(getBrowser(), { javaScript: false, width: 360 });
    await context.addCookies((await createVerifiedUser({ firstName: "Robert", lastName: "Nguyen" })).cookies);
    const { page } = await openPage(context);
    await page.goto("/enrollment/security-key");
    await page.getByText("Security keys and passkeys need JavaScript").waitFor();
    await page.getByRole("link", { name: "Authenticator app" }).waitFor();
    // Absence is read only once the page is known to be on screen (the waits above).
    expect(await page.getByRole("button", { name: "Register Security Key" }).count()).toBe(0);
    await expectNoAxeViolations(page, { javaScript: false });
    await screenshot(page, "security-key-nojs");
    await context.close();
  });
});
