import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  sharedBrowser,
} from "./support/browser";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * Administration › Applications on a 360 × 740 phone with JavaScript off (SPEC 2.9): a
 * Help Desk Administrator registers an application with a pasted JWK Set by a plain
 * form post; a problem is shown next to its field with the pasted keys kept; the saved
 * application shows its Client ID. Nothing scrolls sideways and axe finds nothing.
 */

const getBrowser = sharedBrowser();
const WIDTH = 360;

async function publicJwks(): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return JSON.stringify({ keys: [{ kty, crv, x, y, kid: "phone-key-1" }] }, null, 2);
}

describe("Administration › Applications on a phone without JavaScript", () => {
  it("registers an application at 360 px with a plain form post", async () => {
    const admin = await createSignedInUser({
      firstName: "Avery",
      lastName: "Admin",
      roles: [{ role: "HELP_DESK_ADMINISTRATOR" }],
    });
    const context = await newContext(getBrowser(), { javaScript: false, width: WIDTH, height: 740 });
    await context.addCookies(admin.cookies);
    const { page } = await openPage(context);
    const h1 = (name: string) => page.getByRole("heading", { level: 1, name, exact: true }).waitFor();

    await page.goto("/admin");
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Applications" }).click();
    await h1("Applications");
    await expectNoHorizontalScroll(page);
    await page.getByRole("link", { name: "Register an Application" }).click();
    await h1("Register an Application");
    await expectNoHorizontalScroll(page);
    await expectNoAxeViolations(page, { javaScript: false });

    const name = `Phone App ${Date.now().toString(36)}`;
    const jwks = await publicJwks();
    await page.getByLabel("Application Name").fill(name);
    await page
      .getByLabel("Program", { exact: true })
      .selectOption({ label: "Inpatient Hospital Quality Reporting Program" });
    await page
      .getByLabel("Redirect URIs", { exact: true })
      .fill("https://phone.example.test/callback\nhttps://elsewhere.example.test/cb");
    await page.getByLabel("Public Keys (JWKS)").fill(jwks);
    await page.getByRole("button", { name: "Register Application" }).click();
    await page.getByText("Enter Redirect URIs on one host only").first().waitFor();
    // The pasted keys and the name are kept; only the addresses need fixing.
    expect(await page.getByLabel("Public Keys (JWKS)").inputValue()).toBe(jwks);
    expect(await page.getByLabel("Application Name").inputValue()).toBe(name);
    await expectNoHorizontalScroll(page);
    await expectNoAxeViolations(page, { javaScript: false });

    await page.getByLabel("Redirect URIs", { exact: true }).fill("https://phone.example.test/callback");
    await page.getByRole("button", { name: "Register Application" }).click();
    await h1(name);
    await page.getByText("The application was registered.").waitFor();
    expect(await page.getByTestId("client-id").textContent()).toMatch(/^sp-[a-z2-7]{32}$/);
    await expectNoHorizontalScroll(page);
    await expectNoAxeViolations(page, { javaScript: false });
    await context.close();
  });
});
