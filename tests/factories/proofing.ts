import { expect } from "vitest";
import { Browser } from "./http";
import { createUser } from "./users";

/** Thomas Tyler of the identity-proofing sandbox (fictional). */
export const THOMAS = {
  identity: { firstName: "Thomas", middleName: "", lastName: "Tyler", dateOfBirth: "1974-03-12" },
  address: { line1: "1180 Olentangy River Rd", line2: "", city: "Columbus", state: "OH", zip: "43212" },
  phone: { phone: "614-555-0142", ssnLast4: "4821" },
};

export async function signedInApplicant(options: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser({ firstName: "Thomas", lastName: "Tyler", ...options });
  const browser = new Browser();
  await browser.signIn(user.loginId, user.password);
  return { user, browser };
}

/** Consent, legal name and date of birth, address: the attempt waits at step 4. */
export async function upToPhoneStep(browser: Browser, identity: Record<string, string> = THOMAS.identity) {
  expect((await browser.post("/enrollment/step/consent", { consent: "yes" })).headers.get("Location")).toBe(
    "/enrollment/step/identity",
  );
  expect((await browser.post("/enrollment/step/identity", identity)).headers.get("Location")).toBe(
    "/enrollment/step/address",
  );
  expect((await browser.post("/enrollment/step/address", THOMAS.address)).headers.get("Location")).toBe(
    "/enrollment/step/phone",
  );
}

/** As far as the verification questions (step 5). */
export async function upToQuestions(browser: Browser, identity: Record<string, string> = THOMAS.identity) {
  await upToPhoneStep(browser, identity);
  expect((await browser.post("/enrollment/step/phone", THOMAS.phone)).headers.get("Location")).toBe(
    "/enrollment/step/questions",
  );
}
