import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
  tabTo,
} from "./support/browser";

const getBrowser = sharedBrowser();

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";
  // JavaScript on at desktop width; off on a 360 px phone.
  const width = javaScript ? 1280 : 360;

  describe(`public screens with JavaScript ${javaScript ? "on" : "off"} at ${width} px`, () => {
    it("Home → destination → terms → I Accept → sign-in, by keyboard alone, each screen accessible", async () => {
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);

      await page.goto("/");
      await page.getByRole("heading", { level: 1, name: "QualityNet Secure Portal", exact: true }).waitFor();
      await page.getByRole("link", { name: "New user registration" }).waitFor();
      await expectNoAxeViolations(page, { javaScript });
      await expectNoHorizontalScroll(page);
      await screenshot(page, `home-${mode}`);
      await tabTo(page, "Log In");
      await page.keyboard.press("Enter");

      await page.waitForURL("**/destination");
      await page.getByRole("heading", { level: 1, name: "Choose Your QualityNet Destination", exact: true }).waitFor();
      await page.getByRole("link", { name: "Secure File Transfer" }).waitFor();
      await page
        .getByRole("listitem")
        .filter({ has: page.getByRole("link") })
        .nth(8)
        .waitFor();
      await expectNoAxeViolations(page, { javaScript });
      await expectNoHorizontalScroll(page);
      await screenshot(page, `destination-${mode}`);
      await tabTo(page, "Inpatient Hospital Quality Reporting Program");
      await page.keyboard.press("Enter");

      await page.waitForURL("**/terms?program=IQR");
      await page.getByRole("heading", { level: 1, name: "Terms and Conditions", exact: true }).waitFor();
      await expectNoAxeViolations(page, { javaScript });
      await expectNoHorizontalScroll(page);
      await screenshot(page, `terms-${mode}`);
      await tabTo(page, "I Accept");
      await page.keyboard.press("Enter");

      await page.waitForURL("**/login?program=IQR");
      await page.getByRole("heading", { level: 1, name: "Welcome to CMS Enterprise Portal", exact: true }).waitFor();
      // waitFor() is strict: it waits for the element and fails if more than one matches.
      await page.getByLabel("User ID").waitFor();
      await page.getByRole("button", { name: "Next" }).waitFor();
      await page.getByRole("link", { name: "Forgot User ID?" }).waitFor();
      await expectNoAxeViolations(page, { javaScript });
      await expectNoHorizontalScroll(page);
      await screenshot(page, `login-${mode}`);

      expect(problems).toEqual([]);
      await context.close();
    });

    it("declining the terms returns home and says why", async () => {
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);
      await page.goto("/terms");
      await page.getByRole("button", { name: "Decline" }).click();
      await page.waitForURL("**/?declined=1");
      await page.getByText("You declined the Terms and Conditions.").waitFor();
      await expectNoAxeViolations(page, { javaScript });
      expect(problems).toEqual([]);
      await context.close();
    });

    it("the sign-in screen without accepted terms sends the user to the terms", async () => {
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page } = await openPage(context);
      await page.goto("/login");
      await page.waitForURL("**/terms");
      await context.close();
    });

    it("Secure File Transfer and a missing page render in the site shell without violations", async () => {
      const context = await newContext(getBrowser(), { javaScript, width });
      const { page, problems } = await openPage(context);
      await page.goto("/secure-file-transfer");
      await page.getByRole("heading", { level: 1, name: "Secure File Transfer", exact: true }).waitFor();
      await expectNoAxeViolations(page, { javaScript });
      await screenshot(page, `sft-${mode}`);
      const response = await page.goto("/no-such-page");
      expect(response?.status()).toBe(404);
      await page.getByRole("heading", { level: 1, name: "Page not found", exact: true }).waitFor();
      await expectNoAxeViolations(page, { javaScript });
      await expectNoHorizontalScroll(page);
      await screenshot(page, `not-found-${mode}`);
      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
