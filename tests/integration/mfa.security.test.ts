import { env } from "cloudflare:test";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { beforeAll, describe, expect, it } from "vitest";
import { openSecret } from "../../app/.server/auth/secret-box";
import { verifyTotpDevice } from "../../app/.server/auth/totp";
import { createDeps } from "../../app/.server/deps";
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

beforeAll(async () => {
  await seedDatabase(env.DB);
});

const deviceOf = (userId: string) =>
  env.DB.prepare("SELECT * FROM mfa_devices WHERE user_id = ? AND kind = 'totp'")
    .bind(userId)
    .first<{ id: string; totp_secret_enc: ArrayBuffer; totp_last_step: number | null }>();

async function check(userId: string, code: string, nowMs: number) {
  const device = (await deviceOf(userId))!;
  const deps = createDeps(env, { now: () => new Date(nowMs) });
  return verifyTotpDevice(
    deps,
    { id: device.id, totpSecretEnc: new Uint8Array(device.totp_secret_enc), totpLastStep: device.totp_last_step },
    code,
  );
}

describe("TOTP", () => {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const now = 1_900_000_000_000;
  const step = Math.floor(now / 30_000);

  it("accepts one step of drift either way and refuses two", async () => {
    const early = await createUser({ totpKey: key });
    expect(await check(early.id, generateHOTP(key, BigInt(step - 1), 6), now)).toBe(true);
    const late = await createUser({ totpKey: key });
    expect(await check(late.id, generateHOTP(key, BigInt(step + 1), 6), now)).toBe(true);
    const far = await createUser({ totpKey: key });
    expect(await check(far.id, generateHOTP(key, BigInt(step - 2), 6), now)).toBe(false);
    expect(await check(far.id, generateHOTP(key, BigInt(step + 2), 6), now)).toBe(false);
  });

  it("never accepts the same code twice, nor an older one after a newer", async () => {
    const user = await createUser({ totpKey: key });
    const code = generateHOTP(key, BigInt(step), 6);
    expect(await check(user.id, code, now)).toBe(true);
    expect(await check(user.id, code, now)).toBe(false);
    expect(await check(user.id, generateHOTP(key, BigInt(step - 1), 6), now)).toBe(false);
    expect(await check(user.id, generateHOTP(key, BigInt(step + 1), 6), now + 30_000)).toBe(true);
  });

  it("keeps no TOTP secret readable from D1 without the key", async () => {
    const user = await createUser({ totpKey: key });
    const row = (await deviceOf(user.id))!;
    const stored = new Uint8Array(row.totp_secret_enc);
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    expect(hex(stored)).not.toContain(hex(key));
    expect(new TextDecoder("latin1").decode(stored)).not.toContain(encodeBase32UpperCaseNoPadding(key));
    const dump = JSON.stringify(
      await env.DB.prepare("SELECT * FROM mfa_devices WHERE user_id = ?").bind(user.id).all(),
    );
    expect(dump).not.toContain(encodeBase32UpperCaseNoPadding(key));
    const wrongKey = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
    await expect(openSecret(wrongKey, stored, `totp:${row.id}`)).rejects.toThrow();
    expect(await openSecret(env.TOTP_ENCRYPTION_KEY, stored, `totp:${row.id}`)).toEqual(key);
  });
});

describe("locked out of the phone", () => {
  it("challenge questions email a One-Time Security Code that signs the user in once", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    await browser.acceptTerms();
    const page = await (await browser.get(`/login/recover?userId=${user.loginId}`)).text();
    expect(page).toContain("What was the name of your first pet?");
    const wrong = await browser.post(`/login/recover?userId=${user.loginId}`, {
      userId: user.loginId,
      first_pet: "Rex",
      birth_city: "Toledo",
      first_school: "Lincoln Elementary",
    });
    expect(wrong.status).toBe(401);
    const right = await browser.post(`/login/recover?userId=${user.loginId}`, {
      userId: user.loginId,
      first_pet: " rex ",
      birth_city: "DAYTON",
      first_school: "Lincoln elementary!",
    });
    expect(right.headers.get("Location")).toBe(`/login?step=2&userId=${user.loginId}&device=otc&codeSent=1`);
    const step2 = await (await browser.get(right.headers.get("Location")!)).text();
    expect(step2).toContain("We emailed a One-Time Security Code");
    expect(step2).toContain('<option value="otc" selected=""');
    const code = await codeFromEmail(user.email, "One-Time Security Code");
    expect(
      (
        await browser.post("/login", {
          intent: "login",
          userId: user.loginId,
          password: user.password,
          deviceType: "otc",
          code,
        })
      ).status,
    ).toBe(302);
    expect((await new Browser().signIn(user.loginId, user.password, { deviceType: "otc", code })).status).toBe(401);
  });

  it("allows three tries at the challenge questions, then sends the user to the help desk", async () => {
    const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    const browser = new Browser();
    await browser.acceptTerms();
    for (let i = 0; i < 3; i++)
      expect(
        (
          await browser.post(`/login/recover?userId=${user.loginId}`, {
            userId: user.loginId,
            first_pet: "x",
            birth_city: "y",
            first_school: "z",
          })
        ).status,
      ).toBe(401);
    const fourth = await browser.post(`/login/recover?userId=${user.loginId}`, {
      userId: user.loginId,
      first_pet: "Rex",
      birth_city: "Dayton",
      first_school: "Lincoln Elementary",
    });
    expect(fourth.status).toBe(429);
    expect(await fourth.text()).toContain("Contact the help desk");
  });

  it("asks the same kind of questions for an unknown User ID and never sends anything", async () => {
    const browser = new Browser();
    await browser.acceptTerms();
    const page = await (await browser.get("/login/recover?userId=NOBODY12")).text();
    expect(page.match(/<label/g)?.length).toBe(3);
    expect(
      (await browser.post("/login/recover?userId=NOBODY12", { userId: "NOBODY12", first_pet: "Rex" })).status,
    ).toBe(401);
  });

  it("a recovery code works once and its use is announced by email", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    // Signed in with the app a moment ago: a fresh strong factor, so no step-up.
    const page = await (await browser.post("/profile/devices", { intent: "regenerate" })).text();
    const codes = recoveryCodesIn(page);
    expect(codes).toHaveLength(10);

    const lost = new Browser();
    expect(
      (await lost.signIn(user.loginId, user.password, { deviceType: "recovery", code: codes[3].toLowerCase() })).status,
    ).toBe(302);
    const mail = await waitForEmail(user.email, "A recovery code was used");
    expect(mail.body_text).toContain("You have 9 left");
    expect(
      (await new Browser().signIn(user.loginId, user.password, { deviceType: "recovery", code: codes[3] })).status,
    ).toBe(401);
  });
});

describe("limits on codes", () => {
  it("locks security codes for 10 minutes after 10 wrong ones in a row, from any clients, and emails the owner", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    // A right password with a wrong code counts like a wrong password: 5 per client, so two clients.
    for (const browser of [new Browser("203.0.113.10"), new Browser("203.0.113.11")]) {
      for (let i = 0; i < 5; i++)
        expect((await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: "000000" })).status).toBe(
          401,
        );
    }
    const mail = await waitForEmail(user.email, "Security codes on your");
    expect(mail.body_text).toContain("your password is known");
    const row = await env.DB.prepare("SELECT mfa_failures, mfa_locked_until FROM users WHERE id = ?")
      .bind(user.id)
      .first<{ mfa_failures: number; mfa_locked_until: number }>();
    expect(row?.mfa_failures).toBe(10);
    expect(row!.mfa_locked_until - Date.now()).toBeGreaterThan(9 * 60_000);
    // Even the right code from a third client is refused, and the screen does not say why.
    const right = await new Browser("203.0.113.12").signIn(user.loginId, user.password, {
      deviceType: "totp",
      code: totpNow(key),
    });
    expect(right.status).toBe(401);
    expect(await right.text()).toContain("The User ID, password or security code is not correct.");
  }, 30_000);

  it("emailed codes: at most 3 sends per 15 minutes", async () => {
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await asProofingSession(user.id);
    for (let i = 0; i < 3; i++) expect((await browser.post("/enrollment/email", { intent: "send" })).status).toBe(302);
    const fourth = await browser.post("/enrollment/email", { intent: "send" });
    expect(fourth.status).toBe(429);
    expect(await fourth.text()).toContain("already sent 3 codes");
  });

  /** One code sent (so the mailbox holds exactly it), then `wrongTries` wrong codes, then the right one. */
  async function rightCodeAfter(wrongTries: number) {
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await asProofingSession(user.id);
    expect((await browser.post("/enrollment/email", { intent: "send" })).status).toBe(302);
    const code = (await waitForEmail(user.email, "security code")).body_text.match(/is (\d{6})/)![1];
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < wrongTries; i++)
      expect((await browser.post("/enrollment/email", { intent: "verify", code: wrong })).status).toBe(400);
    return browser.post("/enrollment/email", { intent: "verify", code });
  }

  it("emailed codes: the right code still works after 4 wrong tries", async () => {
    const accepted = await rightCodeAfter(4);
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("Location")).toBe("/enrollment/finish");
  });

  it("emailed codes: after 5 wrong tries the right code is refused", async () => {
    const refused = await rightCodeAfter(5);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("That code is not right, or it has expired");
  });
});

describe("device management", () => {
  it("never removes the last device, and removing one needs a fresh second factor and sends an email", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    const only = await env.DB.prepare("SELECT id FROM mfa_devices WHERE user_id = ?")
      .bind(user.id)
      .first<{ id: string }>();
    const refused = await browser.post("/profile/devices", {
      intent: "remove",
      deviceId: only!.id,
      proofType: "totp",
      code: "123456",
    });
    expect(await refused.text()).toContain("You cannot remove your only MFA device");

    // Add a second authenticator app.
    const begun = await browser.post("/enrollment/totp", { intent: "begin", name: "Backup phone", from: "profile" });
    const setup = await (await browser.get(begun.headers.get("Location")!)).text();
    const secondKey = (await import("@oslojs/encoding")).decodeBase32IgnorePadding(
      setup.match(/<code class="secret">([A-Z2-7 ]+)<\/code>/)![1].replaceAll(" ", ""),
    );
    const secondId = new URL(`http://x${begun.headers.get("Location")}`).searchParams.get("device")!;
    expect(
      (
        await browser.post("/enrollment/totp", { deviceId: secondId, code: totpNow(secondKey), from: "profile" })
      ).headers.get("Location"),
    ).toBe("/profile/devices?added=1");

    const devicesPage = await (await browser.get("/profile/devices")).text();
    expect(devicesPage).toContain("Backup phone");
    await browser.post("/profile/devices", { intent: "rename", deviceId: secondId, name: "Desk phone" });
    expect(await (await browser.get("/profile/devices")).text()).toContain("Desk phone");

    // 16 minutes later the strong factor is no longer fresh: removing asks to step up first.
    await env.DB.prepare("UPDATE sessions SET strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now() - 16 * 60_000, user.id)
      .run();
    const stale = await browser.post("/profile/devices", { intent: "remove", deviceId: only!.id });
    expect(stale.headers.get("Location")).toBe("/step-up?redirectTo=%2Fprofile%2Fdevices");
    expect(
      (
        await env.DB.prepare("SELECT count(*) AS n FROM mfa_devices WHERE user_id = ?")
          .bind(user.id)
          .first<{ n: number }>()
      )?.n,
    ).toBe(2);
    const wrong = await browser.post("/step-up", {
      redirectTo: "/profile/devices",
      deviceType: "totp",
      code: "000000",
    });
    expect(wrong.status).toBe(400);
    const nextStep = generateHOTP(secondKey, BigInt(Math.floor(Date.now() / 30_000) + 1), 6);
    const stepped = await browser.post("/step-up", {
      redirectTo: "/profile/devices",
      deviceType: "totp",
      code: nextStep,
    });
    expect(stepped.headers.get("Location")).toBe("/profile/devices");
    const removed = await browser.post("/profile/devices", { intent: "remove", deviceId: only!.id });
    expect(removed.headers.get("Location")).toBe("/profile/devices?removed=1");
    await waitForEmail(user.email, "An MFA device was removed");
    const left = await env.DB.prepare("SELECT count(*) AS n FROM mfa_devices WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(1);
  });
});
