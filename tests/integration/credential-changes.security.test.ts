import { env } from "cloudflare:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP, generateTOTP } from "@oslojs/otp";
import { beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import {
  asProofingSession,
  codeFromEmail,
  createUser,
  recoveryCodesIn,
  totpNow,
  waitForEmail,
} from "../factories/users";
import { registerSoftKey } from "../factories/webauthn";

/**
 * Issue 17, "Credential changes need a fresh strong factor": a weak session (an
 * emailed code, or the challenge questions) cannot change the password or the
 * challenge questions, nor mint recovery codes at enrollment's end and so make
 * itself strong.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const NEW_PASSWORD = "copper meadow violin harbor";
const QUESTIONS = {
  intent: "change-questions",
  question1: "first_pet",
  answer1: "Biscuit",
  question2: "birth_city",
  answer2: "Toledo",
  question3: "first_school",
  answer3: "Garfield",
};

const first = <T>(sql: string, ...params: unknown[]) =>
  env.DB.prepare(sql)
    .bind(...params)
    .first<T>();
const passwordHash = async (userId: string) =>
  (await first<{ hash: string }>("SELECT hash FROM password_credentials WHERE user_id = ?", userId))?.hash;
const answersOf = async (userId: string) =>
  JSON.stringify(
    (
      await env.DB.prepare("SELECT id, answer_hash FROM challenge_answers WHERE user_id = ? ORDER BY id")
        .bind(userId)
        .all()
    ).results,
  );
const recoveryCodeCount = async (userId: string) =>
  (await first<{ n: number }>("SELECT count(*) AS n FROM recovery_codes WHERE user_id = ?", userId))?.n ?? 0;
const eventCount = async (userId: string, eventType: string) =>
  (
    await first<{ n: number }>(
      "SELECT count(*) AS n FROM audit_events WHERE subject_user_id = ? AND event_type = ?",
      userId,
      eventType,
    )
  )?.n ?? 0;
/** The strong factor of every session of the user, proven this long ago. */
const ageStrongFactor = (userId: string, ms: number) =>
  env.DB.prepare("UPDATE sessions SET strong_factor_at = ? WHERE user_id = ?")
    .bind(Date.now() - ms, userId)
    .run();

/** "Unable to Access Security Code?": challenge answers, then the emailed One-Time Security Code (a weak session). */
async function signInWithOneTimeCode(browser: Browser, user: { loginId: string; email: string; password: string }) {
  await browser.acceptTerms();
  const answered = await browser.post(`/login/recover?userId=${user.loginId}`, {
    userId: user.loginId,
    first_pet: "Rex",
    birth_city: "Dayton",
    first_school: "Lincoln Elementary",
  });
  expect(answered.status).toBe(302);
  const code = await codeFromEmail(user.email, "One-Time Security Code");
  const signedIn = await browser.post("/login", {
    intent: "login",
    userId: user.loginId,
    password: user.password,
    deviceType: "otc",
    code,
  });
  expect(signedIn.status).toBe(302);
  const session = await first<{ assurance: string }>(
    "SELECT assurance FROM sessions WHERE user_id = ? ORDER BY created_at DESC",
    (await first<{ id: string }>("SELECT id FROM users WHERE login_id = ?", user.loginId))!.id,
  );
  expect(session?.assurance).toBe("weak");
}

const changePassword = (browser: Browser, password: string) =>
  browser.post("/profile", {
    intent: "change-password",
    currentPassword: password,
    newPassword: NEW_PASSWORD,
    confirmPassword: NEW_PASSWORD,
  });

describe("profile: password and challenge questions need a strong factor from the last 15 minutes", () => {
  it("sends a One-Time Security Code session to step up and back, and changes nothing", async () => {
    const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    const browser = new Browser();
    await signInWithOneTimeCode(browser, user);
    const hash = await passwordHash(user.id);
    const answers = await answersOf(user.id);

    const password = await changePassword(browser, user.password);
    expect(password.status).toBe(302);
    expect(password.headers.get("Location")).toBe("/step-up?redirectTo=%2Fprofile%23password");
    const questions = await browser.post("/profile", { ...QUESTIONS, currentPassword: user.password });
    expect(questions.status).toBe(302);
    expect(questions.headers.get("Location")).toBe("/step-up?redirectTo=%2Fprofile%23questions");

    expect(await passwordHash(user.id)).toBe(hash);
    expect(await answersOf(user.id)).toBe(answers);
    expect(await eventCount(user.id, "password.changed")).toBe(0);
    expect(await eventCount(user.id, "challenge_questions.changed")).toBe(0);
    // The weak session still works, and the step-up screen asks for a strong factor.
    expect(await (await browser.get("/step-up?redirectTo=%2Fprofile%23password")).text()).toContain(
      "Confirm it is you",
    );
  });

  it("sends a session whose strong factor is 16 minutes old to step up; a fresh one changes both", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    expect((await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status).toBe(
      302,
    );
    const hash = await passwordHash(user.id);
    const answers = await answersOf(user.id);

    await ageStrongFactor(user.id, 16 * 60 * 1000);
    expect((await changePassword(browser, user.password)).headers.get("Location")).toBe(
      "/step-up?redirectTo=%2Fprofile%23password",
    );
    expect(
      (await browser.post("/profile", { ...QUESTIONS, currentPassword: user.password })).headers.get("Location"),
    ).toBe("/step-up?redirectTo=%2Fprofile%23questions");
    expect(await passwordHash(user.id)).toBe(hash);
    expect(await answersOf(user.id)).toBe(answers);

    // Step up with the next code of the app, and come back.
    const next = generateTOTPAt(key, 1);
    const stepped = await browser.post("/step-up", {
      redirectTo: "/profile#questions",
      deviceType: "totp",
      code: next,
    });
    expect(stepped.headers.get("Location")).toBe("/profile#questions");
    const questions = await browser.post("/profile", { ...QUESTIONS, currentPassword: user.password });
    expect(questions.headers.get("Location")).toBe("/profile?done=questions#questions");
    expect(await answersOf(user.id)).not.toBe(answers);
    const password = await changePassword(browser, user.password);
    expect(password.headers.get("Location")).toBe("/profile?done=password#password");
    expect(await passwordHash(user.id)).not.toBe(hash);
    await waitForEmail(user.email, "Your QualityNet password was changed");
  });

  it("checks the strength once per change: parallel weak posts all go to step up", async () => {
    const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    const browser = new Browser();
    await signInWithOneTimeCode(browser, user);
    const hash = await passwordHash(user.id);
    const answers = await Promise.all(Array.from({ length: 4 }, () => changePassword(browser, user.password)));
    for (const a of answers) expect(a.headers.get("Location")).toBe("/step-up?redirectTo=%2Fprofile%23password");
    expect(await passwordHash(user.id)).toBe(hash);
  });

  it("keeps first sign-in working: a temporary password is replaced and questions chosen without a strong factor", async () => {
    const user = await createUser({ temporary: true });
    const browser = new Browser();
    expect((await browser.signIn(user.loginId, user.password)).status).toBe(302);
    const done = await browser.post("/first-sign-in", {
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
      question1: "first_pet",
      answer1: "Rex",
      question2: "birth_city",
      answer2: "Dayton",
      question3: "first_school",
      answer3: "Lincoln",
    });
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).not.toContain("/step-up");
    expect(await eventCount(user.id, "password.set_at_first_sign_in")).toBe(1);
    expect(await eventCount(user.id, "challenge_questions.set")).toBe(1);
  });
});

/** The code of the 30-second step `ahead` steps from now (a code not used yet). */
function generateTOTPAt(key: Uint8Array, ahead: number) {
  return generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + ahead), 6);
}

describe("enrollment's end: recovery codes only in the session that bound the device", () => {
  it("sends a weak session of an account with a device but no codes to step up, and issues nothing", async () => {
    const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    await env.DB.prepare("UPDATE users SET enrollment_completed_at = NULL WHERE id = ?").bind(user.id).run();
    const browser = new Browser();
    await signInWithOneTimeCode(browser, user);

    expect((await browser.get("/enrollment/finish")).headers.get("Location")).toBe(
      "/step-up?redirectTo=%2Fenrollment%2Ffinish",
    );
    const answers = await Promise.all([
      browser.post("/enrollment/finish", { intent: "create" }),
      browser.post("/enrollment/finish", { intent: "create" }),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(302);
      expect(response.headers.get("Location")).toBe("/step-up?redirectTo=%2Fenrollment%2Ffinish");
      expect(recoveryCodesIn(await response.text())).toEqual([]);
    }
    expect(await recoveryCodeCount(user.id)).toBe(0);
    expect(await eventCount(user.id, "mfa.recovery_codes_issued")).toBe(0);
  });

  it("issues codes in the session that bound the authenticator app, even after its strong factor is 16 minutes old", async () => {
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    // The session that completed identity proofing: it may bind the first device.
    await asProofingSession(user.id);
    const begun = await browser.post("/enrollment/totp", { intent: "begin", name: "My phone" });
    const setupPath = begun.headers.get("Location")!;
    const page = await (await browser.get(setupPath)).text();
    const secret = page.match(/<code class="secret">([A-Z2-7 ]+)<\/code>/)![1].replaceAll(" ", "");
    const key = decodeBase32IgnorePadding(secret);
    const deviceId = new URL(`http://x${setupPath}`).searchParams.get("device")!;
    expect(
      (await browser.post("/enrollment/totp", { deviceId, code: generateTOTP(key, 30, 6) })).headers.get("Location"),
    ).toBe("/enrollment/finish");

    await ageStrongFactor(user.id, 16 * 60 * 1000);
    expect((await browser.get("/enrollment/finish")).status).toBe(200);
    const codes = recoveryCodesIn(await (await browser.post("/enrollment/finish", { intent: "create" })).text());
    expect(codes).toHaveLength(10);
    expect(await recoveryCodeCount(user.id)).toBe(10);

    // Another session of the same account, signed in with the new app long ago: step up first.
    const other = new Browser();
    expect(
      (await other.signIn(user.loginId, user.password, { deviceType: "totp", code: generateTOTPAt(key, 1) })).status,
    ).toBe(302);
    await ageStrongFactor(user.id, 16 * 60 * 1000);
    expect((await other.post("/enrollment/finish", { intent: "create" })).headers.get("Location")).toBe(
      "/step-up?redirectTo=%2Fenrollment%2Ffinish",
    );
  });

  it("issues codes in the session that bound an Email device at enrollment", async () => {
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await asProofingSession(user.id);
    await browser.post("/enrollment/email", { intent: "send" });
    const code = (await waitForEmail(user.email, "security code")).body_text.match(/is (\d{6})/)![1];
    expect((await browser.post("/enrollment/email", { intent: "verify", code })).headers.get("Location")).toBe(
      "/enrollment/finish",
    );
    const codes = recoveryCodesIn(await (await browser.post("/enrollment/finish", { intent: "create" })).text());
    expect(codes).toHaveLength(10);
  });
});

describe("password reset: a security key or passkey counts as the account's strong factor", () => {
  /** A user whose only MFA device is a security key, and a reset link for them. */
  async function keyOnlyUserWithResetLink() {
    const user = await createUser({ verified: true });
    await env.DB.prepare("UPDATE users SET enrollment_completed_at = ? WHERE id = ?").bind(Date.now(), user.id).run();
    const key = await registerSoftKey(user.id);
    const browser = new Browser();
    await browser.post("/forgot-password", { userId: user.loginId, email: user.email });
    const link = (await waitForEmail(user.email, "Reset your QualityNet password")).body_text.match(
      /\/reset-password\?token=([a-z2-7]{32})/,
    )!;
    return { user, key, browser, path: link[0], token: link[1] };
  }
  const resetFields = (token: string) => ({ token, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });

  it("refuses the link alone, says without JavaScript that the key needs it, and resets with the key's assertion", async () => {
    const { user, key, browser, path, token } = await keyOnlyUserWithResetLink();
    const hash = await passwordHash(user.id);

    // The page as served (no script has run): the choice, and what to do without JavaScript.
    const page = await (await browser.get(path)).text();
    expect(page).toContain('<option value="webauthn"');
    expect(page).toContain("Using a security key needs JavaScript. Turn it on in this browser, or call the help desk.");

    // The link alone, or a key chosen without its answer: refused, nothing changes.
    const linkOnly = await browser.post("/reset-password", resetFields(token));
    expect(linkOnly.status).toBe(400);
    const noScript = await browser.post("/reset-password", { ...resetFields(token), deviceType: "webauthn" });
    expect(noScript.status).toBe(400);
    expect(await noScript.text()).toContain("Using a security key needs JavaScript.");
    // An assertion for a challenge bound to nobody (a passkey sign-in's) does not do either.
    const unbound = await key.assertionFor("NOSUCHUSER1");
    expect(
      (await browser.post("/reset-password", { ...resetFields(token), deviceType: "webauthn", assertion: unbound }))
        .status,
    ).toBe(400);
    expect(await passwordHash(user.id)).toBe(hash);
    expect(await eventCount(user.id, "password.reset")).toBe(0);

    const assertion = await key.assertionFor(user.loginId);
    const reset = await browser.post("/reset-password", { ...resetFields(token), deviceType: "webauthn", assertion });
    expect(reset.headers.get("Location")).toBe("/login?reset=1");
    expect(await passwordHash(user.id)).not.toBe(hash);
    // A strong reset: no 24-hour restriction.
    expect(
      (await first<{ restricted_until: number | null }>("SELECT restricted_until FROM users WHERE id = ?", user.id))
        ?.restricted_until,
    ).toBeNull();
    // The challenge was single use: the same assertion does not work twice.
    const again = await keyOnlyUserWithResetLinkFor(user, browser);
    expect(
      (await browser.post("/reset-password", { ...resetFields(again), deviceType: "webauthn", assertion })).status,
    ).toBe(400);
  });

  it("offers the other strong factors without JavaScript, and says so next to the choice", async () => {
    const totp = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: totp });
    await registerSoftKey(user.id);
    const browser = new Browser();
    const token = await keyOnlyUserWithResetLinkFor(user, browser);
    const page = await (await browser.get(`/reset-password?token=${token}`)).text();
    expect(page).toContain('<option value="totp"');
    expect(page).toContain('<option value="webauthn"');
    expect(page).toContain("Using a security key needs JavaScript. Turn it on, or use an authenticator app code.");
    const viaApp = await browser.post("/reset-password", {
      ...resetFields(token),
      deviceType: "totp",
      code: totpNow(totp),
    });
    expect(viaApp.headers.get("Location")).toBe("/login?reset=1");
  });
});

/** Asks for a new reset link for the user; its token. */
async function keyOnlyUserWithResetLinkFor(user: { id: string; loginId: string; email: string }, browser: Browser) {
  await env.DB.prepare("DELETE FROM dev_mailbox WHERE recipient = ?").bind(user.email).run();
  await browser.post("/forgot-password", { userId: user.loginId, email: user.email });
  return (await waitForEmail(user.email, "Reset your QualityNet password")).body_text.match(
    /\/reset-password\?token=([a-z2-7]{32})/,
  )![1];
}
