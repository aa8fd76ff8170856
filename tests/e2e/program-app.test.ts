import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { ACR, pairwiseSubject } from "../../app/.server/oidc/config";
import { readDevVars } from "../../scripts/dev-vars";
import { baseURL, expectNoHorizontalScroll, newContext, openPage, sharedBrowser } from "./support/browser";
import { signOut } from "./support/journeys";
import { readEmail } from "./support/mailbox";
import { createSignedInUser, FACTORY_CHALLENGE_ANSWERS, type SignedInUser } from "./support/signed-in-user";

/**
 * Issue 19, "Done when": the Sample Program Application (examples/program-app,
 * started beside the portal by tests/setup/e2e-global.ts, registered by the
 * development seed for ESRD-QRS with AAL2 required) signs a user in through the
 * portal, with JavaScript on and off, at 360 px: Home → Log In → the sample's
 * program → Terms → sign-in with an authenticator code → consent → the sample
 * shows the pairwise `sub`, `acr` AAL2 and the user's role for that program.
 * Sign Out at the portal ends the sample's session (back-channel logout through
 * the queue). A One-Time Security Code session is sent to "Confirm it is you".
 */

const getBrowser = sharedBrowser();
const programAppURL = () => inject("programAppURL");
const PROGRAM = { code: "ESRD-QRS", name: "End-Stage Renal Disease Quality Reporting System" };
const CONSENT = "Allow Sample Program Application to know who you are?";
/** For the lead to look at; not committed. */
const SHOTS = "/work/shots19";

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** The `sub` the portal must give this user at the sample: pairwise for the sample's host (the sector). */
function expectedSub(user: SignedInUser) {
  return pairwiseSubject(
    { OIDC_KEY_SECRET: readDevVars().OIDC_KEY_SECRET },
    new URL(programAppURL()).host,
    user.userId,
  );
}

const claim = (page: Page, name: string) => page.locator(`[data-claim="${name}"]`);

async function newUser(mode: string) {
  return createSignedInUser({
    firstName: "Morgan",
    lastName: `Sample${mode}`,
    roles: [
      { role: "OSO", organization: "REGIONAL OFFICE 5 - CHICAGO", program: PROGRAM.code },
      // Another program's role: the sample must not see it.
      { role: "OSO", organization: "REGIONAL OFFICE 3 - PHILADELPHIA", program: "IQR" },
    ],
  });
}

/** The portal's sign-in screens, as the authorization request leaves them: User ID, then password and authenticator code. */
async function signInWithAuthenticator(page: Page, user: SignedInUser) {
  await page.getByLabel("User ID").fill(user.loginId);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByLabel("MFA Device Type").selectOption("totp");
  await page.getByLabel("Security Code", { exact: true }).fill(user.computeTotp());
  await page.getByRole("button", { name: "Log In" }).click();
}

/** Waits for a portal screen by its heading; if it never comes, says where the browser is instead. */
async function waitForScreen(page: Page, heading: string, problems: string[]) {
  try {
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
  } catch {
    const shown = await page.getByRole("heading", { level: 1 }).allTextContents();
    throw new Error(
      `"${heading}" never appeared; the browser is at ${page.url()} showing ${JSON.stringify(shown)}. Console: ${problems.join(" | ")}`,
    );
  }
}

/**
 * Waits for the browser to land back at the sample. A redirect the browser refuses (a
 * Content-Security-Policy `form-action` that does not allow the application's redirect
 * URI, say) leaves it on the portal: say where, and what the console reported.
 */
async function arriveAtSample(page: Page, problems: string[]) {
  try {
    await page.waitForURL(`${programAppURL()}/**`);
  } catch {
    throw new Error(`The browser never reached the sample; it is at ${page.url()}. Console: ${problems.join(" | ")}`);
  }
}

/** Reloads the sample until it shows the signed-out page: back-channel logout goes through a queue. */
async function waitUntilSignedOutAtSample(page: Page, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await page.goto(`${programAppURL()}/`);
    if ((await page.getByRole("link", { name: "Sign in with Secure Portal" }).count()) > 0) return;
    await page.waitForTimeout(500);
  }
  throw new Error("The sample still shows a signed-in session: its back-channel logout did not arrive");
}

describe("the sample program application beside the portal", () => {
  it("starts, and its sign-in sends the browser to the portal's authorization endpoint with PKCE S256", async () => {
    expect((await fetch(`${programAppURL()}/healthz`)).status).toBe(200);
    const discovery = (await (await fetch(`${baseURL()}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(baseURL());
    const response = await fetch(`${programAppURL()}/login?iss=${encodeURIComponent(baseURL())}`, {
      redirect: "manual",
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("Location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${baseURL()}/oidc/authorize`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: "sp-dev-program-app",
      redirect_uri: `${programAppURL()}/callback`,
      response_type: "code",
      code_challenge_method: "S256",
    });
    for (const name of ["state", "nonce", "code_challenge"]) expect(location.searchParams.get(name)).toBeTruthy();
    // Another issuer cannot start a sign-in here (OIDC Core §4).
    const foreign = await fetch(`${programAppURL()}/login?iss=https%3A%2F%2Fevil.example`, { redirect: "manual" });
    expect(foreign.status).toBe(400);
  });
});

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";

  describe(`signing in to the sample program application with JavaScript ${javaScript ? "on" : "off"} at 360 px`, () => {
    it("Home → Log In → its program → Terms → authenticator code → consent → the sample shows sub, acr and role; Sign Out at the portal ends it", async () => {
      const user = await newUser(mode);
      const context = await newContext(getBrowser(), { javaScript, width: 360, height: 780 });
      const { page, problems } = await openPage(context);

      await page.goto("/");
      await page.getByRole("link", { name: "Log In" }).first().click();
      await page.waitForURL("**/destination");
      // The program's link starts at the sample's initiate-login URI, which starts the authorization request.
      await page.getByRole("link", { name: PROGRAM.name, exact: true }).click();
      await waitForScreen(page, "Terms and Conditions", problems);
      await page.getByRole("button", { name: "I Accept" }).click();
      await signInWithAuthenticator(page, user);

      await waitForScreen(page, CONSENT, problems);
      await expectNoHorizontalScroll(page);
      await shot(page, `consent-${mode}-360`);
      await page.getByRole("button", { name: "Allow", exact: true }).click();

      await arriveAtSample(page, problems);
      await claim(page, "sub").waitFor();
      expect(await claim(page, "sub").textContent()).toBe(expectedSub(user));
      expect(await claim(page, "acr").textContent()).toBe(ACR.aal2);
      expect(await claim(page, "amr").textContent()).toContain("otp");
      expect(await claim(page, "email").textContent()).toBe(user.email);
      const rows = page.locator("tbody tr");
      expect(await rows.count()).toBe(1);
      const row = (await rows.first().textContent()) ?? "";
      expect(row).toContain("REGIONAL OFFICE 5 - CHICAGO");
      expect(row).toMatch(/Organization Security Official|OSO/);
      expect(row).toMatch(new RegExp(`${PROGRAM.code}|${PROGRAM.name}`));
      expect(await page.content()).not.toContain("PHILADELPHIA");
      await expectNoHorizontalScroll(page);
      await shot(page, `sample-signed-in-${mode}-360`);

      // Sign Out at the portal: the sample's session ends too (back-channel logout, delivered by the queue).
      await page.goto(`${baseURL()}/my-account`);
      await signOut(page);
      await waitUntilSignedOutAtSample(page);
      expect(problems).toEqual([]);
      await context.close();
    }, 240_000);

    it("a One-Time Security Code session reaching the sample (AAL2 required) is sent to Confirm it is you and returns", async () => {
      const user = await newUser(`${mode}otc`);
      const context = await newContext(getBrowser(), { javaScript, width: 360, height: 780 });
      const { page, problems } = await openPage(context);

      // Phone left at home: the challenge questions and an emailed code sign in, but only weakly (AAL1).
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

      await page.goto(`${programAppURL()}/`);
      await page.getByRole("link", { name: "Sign in with Secure Portal" }).click();
      await waitForScreen(page, "Confirm it is you", problems);
      await expectNoHorizontalScroll(page);
      await page.getByLabel("Security Code").fill(user.computeTotp());
      await page.getByRole("button", { name: "Continue" }).click();

      await waitForScreen(page, CONSENT, problems);
      await page.getByRole("button", { name: "Allow", exact: true }).click();
      await arriveAtSample(page, problems);
      await claim(page, "acr").waitFor();
      expect(await claim(page, "acr").textContent()).toBe(ACR.aal2);
      expect(await claim(page, "sub").textContent()).toBe(expectedSub(user));

      // "Sign out" at the sample signs out of the portal too (RP-initiated logout) and comes back.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByText("You signed out of the application and of Secure Portal.").waitFor();
      expect(new URL(page.url()).origin).toBe(programAppURL());
      await page.goto(`${baseURL()}/my-account`);
      expect(new URL(page.url()).pathname).not.toBe("/my-account");
      expect(problems).toEqual([]);
      await context.close();
    }, 240_000);
  });
}
