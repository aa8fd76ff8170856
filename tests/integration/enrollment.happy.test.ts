import { env } from "cloudflare:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP, generateTOTP } from "@oslojs/otp";
import { beforeAll, describe, expect, it } from "vitest";
import { DEV_HELPDESK } from "../../app/.server/db/seed/build-seed";
import { SandboxProofingProvider } from "../../app/.server/proofing/sandbox";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { asProofingSession, createUser, recoveryCodesIn, totpNow, waitForEmail } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB, { devUsers: { totpKey: env.TOTP_ENCRYPTION_KEY } });
});

const THOMAS = {
  identity: { firstName: "Thomas", middleName: "", lastName: "Tyler", dateOfBirth: "1974-03-12" },
  address: { line1: "1180 Olentangy River Rd", line2: "", city: "Columbus", state: "OH", zip: "43212" },
  phone: { phone: "614-555-0142", ssnLast4: "4821" },
};

async function proofAs(browser: Browser, identity = THOMAS.identity, ssnLast4 = THOMAS.phone.ssnLast4) {
  expect((await browser.post("/enrollment/step/consent", { consent: "yes" })).headers.get("Location")).toBe(
    "/enrollment/step/identity",
  );
  expect((await browser.post("/enrollment/step/identity", identity)).headers.get("Location")).toBe(
    "/enrollment/step/address",
  );
  expect((await browser.post("/enrollment/step/address", THOMAS.address)).headers.get("Location")).toBe(
    "/enrollment/step/phone",
  );
  return browser.post("/enrollment/step/phone", { phone: THOMAS.phone.phone, ssnLast4 });
}

async function signedInUser(options: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser({ firstName: "Thomas", lastName: "Tyler", ...options });
  const browser = new Browser();
  await browser.signIn(user.loginId, user.password);
  // Created verified: the session stands for the one that completed proofing.
  if (options.verified) await asProofingSession(user.id);
  return { user, browser };
}

describe("identity proofing with the sandbox provider", () => {
  it("verifies Thomas Tyler through all six steps, resumable, and never stores the SSN digits", async () => {
    const { user, browser } = await signedInUser();
    expect(await (await browser.get("/welcome")).text()).toContain("Start/Complete New User Enrollment");
    expect((await browser.get("/enrollment")).headers.get("Location")).toBe("/enrollment/step/consent");

    await browser.post("/enrollment/step/consent", { consent: "yes" });
    await browser.post("/enrollment/step/identity", THOMAS.identity);
    // Leaving and coming back resumes at the next step.
    expect((await browser.get("/enrollment")).headers.get("Location")).toBe("/enrollment/step/address");
    expect((await browser.get("/enrollment/step/questions")).headers.get("Location")).toBe("/enrollment");
    await browser.post("/enrollment/step/address", THOMAS.address);
    const toQuestions = await browser.post("/enrollment/step/phone", THOMAS.phone);
    expect(toQuestions.headers.get("Location")).toBe("/enrollment/step/questions");

    const page = await (await browser.get("/enrollment/step/questions")).text();
    expect(page).toContain("Which of these streets have you lived on?");
    expect(page).toContain("Which of these companies has held a loan of yours?");
    expect(page.match(/type="radio"/g)).toHaveLength(25);
    const answers = SandboxProofingProvider.correctAnswers("Thomas", "Tyler");
    expect(answers.lender).toBe("None of the above");
    const done = await browser.post("/enrollment/step/questions", answers);
    expect(done.headers.get("Location")).toBe("/enrollment/step/result");
    expect(await (await browser.get("/enrollment/step/result")).text()).toContain("Your identity is verified");

    const rows = await env.DB.prepare(
      "SELECT data_json, provider_reference, status FROM identity_verifications WHERE user_id = ?",
    )
      .bind(user.id)
      .all<{ data_json: string; status: string }>();
    expect(rows.results[0].status).toBe("verified");
    const everything = JSON.stringify(
      await env.DB.prepare("SELECT * FROM identity_verifications WHERE user_id = ?").bind(user.id).all(),
    );
    expect(everything).not.toContain("4821");
    const audit = JSON.stringify(
      await env.DB.prepare("SELECT details_json FROM audit_events WHERE subject_user_id = ?").bind(user.id).all(),
    );
    expect(audit).not.toContain("4821");
    expect((await browser.get("/enrollment")).headers.get("Location")).toBe("/enrollment/mfa");
    // The session that proved identity may bind the first device.
    expect((await browser.get("/enrollment/mfa")).status).toBe(200);
    // A later sign-in with the password alone may not: it is asked for the emailed link.
    const later = new Browser();
    await later.signIn(user.loginId, user.password);
    expect((await later.get("/enrollment/mfa")).headers.get("Location")).toBe("/enrollment/link");
  });

  it("gives the same questions in the same order every time", async () => {
    const a = await new SandboxProofingProvider().startVerification({
      ...THOMAS.identity,
      address: THOMAS.address,
      ...THOMAS.phone,
    });
    const b = await new SandboxProofingProvider().startVerification({
      ...THOMAS.identity,
      address: THOMAS.address,
      ...THOMAS.phone,
    });
    expect(a).toEqual(b);
    if (!a.found) throw new Error("not found");
    for (const q of a.questions) {
      expect(q.choices).toHaveLength(5);
      expect(new Set(q.choices).size).toBe(5);
      expect(q.choices[4]).toBe("None of the above");
    }
  });

  it("fails a wrong answer and an unknown applicant with 'We could not verify your identity'", async () => {
    const { browser } = await signedInUser();
    await proofAs(browser);
    const answers = { ...SandboxProofingProvider.correctAnswers("Thomas", "Tyler"), county: "Hamilton" };
    await browser.post("/enrollment/step/questions", answers);
    const result = await (await browser.get("/enrollment/step/result")).text();
    expect(result).toContain("We could not verify your identity");
    expect(result).toContain("You have 2 of 3 attempts left");

    const unknown = await proofAs(browser, THOMAS.identity, "0000");
    expect(unknown.headers.get("Location")).toBe("/enrollment/step/result");
    expect(await (await browser.get("/enrollment/step/result")).text()).toContain("You have 1 of 3 attempts left");
  });

  it("after three failures in 24 hours offers manual proofing, which a help-desk user can complete", async () => {
    const { user, browser } = await signedInUser();
    for (let i = 0; i < 3; i++) await proofAs(browser, THOMAS.identity, "0000");
    expect((await browser.post("/enrollment/step/consent", { consent: "yes" })).headers.get("Location")).toBe(
      "/enrollment/step/result",
    );
    const result = await (await browser.get("/enrollment/step/result")).text();
    expect(result).toContain("Request Manual Proofing");
    await browser.post("/enrollment/step/result", { intent: "manual", note: "Call me after 3 pm" });
    expect(await (await browser.get("/enrollment/step/result")).text()).toContain(
      "Your request for manual proofing is with the help desk",
    );
    await waitForEmail(DEV_HELPDESK.email, `Manual identity proofing requested by ${user.loginId}`);

    // Only Help Desk Administrators see the queue (in Administration).
    expect((await browser.get("/admin/proofing")).status).toBe(404);
    const helpDesk = new Browser();
    await helpDesk.signIn(DEV_HELPDESK.loginId, DEV_HELPDESK.password, {
      deviceType: "totp",
      code: totpNow(decodeBase32IgnorePadding(DEV_HELPDESK.totpSecretBase32)),
    });
    const queue = await (await helpDesk.get("/admin/proofing")).text();
    expect(queue).toContain(user.loginId);
    expect(queue).toContain("Call me after 3 pm");
    const reviewId = queue.match(/name="reviewId" value="([^"]+)"/)![1];
    await helpDesk.post("/admin/proofing", {
      reviewId,
      intent: "verify",
      evidenceType: "drivers_license",
      evidenceLast4: "7a2c",
    });
    const review = await env.DB.prepare(
      "SELECT evidence_type, evidence_last4, decided_by_user_id FROM proofing_reviews WHERE id = ?",
    )
      .bind(reviewId)
      .first<{ evidence_type: string; evidence_last4: string; decided_by_user_id: string }>();
    expect(review).toMatchObject({ evidence_type: "drivers_license", evidence_last4: "7A2C" });
    const verified = await env.DB.prepare("SELECT identity_verified_at FROM users WHERE id = ?")
      .bind(user.id)
      .first<{ identity_verified_at: number | null }>();
    expect(verified?.identity_verified_at).not.toBeNull();
    expect((await browser.get("/enrollment")).headers.get("Location")).toBe("/enrollment/mfa");
  });
});

describe("binding an authenticator app", () => {
  it("shows a QR code and the Secret key, accepts a code computed independently, then issues recovery codes once and completes enrollment", async () => {
    const { user, browser } = await signedInUser({ verified: true });
    const begun = await browser.post("/enrollment/totp", { intent: "begin", name: "My phone" });
    const setupPath = begun.headers.get("Location")!;
    const page = await (await browser.get(setupPath)).text();
    expect(page).toContain("<svg");
    expect(page).toContain("Secret key");
    expect(page).toContain("Credential ID");
    const secret = page.match(/<code class="secret">([A-Z2-7 ]+)<\/code>/)![1].replaceAll(" ", "");
    const key = decodeBase32IgnorePadding(secret);
    const deviceId = new URL(`http://x${setupPath}`).searchParams.get("device")!;

    const wrong = await browser.post("/enrollment/totp", { deviceId, code: "000000" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("That code is not right");
    const enrolCode = generateTOTP(key, 30, 6);
    const ok = await browser.post("/enrollment/totp", { deviceId, code: enrolCode });
    expect(ok.headers.get("Location")).toBe("/enrollment/finish");
    await waitForEmail(user.email, "An MFA device was added");

    const codesPage = await (await browser.post("/enrollment/finish", { intent: "create" })).text();
    const codes = recoveryCodesIn(codesPage);
    expect(codes).toHaveLength(10);
    expect(codesPage).toContain('download="qualitynet-recovery-codes.txt"');
    const stored = JSON.stringify(
      await env.DB.prepare("SELECT * FROM recovery_codes WHERE user_id = ?").bind(user.id).all(),
    );
    for (const c of codes) expect(stored).not.toContain(c);
    expect((await browser.post("/enrollment/finish", { intent: "done" })).headers.get("Location")).toBe(
      "/welcome?enrolled=1",
    );
    expect(await (await browser.get("/welcome")).text()).not.toContain("Start/Complete New User Enrollment");

    // Next sign-in needs the app: the same code twice is refused.
    await browser.post("/logout", {});
    const fresh = new Browser();
    await fresh.acceptTerms();
    const step2 = await (await fresh.post("/login", { intent: "next", userId: user.loginId })).text();
    expect(step2).toContain('<option value="totp"');
    // Every kind the portal supports, the same for everyone (it reveals nothing about the account).
    expect([...step2.matchAll(/<option value="([a-z]+)"/g)].map((m) => m[1])).toEqual([
      "totp",
      "webauthn",
      "email",
      "otc",
      "recovery",
    ]);
    const withRecovery = await (await fresh.get(`/login?step=2&userId=${user.loginId}&device=recovery`)).text();
    expect(withRecovery).toContain('<option value="recovery" selected=""');
    // The code used to enrol cannot be used again; the next 30-second step's code can (one step of drift).
    expect((await fresh.signIn(user.loginId, user.password, { deviceType: "totp", code: enrolCode })).status).toBe(401);
    const code = generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + 1), 6);
    expect((await fresh.signIn(user.loginId, user.password, { deviceType: "totp", code })).status).toBe(302);
    expect((await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code })).status).toBe(401);
  });

  it("enrols email as a device with a code sent to the profile address, then signs in with Send", async () => {
    const { user, browser } = await signedInUser({ verified: true });
    expect((await browser.post("/enrollment/email", { intent: "send" })).headers.get("Location")).toBe(
      "/enrollment/email?sent=1",
    );
    const code = (await waitForEmail(user.email, "security code")).body_text.match(/is (\d{6})/)![1];
    expect((await browser.post("/enrollment/email", { intent: "verify", code })).headers.get("Location")).toBe(
      "/enrollment/finish",
    );

    const fresh = new Browser();
    await fresh.acceptTerms();
    const step2 = await (await fresh.post("/login", { intent: "next", userId: user.loginId })).text();
    expect(step2).toContain('<option value="email"');
    expect(step2).toContain(">Send</button>");
    await env.DB.prepare("DELETE FROM dev_mailbox WHERE recipient = ?").bind(user.email).run();
    const sent = await fresh.post("/login", { intent: "send-code", userId: user.loginId, deviceType: "email" });
    expect(await sent.text()).toContain("we sent a security code");
    const signInCode = (await waitForEmail(user.email, "security code")).body_text.match(/is (\d{6})/)![1];
    const done = await fresh.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      deviceType: "email",
      code: signInCode,
    });
    expect(done.status).toBe(302);
  });
});
