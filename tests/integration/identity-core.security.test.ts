import { env } from "cloudflare:test";
import { generateHOTP } from "@oslojs/otp";
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

/**
 * The identity core under attack: who may do what (ASVS V4), how strongly a
 * session was established (NIST SP 800-63B AAL2), limits that parallel
 * requests cannot beat (§5.2.2), lockouts a stranger cannot use against the
 * owner, and answers that do not say whether a User ID exists (ASVS 2.2.x).
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const nextCode = (key: Uint8Array) => generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + 1), 6);
const count = async (sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n;
const sessionOf = (userId: string) =>
  env.DB.prepare("SELECT assurance, strong_factor_at FROM sessions WHERE user_id = ? ORDER BY created_at DESC")
    .bind(userId)
    .first<{ assurance: string; strong_factor_at: number | null }>();

async function grantRole(userId: string, roleCode: string) {
  await env.DB.prepare(
    "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) SELECT ?, ?, id, NULL, NULL, 'active', ? FROM roles WHERE code = ?",
  )
    .bind(crypto.randomUUID(), userId, Date.now(), roleCode)
    .run();
}

async function addEmailDevice(userId: string) {
  await env.DB.prepare(
    "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, created_at, confirmed_at) VALUES (?, ?, 'email', 'Email', 'MAIL-TEST', ?, ?)",
  )
    .bind(crypto.randomUUID(), userId, Date.now(), Date.now())
    .run();
}

/** "Unable to Access Security Code?": challenge answers, then the emailed One-Time Security Code. */
async function signInWithChallengeQuestions(
  browser: Browser,
  user: { loginId: string; email: string; password: string },
) {
  await browser.acceptTerms();
  const answered = await browser.post(`/login/recover?userId=${user.loginId}`, {
    userId: user.loginId,
    first_pet: "Rex",
    birth_city: "Dayton",
    first_school: "Lincoln Elementary",
  });
  expect(answered.status).toBe(302);
  const code = await codeFromEmail(user.email, "One-Time Security Code");
  return browser.post("/login", {
    intent: "login",
    userId: user.loginId,
    password: user.password,
    deviceType: "otc",
    code,
  });
}

describe("ASVS 4.1.1 / 4.1.3: one authorization rule, backed by roles", () => {
  it("has no help-desk or admin flags on users: the power comes from a role", async () => {
    const columns = await env.DB.prepare("SELECT name FROM pragma_table_info('users')").all<{ name: string }>();
    expect(columns.results.map((c) => c.name)).not.toContain("is_help_desk");
    expect(columns.results.map((c) => c.name)).not.toContain("is_admin");
    expect(await count("SELECT count(*) AS n FROM roles WHERE code = 'HELP_DESK_APPROVER' AND is_help_desk = 1")).toBe(
      1,
    );
  });

  it("answers 404 to the manual-proofing queue (in Administration) for a user without the Help Desk Administrator role, and opens it to one who holds it", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const plain = await createUser({ totpKey: key });
    const browser = new Browser();
    await browser.signIn(plain.loginId, plain.password, { deviceType: "totp", code: totpNow(key) });
    expect((await browser.get("/admin/proofing")).status).toBe(404);
    expect((await browser.post("/admin/proofing", { intent: "verify", reviewId: "x" })).status).toBe(404);
    // A help-desk approver is not an administrator.
    await grantRole(plain.id, "HELP_DESK_APPROVER");
    expect((await browser.get("/admin/proofing")).status).toBe(404);

    await grantRole(plain.id, "HELP_DESK_ADMINISTRATOR");
    expect((await browser.get("/admin/proofing")).status).toBe(200);
    // The old address goes to the new one.
    const old = await browser.get("/help-desk/proofing");
    expect(old.status).toBe(301);
    expect(old.headers.get("Location")).toBe("/admin/proofing");
  });

  it("refuses an administrator deciding their own proofing review, and records one decision when two decide at once", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const desk = await createUser({ totpKey: key });
    await grantRole(desk.id, "HELP_DESK_ADMINISTRATOR");
    const applicant = await createUser();
    const own = crypto.randomUUID();
    const theirs = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO proofing_reviews (id, user_id, status, note, created_at) VALUES (?, ?, 'open', '', ?)",
      ).bind(own, desk.id, Date.now()),
      env.DB.prepare(
        "INSERT INTO proofing_reviews (id, user_id, status, note, created_at) VALUES (?, ?, 'open', '', ?)",
      ).bind(theirs, applicant.id, Date.now()),
    ]);
    const browser = new Browser();
    await browser.signIn(desk.loginId, desk.password, { deviceType: "totp", code: totpNow(key) });
    const evidence = { evidenceType: "passport", evidenceLast4: "1234", denialReason: "The documents did not match." };
    const self = await browser.post("/admin/proofing", { intent: "verify", reviewId: own, ...evidence });
    expect(self.status).toBe(409);
    expect(await self.text()).toContain("You cannot decide your own request.");

    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        browser.post("/admin/proofing", { intent: i % 2 ? "verify" : "reject", reviewId: theirs, ...evidence }),
      ),
    );
    expect(answers.filter((r) => r.status === 302)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(7);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE subject_user_id = ? AND event_type LIKE 'proofing.manual_%'",
        applicant.id,
      ),
    ).toBe(1);
  });
});

describe("NIST SP 800-63B §5.1.3.1 / §5.1.1.2: email and challenge questions are recovery, not a second factor", () => {
  it("signs in through Unable to Access Security Code? into a weak session that must step up to add a device, then comes back", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    expect((await signInWithChallengeQuestions(browser, user)).status).toBe(302);
    expect((await sessionOf(user.id))?.assurance).toBe("weak");

    const add = await browser.get("/enrollment/totp?from=profile");
    expect(add.headers.get("Location")).toBe("/step-up?redirectTo=%2Fenrollment%2Ftotp%3Ffrom%3Dprofile");
    const stepUpPage = await (await browser.get(add.headers.get("Location")!)).text();
    expect(stepUpPage).toContain("Confirm it is you");
    expect(stepUpPage).not.toContain('value="otc"');
    // An emailed code cannot step up.
    expect(
      (
        await browser.post("/step-up", {
          redirectTo: "/enrollment/totp?from=profile",
          deviceType: "otc",
          code: "123456",
        })
      ).status,
    ).toBe(400);

    const before = browser.cookies.get("__Host-sp-session");
    const stepped = await browser.post("/step-up", {
      redirectTo: "/enrollment/totp?from=profile",
      deviceType: "totp",
      code: totpNow(key),
    });
    expect(stepped.headers.get("Location")).toBe("/enrollment/totp?from=profile");
    expect(browser.cookies.get("__Host-sp-session")).not.toBe(before);
    expect((await sessionOf(user.id))?.assurance).toBe("strong");
    expect((await browser.get("/enrollment/totp?from=profile")).status).toBe(200);
  });

  it("makes a session strong with an authenticator code or a recovery code, weak with an emailed code", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    expect((await sessionOf(user.id))?.assurance).toBe("strong");

    const emailOnly = await createUser({ verified: true });
    await addEmailDevice(emailOnly.id);
    const browser = new Browser();
    await browser.acceptTerms();
    await browser.post("/login", { intent: "send-code", userId: emailOnly.loginId, deviceType: "email" });
    const code = await codeFromEmail(emailOnly.email, "security code");
    expect(
      (
        await browser.post("/login", {
          intent: "login",
          userId: emailOnly.loginId,
          password: emailOnly.password,
          deviceType: "email",
          code,
        })
      ).status,
    ).toBe(302);
    expect((await sessionOf(emailOnly.id))?.assurance).toBe("weak");
  });

  it("binds the first device in the session that completed identity proofing, and proving it makes that session strong under a new id", async () => {
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await asProofingSession(user.id);
    expect((await sessionOf(user.id))?.assurance).toBe("password");
    const begun = await browser.post("/enrollment/totp", { intent: "begin", name: "Phone" });
    const setup = await (await browser.get(begun.headers.get("Location")!)).text();
    const { decodeBase32IgnorePadding } = await import("@oslojs/encoding");
    const key = decodeBase32IgnorePadding(
      setup.match(/<code class="secret">([A-Z2-7 ]+)<\/code>/)![1].replaceAll(" ", ""),
    );
    const deviceId = new URL(`http://x${begun.headers.get("Location")}`).searchParams.get("device")!;
    const before = browser.cookies.get("__Host-sp-session");
    expect((await browser.post("/enrollment/totp", { deviceId, code: totpNow(key) })).headers.get("Location")).toBe(
      "/enrollment/finish",
    );
    expect(browser.cookies.get("__Host-sp-session")).not.toBe(before);
    expect((await sessionOf(user.id))?.assurance).toBe("strong");
  });

  it("needs the strong factor for a password reset when the account has one: an emailed code will not do", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    await addEmailDevice(user.id);
    const browser = new Browser();
    await browser.post("/forgot-password", { userId: user.loginId, email: user.email });
    const link = (await waitForEmail(user.email, "Reset your QualityNet password")).body_text.match(
      /\/reset-password\?token=([a-z2-7]{32})/,
    )!;
    const form = await (await browser.get(link[0])).text();
    expect(form).not.toContain('<option value="email"');
    const viaEmail = await browser.post("/reset-password", {
      token: link[1],
      newPassword: "saffron tunnel quiet maple",
      confirmPassword: "saffron tunnel quiet maple",
      deviceType: "email",
      code: "123456",
    });
    expect(viaEmail.status).toBe(400);
    const viaApp = await browser.post("/reset-password", {
      token: link[1],
      newPassword: "saffron tunnel quiet maple",
      confirmPassword: "saffron tunnel quiet maple",
      deviceType: "totp",
      code: totpNow(key),
    });
    expect(viaApp.headers.get("Location")).toBe("/login?reset=1");
    expect(await count("SELECT count(*) AS n FROM users WHERE id = ? AND restricted_until IS NOT NULL", user.id)).toBe(
      0,
    );
  });

  it("after a reset with only weak factors: everyone is told, sensitive changes wait 24 hours, and This wasn't me holds the account", async () => {
    const user = await createUser({ verified: true });
    await addEmailDevice(user.id);
    await env.DB.prepare("UPDATE users SET enrollment_completed_at = ? WHERE id = ?").bind(Date.now(), user.id).run();
    const browser = new Browser();
    await browser.post("/forgot-password", { userId: user.loginId, email: user.email });
    const link = (await waitForEmail(user.email, "Reset your QualityNet password")).body_text.match(
      /\/reset-password\?token=([a-z2-7]{32})/,
    )!;
    const newPassword = "saffron tunnel quiet maple";
    expect(
      (
        await browser.post("/reset-password", { token: link[1], newPassword, confirmPassword: newPassword })
      ).headers.get("Location"),
    ).toBe("/login?reset=1");
    const notice = await waitForEmail(user.email, "reset without your MFA device");
    expect(notice.body_text).toMatch(/until \w+ \d+, \d{4}/);
    const until = (await env.DB.prepare("SELECT restricted_until AS t FROM users WHERE id = ?")
      .bind(user.id)
      .first<{ t: number }>())!.t;
    expect(until - Date.now()).toBeGreaterThan(23.9 * 3600_000);

    // Signed in again (weak), then stepped up would still not open device changes: the restriction says until when.
    await browser.acceptTerms();
    await browser.post("/login", { intent: "send-code", userId: user.loginId, deviceType: "email" });
    const code = await codeFromEmail(user.email, "security code");
    expect(
      (
        await browser.post("/login", {
          intent: "login",
          userId: user.loginId,
          password: newPassword,
          deviceType: "email",
          code,
        })
      ).status,
    ).toBe(302);
    await env.DB.prepare("UPDATE sessions SET assurance = 'strong', strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now(), user.id)
      .run();
    const add = await browser.get("/enrollment/totp?from=profile");
    expect(add.headers.get("Location")).toBe("/account-restricted?redirectTo=%2Fenrollment%2Ftotp%3Ffrom%3Dprofile");
    expect(await (await browser.get(add.headers.get("Location")!)).text()).toMatch(/until \w+ \d+, \d{4}/);

    const notMe = notice.body_text.match(/\/this-wasnt-me\?token=([a-z2-7]{32})/)!;
    expect(await (await browser.get(notMe[0])).text()).toContain("Hold My Account");
    expect((await browser.post("/this-wasnt-me", { token: notMe[1] })).status).toBe(200);
    expect(
      await count(
        "SELECT count(*) AS n FROM users WHERE id = ? AND held_at IS NOT NULL AND held_reason = 'reported_not_me'",
        user.id,
      ),
    ).toBe(1);
    expect(await count("SELECT count(*) AS n FROM sessions WHERE user_id = ?", user.id)).toBe(0);
    await browser.post("/login", { intent: "send-code", userId: user.loginId, deviceType: "email" });
    expect(
      (await new Browser().signIn(user.loginId, newPassword, { deviceType: "email", code: "000000" })).status,
    ).toBe(401);
  });
});

describe("NIST SP 800-63B §5.2.2: limits that parallel requests cannot beat", () => {
  it("lets only 5 of 20 parallel wrong passwords be checked before the lock", async () => {
    const user = await createUser();
    const attacker = new Browser("203.0.113.50");
    await attacker.acceptTerms();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        attacker.post("/login", {
          intent: "login",
          userId: user.loginId,
          password: `guess number ${i} of many`,
          deviceType: "",
          code: "",
        }),
      ),
    );
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE subject_user_id = ? AND event_type = 'signin.failure' AND details_json LIKE '%\"reason\":\"password\"%'",
        user.id,
      ),
    ).toBe(5);
    const texts = await Promise.all(answers.map((r) => r.text()));
    expect(texts.filter((t) => t.includes("Your account is locked until")).length).toBeGreaterThanOrEqual(15);
  });

  it("checks at most 10 parallel wrong codes against a known password before codes lock, over many clients", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const clients = Array.from({ length: 6 }, (_, i) => new Browser(`198.18.0.${i + 1}`));
    await Promise.all(clients.map((c) => c.acceptTerms()));
    await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: 5 }, () =>
          c.post("/login", {
            intent: "login",
            userId: user.loginId,
            password: user.password,
            deviceType: "totp",
            code: "000000",
          }),
        ),
      ),
    );
    const row = await env.DB.prepare("SELECT mfa_failures, mfa_locked_until FROM users WHERE id = ?")
      .bind(user.id)
      .first<{ mfa_failures: number; mfa_locked_until: number | null }>();
    expect(row?.mfa_failures).toBe(10);
    expect(row?.mfa_locked_until).not.toBeNull();
    await waitForEmail(user.email, "Security codes on your");
  }, 30_000);

  it("counts wrong codes over the account's life: locks get longer, and the 100th puts the account on hold for the help desk", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    // 19 earlier failures, the last lock expired: the 20th locks for 20 minutes, not 10.
    await env.DB.prepare("UPDATE users SET mfa_failures = 19, mfa_locked_until = ? WHERE id = ?")
      .bind(Date.now() - 1000, user.id)
      .run();
    await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code: "000000" });
    const second = await env.DB.prepare("SELECT mfa_failures AS n, mfa_locked_until AS t FROM users WHERE id = ?")
      .bind(user.id)
      .first<{ n: number; t: number }>();
    expect(second?.n).toBe(20);
    expect(second!.t - Date.now()).toBeGreaterThan(19 * 60_000);

    await env.DB.prepare("UPDATE users SET mfa_failures = 99, mfa_locked_until = ? WHERE id = ?")
      .bind(Date.now() - 1000, user.id)
      .run();
    await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code: "000000" });
    expect(
      await count(
        "SELECT count(*) AS n FROM users WHERE id = ? AND held_at IS NOT NULL AND held_reason = 'mfa_failures'",
        user.id,
      ),
    ).toBe(1);
    // The right code no longer helps: only the help desk can release the account.
    await env.DB.prepare("UPDATE users SET mfa_locked_until = ? WHERE id = ?")
      .bind(Date.now() - 1000, user.id)
      .run();
    expect(
      (await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(401);
  }, 30_000);

  it("takes each try at an emailed code once, however many arrive in parallel: 5 tries, then even the right code fails", async () => {
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await asProofingSession(user.id);
    await browser.post("/enrollment/email", { intent: "send" });
    const code = await codeFromEmail(user.email, "security code");
    const wrong = code === "111111" ? "222222" : "111111";
    await Promise.all(
      Array.from({ length: 12 }, () => browser.post("/enrollment/email", { intent: "verify", code: wrong })),
    );
    expect(await count("SELECT attempts AS n FROM one_time_codes WHERE user_id = ?", user.id)).toBe(5);
    expect((await browser.post("/enrollment/email", { intent: "verify", code })).status).toBe(400);
  });

  it("groups IPv6 clients by /64: a new address in the same /64 is still locked out", async () => {
    const user = await createUser();
    const first = new Browser("2001:db8:1:2::10");
    for (let i = 0; i < 5; i++) await first.signIn(user.loginId, `wrong password attempt ${i}`);
    const sameNetwork = await new Browser("2001:db8:1:2:ffff:0:0:99").signIn(user.loginId, user.password);
    expect(await sameNetwork.text()).toContain("Your account is locked until");
    const elsewhere = await new Browser("2001:db8:1:3::10").signIn(user.loginId, user.password);
    expect(elsewhere.status).toBe(302);
  });

  it("counts wrong current passwords on the profile toward the lockout", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser("203.0.113.77");
    await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    for (let i = 0; i < 5; i++) {
      await browser.post("/profile", {
        intent: "change-password",
        currentPassword: `not it ${i} at all`,
        newPassword: "saffron tunnel quiet maple",
        confirmPassword: "saffron tunnel quiet maple",
      });
    }
    const fromSameClient = await new Browser("203.0.113.77").signIn(user.loginId, user.password, {
      deviceType: "totp",
      code: nextCode(key),
    });
    expect(await fromSameClient.text()).toContain("Your account is locked until");
  });

  it("throttles step 1 of sign-in per client", async () => {
    const browser = new Browser("203.0.113.199");
    await browser.acceptTerms();
    const answers = await Promise.all(
      Array.from({ length: 65 }, () => browser.post("/login", { intent: "next", userId: "ANYONE12" })),
    );
    expect(answers.filter((r) => r.status === 429).length).toBe(5);
  });
});

describe("lockout that an attacker cannot use against the owner", () => {
  it("locks only the attacking client; the owner elsewhere, or on a browser that signed in strongly before, still gets in", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const owner = new Browser("192.0.2.10");
    expect((await owner.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status).toBe(
      302,
    );
    await owner.post("/logout", {});

    const attacker = new Browser("192.0.2.66");
    for (let i = 0; i < 5; i++) await attacker.signIn(user.loginId, `attacker guess ${i} here`);
    expect(
      await (await attacker.signIn(user.loginId, user.password, { deviceType: "totp", code: nextCode(key) })).text(),
    ).toContain("locked until");

    const ownerElsewhere = new Browser("192.0.2.11");
    await env.DB.prepare("UPDATE mfa_devices SET totp_last_step = NULL WHERE user_id = ?").bind(user.id).run();
    expect(
      (await ownerElsewhere.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(302);

    // The owner's known browser behind the attacker's address (same office NAT) is not locked either.
    owner.ip = "192.0.2.66";
    await env.DB.prepare("UPDATE mfa_devices SET totp_last_step = NULL WHERE user_id = ?").bind(user.id).run();
    expect((await owner.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status).toBe(
      302,
    );
  });

  it("gives every requester its own code-send budget, and a new send keeps a code sent in the last minute", async () => {
    const user = await createUser({ verified: true });
    await addEmailDevice(user.id);
    const stranger = new Browser("192.0.2.200");
    await stranger.acceptTerms();
    for (let i = 0; i < 4; i++)
      await stranger.post("/login", { intent: "send-code", userId: user.loginId, deviceType: "email" });
    expect(
      await count("SELECT count(*) AS n FROM one_time_codes WHERE user_id = ? AND purpose = 'email_mfa'", user.id),
    ).toBe(3);

    const owner = new Browser("192.0.2.201");
    await owner.acceptTerms();
    await owner.post("/login", { intent: "send-code", userId: user.loginId, deviceType: "email" });
    expect(
      await count("SELECT count(*) AS n FROM one_time_codes WHERE user_id = ? AND purpose = 'email_mfa'", user.id),
    ).toBe(4);
    // Four codes in the last minute: none voided, so the first one still works.
    expect(await count("SELECT count(*) AS n FROM one_time_codes WHERE user_id = ? AND used_at IS NULL", user.id)).toBe(
      4,
    );
  });
});

describe("ASVS 4.2.1: another user's ids are refused, single-use things are used once", () => {
  it("will not rename or remove another user's device, however fresh the session", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const me = await createUser({ totpKey: key });
    const other = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    await addEmailDevice(other.id);
    const theirs = await env.DB.prepare("SELECT id, name FROM mfa_devices WHERE user_id = ? AND kind = 'totp'")
      .bind(other.id)
      .first<{ id: string; name: string }>();
    const browser = new Browser();
    await browser.signIn(me.loginId, me.password, { deviceType: "totp", code: totpNow(key) });
    expect(
      (await browser.post("/profile/devices", { intent: "rename", deviceId: theirs!.id, name: "Mine now" })).status,
    ).toBe(400);
    const removed = await browser.post("/profile/devices", { intent: "remove", deviceId: theirs!.id });
    expect(removed.status).toBe(400);
    expect(
      await env.DB.prepare("SELECT name FROM mfa_devices WHERE id = ?").bind(theirs!.id).first<{ name: string }>(),
    ).toEqual({ name: theirs!.name });
  });

  it("sends at most 3 codes to a stranger's parallel requests", async () => {
    const user = await createUser({ verified: true });
    await addEmailDevice(user.id);
    const stranger = new Browser("192.0.2.210");
    await stranger.acceptTerms();
    await Promise.all(
      Array.from({ length: 10 }, () =>
        stranger.post("/login", { intent: "send-code", userId: user.loginId, deviceType: "email" }),
      ),
    );
    expect(
      await count("SELECT count(*) AS n FROM one_time_codes WHERE user_id = ? AND purpose = 'email_mfa'", user.id),
    ).toBe(3);
  });

  it("lets one recovery code sign in once, however many use it at the same time", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const owner = new Browser();
    await owner.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    const [code] = recoveryCodesIn(await (await owner.post("/profile/devices", { intent: "regenerate" })).text());
    const clients = Array.from({ length: 6 }, (_, i) => new Browser(`198.18.1.${i + 1}`));
    await Promise.all(clients.map((c) => c.acceptTerms()));
    const answers = await Promise.all(
      clients.map((c) =>
        c.post("/login", {
          intent: "login",
          userId: user.loginId,
          password: user.password,
          deviceType: "recovery",
          code,
        }),
      ),
    );
    expect(answers.filter((r) => r.status === 302)).toHaveLength(1);
  });
});

describe("ASVS 2.2.x: nothing reveals whether a User ID exists", () => {
  const normalise = (html: string, id: string) =>
    html
      .replace(/nonce="[^"]+"/g, "")
      .replace(/[A-Za-z0-9+/=]{20,}/g, "")
      .replace(/\d{1,2}:\d{2}\s?[AP]M/g, "TIME")
      .replaceAll(id, "ID");

  it("offers the same MFA Device Type list to everyone", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const a = new Browser();
    await a.acceptTerms();
    const b = new Browser();
    await b.acceptTerms();
    const known = await (await a.post("/login", { intent: "next", userId: user.loginId })).text();
    const unknown = await (await b.post("/login", { intent: "next", userId: "NOSUCH55" })).text();
    for (const label of ["Authenticator App", "Security Key", "Email", "One-Time Security Code", "Recovery Code"])
      expect(known).toContain(`>${label}</option>`);
    expect(normalise(known, user.loginId)).toBe(normalise(unknown, "NOSUCH55"));
  });

  it("answers a right password with a wrong code exactly like a wrong password, and like an unknown User ID", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const rightPasswordWrongCode = await (
      await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code: "000000" })
    ).text();
    const wrongPassword = await (
      await new Browser().signIn(user.loginId, "entirely wrong password", { deviceType: "totp", code: "000000" })
    ).text();
    const unknown = await (
      await new Browser().signIn("NOSUCH56", "entirely wrong password", { deviceType: "totp", code: "000000" })
    ).text();
    const kindNotHeld = await (
      await new Browser().signIn(user.loginId, user.password, { deviceType: "email", code: "000000" })
    ).text();
    const wrongPasswordEmail = await (
      await new Browser().signIn(user.loginId, "entirely wrong password", { deviceType: "email", code: "000000" })
    ).text();
    expect(normalise(rightPasswordWrongCode, user.loginId)).toBe(normalise(wrongPassword, user.loginId));
    expect(normalise(kindNotHeld, user.loginId)).toBe(normalise(wrongPasswordEmail, user.loginId));
    expect(normalise(unknown, "NOSUCH56")).toBe(normalise(wrongPassword, user.loginId));
  });

  it("logs a keyed hash, never the raw input, of a User ID nobody has", async () => {
    await new Browser().signIn("MYPASSWORD1", "entirely wrong password");
    const rows = await env.DB.prepare(
      "SELECT details_json FROM audit_events WHERE details_json LIKE '%loginIdHash%' ORDER BY id DESC LIMIT 1",
    ).all<{ details_json: string }>();
    expect(rows.results[0].details_json).toMatch(/"loginIdHash":"[0-9a-f]{64}"/);
    expect(JSON.stringify(await env.DB.prepare("SELECT details_json FROM audit_events").all())).not.toContain(
      "MYPASSWORD1",
    );
  });
});

describe("NIST SP 800-63B §5.1.2.2: recovery codes", () => {
  it("issues codes of at least 128 bits, stored only as hashes", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    const page = await (await browser.post("/profile/devices", { intent: "regenerate" })).text();
    const codes = recoveryCodesIn(page);
    expect(codes).toHaveLength(10);
    // 28 symbols of a 32-letter alphabet: 140 bits.
    for (const c of codes) expect(c.replaceAll("-", "")).toMatch(/^[0-9A-HJKMNP-TV-Z]{28}$/);
    const stored = await env.DB.prepare("SELECT code_hash FROM recovery_codes WHERE user_id = ?")
      .bind(user.id)
      .all<{ code_hash: string }>();
    for (const row of stored.results) expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
