import { describe, expect, it } from "vitest";
import { randomToken } from "../../app/.server/auth/tokens";
import { newContext, openPage, sharedBrowser } from "./support/browser";
import { createSession, createSignedInUser } from "./support/signed-in-user";

const getBrowser = sharedBrowser();

describe("journeys that start signed in", () => {
  it("a signed-in user opens My Account directly, sees their name, and may add a device without being asked again", async () => {
    const user = await createSignedInUser({ firstName: "Avery", lastName: "Quinn" });
    const context = await newContext(getBrowser(), { javaScript: true });
    await context.addCookies(user.cookies);
    const { page, problems } = await openPage(context);

    await page.goto("/my-account");
    await page.getByRole("heading", { level: 1, name: "Quality Report Systems: My Tasks", exact: true }).waitFor();
    await page.getByText("Avery Quinn", { exact: true }).waitFor();
    await page.getByText(user.loginId, { exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/my-account");

    // A strong factor proven just now: adding a device needs no step-up.
    await page.goto("/profile/devices");
    await page.getByRole("link", { name: "Authenticator app" }).click();
    await page.waitForURL("**/enrollment/totp?from=profile");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a weak session is sent to step up before adding a device, and a code from the authenticator app lets it through", async () => {
    const user = await createSignedInUser({ session: { assurance: "weak" } });
    const context = await newContext(getBrowser(), { javaScript: false, width: 360 });
    await context.addCookies(user.cookies);
    const { page } = await openPage(context);

    await page.goto("/profile/devices");
    await page.getByRole("link", { name: "Authenticator app" }).click();
    await page.getByRole("heading", { name: "Confirm it is you" }).waitFor();
    expect(page.url()).toContain("/step-up?redirectTo=");
    // The sealed key opens in the Worker: the code it expects is the one the app shows.
    await page.getByLabel("MFA Device Type").selectOption("totp");
    await page.getByLabel("Security Code").fill(user.computeTotp());
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL("**/enrollment/totp?from=profile");
    await page.getByRole("button", { name: "Continue" }).waitFor();
    await context.close();
  });

  it("an unknown session cookie and an idle-expired session both land on the sign-in screen", async () => {
    const user = await createSignedInUser();
    const idle = await createSession(user, { lastSeenAt: new Date(Date.now() - 31 * 60 * 1000) });
    for (const session of [{ ...user.cookie, value: randomToken() }, idle.cookie]) {
      const context = await newContext(getBrowser(), { javaScript: false });
      await context.addCookies([session, user.termsCookie]);
      const { page } = await openPage(context);
      await page.goto("/my-account");
      await page.waitForURL("**/login?expired=1&redirectTo=%2Fmy-account");
      await page.getByRole("heading", { level: 1, name: "Welcome to CMS Enterprise Portal", exact: true }).waitFor();
      await page.getByText("Your session ended after 30 minutes without activity.").waitFor();
      await context.close();
    }
  });

  it("a Help Desk Administrator opens the manual-proofing queue in Administration; an Organization Security Official is told the page is not found", async () => {
    const approver = await createSignedInUser({ roles: [{ role: "HELP_DESK_ADMINISTRATOR", organization: "cms:hq" }] });
    const official = await createSignedInUser({
      roles: [{ role: "OSO", organization: "REGIONAL OFFICE 5 - CHICAGO", program: "IQR" }],
    });
    const context = await newContext(getBrowser(), { javaScript: false });
    await context.addCookies(approver.cookies);
    const { page } = await openPage(context);
    await page.goto("/admin/proofing");
    await page.getByRole("heading", { level: 1, name: "Manual identity proofing", exact: true }).waitFor();

    await context.clearCookies();
    await context.addCookies(official.cookies);
    const response = await page.goto("/admin/proofing");
    expect(response?.status()).toBe(404);
    await page.getByRole("heading", { level: 1, name: "Page not found", exact: true }).waitFor();
    await context.close();
  });
});
