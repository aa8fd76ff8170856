import { createHmac } from "node:crypto";
import type { Page } from "playwright-core";
import { readEmail } from "./mailbox";

/**
 * RFC 6238 TOTP written here from the RFC with node:crypto, independent of the
 * app's own implementation: what a phone app would compute from the key shown.
 */
export function independentTotp(base32Secret: string, at = Date.now(), stepOffset = 0): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of base32Secret.replace(/[\s=]/g, "").toUpperCase())
    bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30) + stepOffset));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(value % 1_000_000).padStart(6, "0");
}

export const NEW_PASSWORD = "harbor lantern maple 42";

/** New user registration through the UI; returns the emailed User ID and temporary password. */
export async function register(page: Page, email: string, name = { first: "Thomas", last: "Tyler" }) {
  await page.goto("/register");
  await page.getByLabel("First Name").fill(name.first);
  await page.getByLabel("Last Name").fill(name.last);
  await page.getByLabel("Email Address").fill(email);
  await page.getByLabel("Phone Number").fill("614-555-0142");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  const body = await readEmail(page, email, "User ID and temporary password");
  return {
    loginId: body.match(/User ID: ([A-Z]{6}\d{2})/)![1],
    temporary: body.match(/Temporary password: (\S+)/)![1],
  };
}

/** Both steps of sign-in, through the terms. */
export async function signIn(page: Page, loginId: string, password: string, second?: { type: string; code?: string }) {
  await page.goto("/terms?program=IQR");
  await page.getByRole("button", { name: "I Accept" }).click();
  await page.waitForURL("**/login?program=IQR");
  await page.getByLabel("User ID").fill(loginId);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Password", { exact: true }).fill(password);
  if (second) {
    await page.getByLabel("MFA Device Type").selectOption(second.type);
    if (second.code) await page.getByLabel("Security Code", { exact: true }).fill(second.code);
  }
  await page.getByRole("button", { name: "Log In" }).click();
}

export async function firstSignInSetup(page: Page) {
  await page.waitForURL("**/first-sign-in");
  await page.getByLabel("New Password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm New Password").fill(NEW_PASSWORD);
  await page.getByLabel("Question 1").selectOption("first_pet");
  await page.getByLabel("Answer 1").fill("Biscuit");
  await page.getByLabel("Question 2").selectOption("birth_city");
  await page.getByLabel("Answer 2").fill("Columbus");
  await page.getByLabel("Question 3").selectOption("first_car");
  await page.getByLabel("Answer 3").fill("Honda Accord");
  await page.getByRole("button", { name: "Save and Continue" }).click();
  await page.waitForURL("**/welcome");
}

export async function signOut(page: Page) {
  await page.getByText("User Profile", { exact: true }).click();
  await page.getByRole("button", { name: "Sign Out" }).click();
  await page.waitForURL("**/login?signedOut=1");
}

/** Sandbox identities (fixture) with the answers their records give. */
export const SANDBOX = {
  thomas: {
    first: "Thomas",
    last: "Tyler",
    dob: "1974-03-12",
    line1: "1180 Olentangy River Rd",
    city: "Columbus",
    state: "OH",
    zip: "43212",
    ssn: "4821",
    answers: {
      "Which of these streets have you lived on?": "Cleveland Ave",
      "In which county have you lived?": "Franklin",
      "Which of these vehicles have you owned?": "2011 Honda Accord",
      "Which of these companies has held a loan of yours?": "None of the above",
      "Which of these organizations have you worked for?": "Ohio Department of Health",
    },
  },
  maria: {
    first: "Maria",
    last: "Delgado",
    dob: "1981-09-30",
    line1: "402 Congress Ave",
    city: "Austin",
    state: "TX",
    zip: "78701",
    ssn: "1177",
    answers: {
      "Which of these streets have you lived on?": "Guadalupe St",
      "In which county have you lived?": "Travis",
      "Which of these vehicles have you owned?": "None of the above",
      "Which of these companies has held a loan of yours?": "Lone Star Credit Union",
      "Which of these organizations have you worked for?": "Seton Family Clinic",
    },
  },
  robert: {
    first: "Robert",
    last: "Nguyen",
    dob: "1968-07-21",
    line1: "1600 Grand Ave",
    city: "Des Moines",
    state: "IA",
    zip: "50309",
    ssn: "9054",
    answers: {
      "Which of these streets have you lived on?": "Ingersoll Ave",
      "In which county have you lived?": "Polk",
      "Which of these vehicles have you owned?": "2008 Ford F-150",
      "Which of these companies has held a loan of yours?": "Prairie Home Mortgage",
      "Which of these organizations have you worked for?": "Broadlawns Medical Center",
    },
  },
} as const;

type Identity = (typeof SANDBOX)[keyof typeof SANDBOX];

/**
 * The six proofing steps. `onStep` runs on each screen before it is submitted
 * (accessibility checks, screenshots).
 */
export async function proof(page: Page, who: Identity, onStep: (name: string) => Promise<void> = async () => {}) {
  await page.goto("/enrollment");
  await page.waitForURL("**/enrollment/step/consent");
  await onStep("enroll-consent");
  await page.getByLabel("I consent to CMS verifying my identity with the information I provide.").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL("**/enrollment/step/identity");
  await page.getByLabel("Date of Birth").fill(who.dob);
  await onStep("enroll-identity");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL("**/enrollment/step/address");
  await page.getByLabel("Street Address").fill(who.line1);
  await page.getByLabel("City").fill(who.city);
  await page.getByLabel("State").selectOption(who.state);
  await page.getByLabel("ZIP Code").fill(who.zip);
  await onStep("enroll-address");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL("**/enrollment/step/phone");
  await page.getByLabel("Last 4 Digits of Social Security Number").fill(who.ssn);
  await onStep("enroll-phone");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL("**/enrollment/step/questions");
  await onStep("enroll-questions");
  for (const [question, answer] of Object.entries(who.answers))
    await page.getByRole("group", { name: question }).getByLabel(answer, { exact: true }).check();
  await page.getByRole("button", { name: "Submit Answers" }).click();
  await page.waitForURL("**/enrollment/step/result");
  await onStep("enroll-result");
}

/**
 * Administration → "Add an organization", filled and sent: a Provider in Dayton, OH
 * (the page must be open); waits for "The organization was added.".
 */
export async function addOrganization(page: Page, organization: { name: string; address1: string; npi: string }) {
  await page.getByLabel("Org Name").fill(organization.name);
  await page.getByLabel("Org Type").selectOption("Provider");
  await page.getByLabel("Org Address 1").fill(organization.address1);
  await page.getByLabel("Org City").fill("DAYTON");
  await page.getByLabel("Org State").selectOption("OH");
  await page.getByLabel("Org Zip Code").fill("45402");
  await page.getByLabel("NPI").fill(organization.npi);
  await page.getByRole("button", { name: "Add organization" }).click();
  await page.getByText("The organization was added.").waitFor();
}

/**
 * Administration → Users: finds a person by User ID, opens them, and resets their
 * MFA after manual verification; waits for the confirmation.
 */
export async function resetMfa(page: Page, person: { loginId: string; firstName: string; lastName: string }) {
  await page.goto(`/admin/users?q=${person.loginId}`);
  await page.getByRole("link", { name: `${person.lastName}, ${person.firstName}` }).click();
  await page.getByText("Reset MFA after manual verification", { exact: true }).click();
  await page.getByLabel("How you verified this person").fill("Called back on the phone number on file.");
  await page.getByRole("button", { name: "Reset MFA" }).click();
  await page
    .getByText(new RegExp(`${person.firstName} ${person.lastName}'s MFA devices and recovery codes are removed`))
    .waitFor();
}
