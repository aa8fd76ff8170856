import { env } from "cloudflare:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateTOTP } from "@oslojs/otp";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDashboard } from "../../app/.server/admin/dashboard";
import { hashToken } from "../../app/.server/auth/tokens";
import { createDeps } from "../../app/.server/deps";
import { failedEmailCount } from "../../app/.server/mail/failed-email";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, signedInWithTotp, totpNow, waitForEmail } from "../factories/users";

/**
 * Administration: the Dashboard and Users (SPEC 2.8). Only administrators (a
 * 404 for anyone else), a weak session steps up, actions need a fresh strong
 * factor and never touch the administrator's own account; Unlock, Reset MFA,
 * Deactivate and Reactivate each change the account once, however many posts
 * arrive, and do what the person then meets at sign-in.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const one = async <T>(sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<T>())!;
const count = async (sql: string, ...params: unknown[]) => (await one<{ n: number }>(sql, ...params)).n;
const id = async (sql: string, ...params: unknown[]) => (await one<{ id: number }>(sql, ...params)).id;

const grant = grantRole;
const signedIn = signedInWithTotp;

async function administrator(firstName = "Ada") {
  const admin = await signedIn(firstName, "Admin");
  await grant(admin.user.id, "HELP_DESK_ADMINISTRATOR");
  return admin;
}

/** The token of the link in the newest email to `to` whose subject has `subject`. */
async function linkFromEmail(to: string, subject: string): Promise<string> {
  const mail = await waitForEmail(to, subject);
  const token = mail.body_text.match(/\/enrollment\/reenroll\?token=([a-z2-7]{32})/)?.[1];
  if (!token) throw new Error(`No re-enrollment link in "${mail.subject}"`);
  return token;
}

/** Begins and confirms an authenticator app in this browser's session; its key. */
async function registerTotp(browser: Browser): Promise<Uint8Array> {
  const begun = await browser.post("/enrollment/totp", { intent: "begin", name: "New phone" });
  expect(begun.status).toBe(302);
  const deviceId = new URL(begun.headers.get("Location") ?? "", "http://x").searchParams.get("device") ?? "";
  const page = await (await browser.get(`/enrollment/totp?device=${deviceId}`)).text();
  const secret = page.match(/<code class="secret">([A-Z2-7 ]+)<\/code>/)?.[1]?.replaceAll(" ", "") ?? "";
  const key = decodeBase32IgnorePadding(secret);
  const confirmed = await browser.post("/enrollment/totp", { deviceId, code: generateTOTP(key, 30, 6) });
  expect(confirmed.headers.get("Location")).toBe("/enrollment/finish");
  return key;
}

/**
 * A session that proved only the password: no device screen opens (GET or POST), nothing is bound,
 * no recovery codes are issued; each is sent to the screen that asks for the emailed link.
 */
async function expectNoDeviceBinding(browser: Browser, userId: string) {
  for (const path of ["/enrollment/mfa", "/enrollment/totp", "/enrollment/security-key", "/enrollment/email"]) {
    const page = await browser.get(path);
    expect(page.status, path).toBe(302);
    expect(page.headers.get("Location"), path).toBe("/enrollment/link");
  }
  for (const [path, fields] of [
    ["/enrollment/totp", { intent: "begin", name: "Attacker phone" }],
    ["/enrollment/email", { intent: "send" }],
    ["/enrollment/email", { intent: "verify", code: "123456" }],
    ["/enrollment/security-key", { response: "{}" }],
  ] as const) {
    const post = await browser.post(path, fields);
    expect(post.status, path).toBe(302);
    expect(post.headers.get("Location"), path).toBe("/enrollment/link");
  }
  for (const intent of ["create", "done"]) {
    const finish = await browser.post("/enrollment/finish", { intent });
    expect(finish.status).toBe(302);
    expect(finish.headers.get("Location")).toBe("/enrollment/mfa");
  }
  expect((await browser.get("/enrollment/finish")).headers.get("Location")).toBe("/enrollment/mfa");
  const options = await fetchWorker(`${ORIGIN}/webauthn/registration/options`, {
    method: "POST",
    headers: {
      Host: HOST,
      "Content-Type": "application/json",
      Cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    },
    body: "{}",
  });
  expect(options.status).toBe(403);
  expect(((await options.json()) as { location: string }).location).toBe("/enrollment/link");
  expect(await count("SELECT count(*) AS n FROM mfa_devices WHERE user_id = ?", userId)).toBe(0);
  expect(await count("SELECT count(*) AS n FROM recovery_codes WHERE user_id = ?", userId)).toBe(0);
}

const eventsOf = (userId: string, type: string) =>
  count("SELECT count(*) AS n FROM audit_events WHERE subject_user_id = ? AND event_type = ?", userId, type);

describe("who may use Administration", () => {
  it("every page and action is a 404 without the administrator role; a weak session steps up", async () => {
    const target = await createUser();
    const ordinary = await signedIn("Olive", "Ordinary");
    await grant(ordinary.user.id, "HELP_DESK_APPROVER");
    for (const path of ["/admin", "/admin/users", `/admin/users?q=${target.loginId}`, `/admin/users/${target.id}`])
      expect((await ordinary.browser.get(path)).status).toBe(404);
    for (const intent of ["unlock", "reset-mfa", "deactivate", "reactivate"])
      expect(
        (await ordinary.browser.post(`/admin/users/${target.id}`, { intent, reason: "Verified by phone" })).status,
      ).toBe(404);

    const admin = await administrator("Wendy");
    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(admin.user.id)
      .run();
    for (const path of ["/admin", "/admin/users", `/admin/users/${target.id}`]) {
      const weak = await admin.browser.get(path);
      expect(weak.status).toBe(302);
      expect(weak.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent(path)}`);
    }
    expect(await eventsOf(target.id, "account.deactivated")).toBe(0);
  });

  it("the top menu leads administrators, and only them, to Administration, with the failed email waiting", async () => {
    const approver = await signedIn("Abe", "Approver");
    await grant(approver.user.id, "HELP_DESK_APPROVER");
    const approverHtml = await (await approver.browser.get("/my-account")).text();
    expect(approverHtml).toContain('href="/role-requests"');
    expect(approverHtml).not.toContain('href="/admin"');
    expect(approverHtml).not.toContain(">Administration");

    const admin = await administrator("Mona");
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO email_log (idempotency_key, kind, recipient, subject, status, attempts, created_at, updated_at) VALUES (?, 'test', 'x@example.test', 'x', 'failed', 5, ?, ?)",
    )
      .bind(`menu-${now}`, now, now)
      .run();
    const failed = await failedEmailCount(createDeps(env));
    expect(failed).toBeGreaterThan(0);
    const html = await (await admin.browser.get("/my-account")).text();
    const link = html.match(/<a[^>]*href="\/admin"[^>]*>([\s\S]*?)<\/a>/);
    expect(link).not.toBeNull();
    expect(link?.[1]).toMatch(
      /^Administration\s*(<!-- -->)?\s*<span class="count-badge" aria-hidden="true">(\d+)<\/span>/,
    );
    // Its accessible name says what the number is.
    expect(link?.[1]).toContain(`(${failed === 1 ? "1 failed email" : `${failed} failed emails`})`);
    expect(link?.[1]).toContain(`aria-hidden="true">${failed}</span>`);

    // A weak session still finds the way in (Administration then asks it to step up).
    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(admin.user.id)
      .run();
    expect(await (await admin.browser.get("/my-account")).text()).toContain('href="/admin"');
  });

  it("actions need a strong factor from the last 15 minutes: a stale one steps up and comes back", async () => {
    const admin = await administrator("Stan");
    const target = await createUser();
    await env.DB.prepare("UPDATE sessions SET strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now() - 16 * 60 * 1000, admin.user.id)
      .run();
    expect((await admin.browser.get(`/admin/users/${target.id}`)).status).toBe(200);
    const post = await admin.browser.post(`/admin/users/${target.id}`, { intent: "deactivate", reason: "Left" });
    expect(post.status).toBe(302);
    expect(post.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent(`/admin/users/${target.id}`)}`);
    expect((await one<{ status: string }>("SELECT status FROM users WHERE id = ?", target.id)).status).toBe("active");
  });

  it("an administrator never acts on their own account here", async () => {
    const admin = await administrator("Otto");
    const page = await admin.browser.get(`/admin/users/${admin.user.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("This is your own account");
    expect(html).not.toContain("Deactivate account");
    for (const intent of ["unlock", "reset-mfa", "deactivate"])
      expect((await admin.browser.post(`/admin/users/${admin.user.id}`, { intent, reason: "Myself" })).status).toBe(
        404,
      );
    expect(await count("SELECT count(*) AS n FROM mfa_devices WHERE user_id = ?", admin.user.id)).toBe(1);
    expect((await one<{ status: string }>("SELECT status FROM users WHERE id = ?", admin.user.id)).status).toBe(
      "active",
    );
  });
});

describe("Users", () => {
  it("finds by User ID, email or the start of a name, and shows the account without secrets", async () => {
    const admin = await administrator("Fay");
    const surname = `Zq${Math.random().toString(36).slice(2, 8)}`;
    const target = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)), lastName: surname });
    for (const q of [
      target.loginId.toLowerCase(),
      target.email.toUpperCase(),
      surname.slice(0, 5),
      `Casey ${surname}`,
    ]) {
      const html = await (await admin.browser.get(`/admin/users?${new URLSearchParams({ q })}`)).text();
      expect(html).toContain(`/admin/users/${target.id}`);
    }
    const none = await (await admin.browser.get(`/admin/users?q=${surname.slice(1)}`)).text();
    expect(none).not.toContain(`/admin/users/${target.id}`);

    const org = await one<{ id: number; name: string }>(
      "SELECT o.id, o.name FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' ORDER BY o.id LIMIT 1 OFFSET 30",
    );
    const program = await one<{ id: number; name: string }>("SELECT id, name FROM programs WHERE code = 'QIES'");
    await grant(target.id, "END_USER", { organizationId: org.id, programId: program.id });
    const requestId = `QR-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
    await env.DB.prepare(
      "INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, submission_key, created_at) SELECT ?, ?, ?, ?, id, 'security_official', 'pending', ?, ? FROM roles WHERE code = 'OSO'",
    )
      .bind(requestId, target.id, program.id, org.id, `sk-${requestId}`, Date.now())
      .run();

    const page = await admin.browser.get(`/admin/users/${target.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(target.loginId);
    expect(html).toContain("End User");
    expect(html).toContain(org.name.replaceAll("&", "&amp;").replaceAll("'", "&#x27;"));
    expect(html).toContain(program.name);
    expect(html).toMatch(new RegExp(`<dd>${requestId}</dd><dt>Status</dt><dd>Pending</dd>`));
    expect(html).toContain("TOTP-TEST");
    expect(html).toContain("Authenticator app");
    expect(html).not.toMatch(/totp_secret|totpSecretEnc/);
    expect((await admin.browser.get("/admin/users/no-such-user")).status).toBe(404);
  });

  it("Unlock clears the sign-in lock and the security-code lock, and the person signs in", async () => {
    const admin = await administrator("Una");
    const key = crypto.getRandomValues(new Uint8Array(20));
    const target = await createUser({ totpKey: key });
    const browser = new Browser();
    for (let i = 0; i < 5; i++) await browser.signIn(target.loginId, "not the password at all");
    expect(
      (await browser.signIn(target.loginId, target.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).not.toBe(302);
    await env.DB.prepare("UPDATE users SET mfa_failures = 10, mfa_locked_until = ? WHERE id = ?")
      .bind(Date.now() + 10 * 60 * 1000, target.id)
      .run();
    const page = await (await admin.browser.get(`/admin/users/${target.id}`)).text();
    expect(page).toContain("Sign-in locked until");
    expect(page).toContain("Security codes locked until");

    const unlocked = await admin.browser.post(`/admin/users/${target.id}`, { intent: "unlock", reason: "Called in" });
    expect(unlocked.status).toBe(200);
    expect(await unlocked.text()).toContain("account is unlocked");
    expect(await eventsOf(target.id, "account.unlocked")).toBe(1);
    const row = await one<{ mfa_failures: number; mfa_locked_until: number | null }>(
      "SELECT mfa_failures, mfa_locked_until FROM users WHERE id = ?",
      target.id,
    );
    expect(row).toEqual({ mfa_failures: 0, mfa_locked_until: null });
    expect(
      (await browser.signIn(target.loginId, target.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(302);

    // Nothing left to unlock: told so, and no second event.
    const again = await admin.browser.post(`/admin/users/${target.id}`, { intent: "unlock", reason: "" });
    expect(again.status).toBe(409);
    expect(await eventsOf(target.id, "account.unlocked")).toBe(1);
  });

  it("Reset MFA needs how the person was verified, removes devices and codes, ends sessions, emails them, and the next sign-in registers a device", async () => {
    const admin = await administrator("Rex");
    const target = await signedIn("Remy", "Reset");
    await env.DB.prepare(
      "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES (?, ?, 'x', ?), (?, ?, 'y', ?)",
    )
      .bind(crypto.randomUUID(), target.user.id, Date.now(), crypto.randomUUID(), target.user.id, Date.now())
      .run();

    const missing = await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reset-mfa", reason: " " });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Enter how you verified this person");
    expect(await count("SELECT count(*) AS n FROM mfa_devices WHERE user_id = ?", target.user.id)).toBe(1);

    const reason = "Called back on the phone number on file; confirmed the last Request ID.";
    const reset = await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reset-mfa", reason });
    expect(reset.status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM mfa_devices WHERE user_id = ?", target.user.id)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM recovery_codes WHERE user_id = ?", target.user.id)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM sessions WHERE user_id = ?", target.user.id)).toBe(0);
    const event = await one<{ actor_user_id: string; details_json: string }>(
      "SELECT actor_user_id, details_json FROM audit_events WHERE subject_user_id = ? AND event_type = 'mfa.reset_by_help_desk'",
      target.user.id,
    );
    expect(event.actor_user_id).toBe(admin.user.id);
    expect(JSON.parse(event.details_json).reason).toBe(reason);
    const mail = await waitForEmail(target.user.email, "MFA devices were reset");
    expect(mail.body_text).toContain("register a new MFA device");

    expect((await target.browser.get("/my-account")).status).toBe(302);
    // The password alone signs in, but binds no device: every device screen, GET and POST, asks for the link.
    const next = new Browser();
    const signIn = await next.signIn(target.user.loginId, target.user.password);
    expect(signIn.status).toBe(302);
    expect((await next.get("/enrollment")).headers.get("Location")).toBe("/enrollment/mfa");
    await expectNoDeviceBinding(next, target.user.id);
    const asked = await next.get("/enrollment/link");
    expect(asked.status).toBe(200);
    const askedHtml = await asked.text();
    expect(askedHtml).toContain("To register a new device, use the link we emailed you.");
    expect(askedHtml).toContain("Email me a new link");
    expect(mail.body_text).toMatch(/\/enrollment\/reenroll\?token=[a-z2-7]{32}/);
  });

  it("Reset MFA emails a single-use re-enrollment link, stored hashed, that lets the owner's session register a device; a GET uses nothing", async () => {
    const admin = await administrator("Lena");
    const target = await signedIn("Owen", "Owner");
    expect(
      (await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reset-mfa", reason: "Verified" })).status,
    ).toBe(200);
    const token = await linkFromEmail(target.user.email, "MFA devices were reset");
    const stored = await one<{ token_hash: string; created_at: number; expires_at: number; used_at: number | null }>(
      "SELECT token_hash, created_at, expires_at, used_at FROM email_tokens WHERE user_id = ? AND purpose = 'reenrollment'",
      target.user.id,
    );
    expect(stored.token_hash).toBe(hashToken(token));
    expect(stored.token_hash).not.toContain(token);
    expect(stored.expires_at - stored.created_at).toBe(24 * 60 * 60 * 1000);

    // Signed out, the link leads to the log-in screen and back.
    const owner = new Browser();
    const signedOut = await owner.get(`/enrollment/reenroll?token=${token}`);
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get("Location")).toContain(
      `redirectTo=${encodeURIComponent(`/enrollment/reenroll?token=${token}`)}`,
    );
    expect((await owner.signIn(target.user.loginId, target.user.password)).status).toBe(302);
    for (let i = 0; i < 2; i++) {
      const page = await owner.get(`/enrollment/reenroll?token=${token}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Continue to Register a Device");
    }
    expect(
      (await one<{ used_at: number | null }>("SELECT used_at FROM email_tokens WHERE token_hash = ?", hashToken(token)))
        .used_at,
    ).toBeNull();

    // Someone else's session cannot use it (and leaves it unused).
    const stranger = await signedIn("Sam", "Stranger");
    expect((await stranger.browser.post("/enrollment/reenroll", { token })).status).toBe(410);

    // Parallel posts from five sessions of the owner: exactly one uses it, and only that session is marked.
    const sessions = [owner];
    for (let i = 0; i < 4; i++) {
      const other = new Browser();
      expect((await other.signIn(target.user.loginId, target.user.password)).status).toBe(302);
      sessions.push(other);
    }
    const posts = await Promise.all(sessions.map((b) => b.post("/enrollment/reenroll", { token })));
    expect(posts.filter((r) => r.status === 302 && r.headers.get("Location") === "/enrollment")).toHaveLength(1);
    expect(posts.filter((r) => r.status === 410)).toHaveLength(4);
    expect(await eventsOf(target.user.id, "mfa.reenrollment_link_used")).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM sessions WHERE user_id = ? AND first_device_proof = 'reenrollment_link'",
        target.user.id,
      ),
    ).toBe(1);
    const winner = sessions[posts.findIndex((r) => r.status === 302)];
    expect((await winner.post("/enrollment/reenroll", { token })).status).toBe(410);
    for (const loser of sessions.filter((b) => b !== winner))
      expect((await loser.get("/enrollment/mfa")).headers.get("Location")).toBe("/enrollment/link");

    // This session may now register an authenticator app and finish with recovery codes.
    expect((await winner.get("/enrollment/mfa")).status).toBe(200);
    const key = await registerTotp(winner);
    expect(key).toBeTruthy();
    const codes = await winner.post("/enrollment/finish", { intent: "create" });
    expect(codes.status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM recovery_codes WHERE user_id = ?", target.user.id)).toBe(10);
  });

  it("a re-enrollment link stops working after 24 hours, and Email me a new link sends a fresh one, throttled", async () => {
    const admin = await administrator("Ezra");
    const target = await signedIn("Erin", "Expired");
    await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reset-mfa", reason: "Verified" });
    const token = await linkFromEmail(target.user.email, "MFA devices were reset");
    await env.DB.prepare("UPDATE email_tokens SET expires_at = ? WHERE token_hash = ?")
      .bind(Date.now() - 1, hashToken(token))
      .run();
    const owner = new Browser();
    await owner.signIn(target.user.loginId, target.user.password);
    const stale = await owner.get(`/enrollment/reenroll?token=${token}`);
    expect(stale.status).toBe(200);
    expect(await stale.text()).toContain("This link has expired");
    expect((await owner.post("/enrollment/reenroll", { token })).status).toBe(410);
    await expectNoDeviceBinding(owner, target.user.id);

    // A fresh link by email: the same answer every time, at most 3 an hour for the account.
    for (let i = 0; i < 5; i++) {
      const sent = await owner.post("/enrollment/link", {});
      expect(sent.status).toBe(302);
      expect(sent.headers.get("Location")).toBe("/enrollment/link?sent=1");
    }
    expect(
      await count(
        "SELECT count(*) AS n FROM email_tokens WHERE user_id = ? AND purpose = 'reenrollment'",
        target.user.id,
      ),
    ).toBe(4);
    expect(await eventsOf(target.user.id, "mfa.reenrollment_link_sent")).toBe(3);
    const fresh = await linkFromEmail(target.user.email, "link to register a new");
    expect((await owner.post("/enrollment/reenroll", { token: fresh })).status).toBe(302);
    expect((await owner.get("/enrollment/mfa")).status).toBe(200);
  });

  it("after Reset MFA, the password alone cannot go through identity proofing again to earn a proofing session", async () => {
    const admin = await administrator("Pia");
    const target = await signedIn("Percy", "Proofed");
    await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reset-mfa", reason: "Verified" });
    const attacker = new Browser();
    expect((await attacker.signIn(target.user.loginId, target.user.password)).status).toBe(302);
    const attempts = () => count("SELECT count(*) AS n FROM identity_verifications WHERE user_id = ?", target.user.id);
    const before = await attempts();
    // Every proofing step's post, straight at the action, is sent back to enrollment and starts nothing.
    for (const step of ["consent", "identity", "address", "phone", "questions", "result"]) {
      const post = await attacker.post(`/enrollment/step/${step}`, { consent: "on", intent: "manual" });
      expect(post.status, step).toBe(302);
      expect(post.headers.get("Location"), step).toBe("/enrollment");
    }
    expect(await attempts()).toBe(before);
    expect(
      await count(
        "SELECT count(*) AS n FROM sessions WHERE user_id = ? AND first_device_proof IS NOT NULL",
        target.user.id,
      ),
    ).toBe(0);
    await expectNoDeviceBinding(attacker, target.user.id);
  });

  it("after Reset MFA, a password reset by the emailed link alone is a weak reset: told, restricted, and no re-enrollment link works for 24 hours", async () => {
    const admin = await administrator("Ivo");
    const target = await signedIn("Iris", "Inbox");
    await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reset-mfa", reason: "Verified" });
    const token = await linkFromEmail(target.user.email, "MFA devices were reset");

    // Someone with the inbox resets the password with the link alone (the account has no device).
    const inbox = new Browser();
    await inbox.post("/forgot-password", { userId: target.user.loginId, email: target.user.email });
    const reset = (await waitForEmail(target.user.email, "Reset your QualityNet password")).body_text.match(
      /\/reset-password\?token=([a-z2-7]{32})/,
    )![1];
    const newPassword = "copper meadow lantern violet";
    const done = await inbox.post("/reset-password", { token: reset, newPassword, confirmPassword: newPassword });
    expect(done.headers.get("Location")).toBe("/login?reset=1");
    expect(
      (await one<{ t: number | null }>("SELECT restricted_until AS t FROM users WHERE id = ?", target.user.id)).t,
    ).toBeGreaterThan(Date.now());
    await waitForEmail(target.user.email, "password was reset without your MFA device");

    expect((await inbox.signIn(target.user.loginId, newPassword)).status).toBe(302);
    // The Reset MFA link is refused while restricted, and stays unused; no new link is sent.
    const used = await inbox.post("/enrollment/reenroll", { token });
    expect(used.status).toBe(302);
    expect(used.headers.get("Location")).toMatch(/^\/account-restricted\?/);
    expect(
      (await one<{ used_at: number | null }>("SELECT used_at FROM email_tokens WHERE token_hash = ?", hashToken(token)))
        .used_at,
    ).toBeNull();
    const links = () =>
      count("SELECT count(*) AS n FROM email_tokens WHERE user_id = ? AND purpose = 'reenrollment'", target.user.id);
    const linksBefore = await links();
    expect((await inbox.post("/enrollment/link", {})).headers.get("Location")).toBe("/enrollment/link?sent=1");
    expect(await links()).toBe(linksBefore);
    await expectNoDeviceBinding(inbox, target.user.id);
  });

  it("Unlock of a This wasn't me hold replaces the password: the old one no longer signs in, the emailed link sets a new one", async () => {
    const admin = await administrator("Ursa");
    const key = crypto.getRandomValues(new Uint8Array(20));
    const target = await createUser({ totpKey: key });
    await env.DB.prepare("UPDATE users SET held_at = ?, held_reason = 'reported_not_me' WHERE id = ?")
      .bind(Date.now(), target.id)
      .run();
    const unlocked = await admin.browser.post(`/admin/users/${target.id}`, { intent: "unlock", reason: "Called in" });
    expect(unlocked.status).toBe(200);
    // The held password is the attacker's: it no longer signs in, even with the right code.
    const attacker = new Browser();
    expect(
      (await attacker.signIn(target.loginId, target.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(401);
    expect(await eventsOf(target.id, "account.unlocked")).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM outbox WHERE template = 'account_unlocked_new_password' AND trace_id IN (SELECT trace_id FROM audit_events WHERE subject_user_id = ? AND event_type = 'account.unlocked')",
        target.id,
      ),
    ).toBe(1);
    const held = await one<{ held_at: number | null }>("SELECT held_at FROM users WHERE id = ?", target.id);
    expect(held.held_at).toBeNull();

    const mail = await waitForEmail(target.email, "choose a new password");
    const resetToken = mail.body_text.match(/\/reset-password\?token=([a-z2-7]{32})/)?.[1];
    expect(resetToken).toBeTruthy();
    const newPassword = "copper meadow violin harbor";
    await env.DB.prepare("UPDATE mfa_devices SET totp_last_step = NULL WHERE user_id = ?").bind(target.id).run();
    const reset = await new Browser().post("/reset-password", {
      token: resetToken ?? "",
      newPassword,
      confirmPassword: newPassword,
      deviceType: "totp",
      code: totpNow(key),
    });
    expect(reset.headers.get("Location")).toBe("/login?reset=1");
    await env.DB.prepare("UPDATE mfa_devices SET totp_last_step = NULL WHERE user_id = ?").bind(target.id).run();
    expect(
      (await new Browser().signIn(target.loginId, newPassword, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(302);

    // Nothing left to unlock: no second event, no second email, and the new password stays.
    expect((await admin.browser.post(`/admin/users/${target.id}`, { intent: "unlock", reason: "" })).status).toBe(409);
    expect(await eventsOf(target.id, "account.unlocked")).toBe(1);
    expect(
      await count("SELECT count(*) AS n FROM email_tokens WHERE user_id = ? AND purpose = 'password_reset'", target.id),
    ).toBe(1);
  });

  it("Deactivate stops sign-in and ends sessions; Reactivate lets the person back", async () => {
    const admin = await administrator("Dee");
    const target = await signedIn("Dan", "Deactivated");
    expect((await target.browser.get("/my-account")).status).toBe(200);

    const missing = await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "deactivate", reason: "" });
    expect(missing.status).toBe(400);
    const off = await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "deactivate", reason: "Left" });
    expect(off.status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM sessions WHERE user_id = ?", target.user.id)).toBe(0);
    expect((await target.browser.get("/my-account")).status).toBe(302);
    expect(
      (
        await new Browser().signIn(target.user.loginId, target.user.password, {
          deviceType: "totp",
          code: totpNow(target.key),
        })
      ).status,
    ).toBe(401);
    expect(await eventsOf(target.user.id, "account.deactivated")).toBe(1);

    const on = await admin.browser.post(`/admin/users/${target.user.id}`, { intent: "reactivate", reason: "" });
    expect(on.status).toBe(200);
    expect(await eventsOf(target.user.id, "account.reactivated")).toBe(1);
    // A new 30-second step: the code above was spent.
    await env.DB.prepare("UPDATE mfa_devices SET totp_last_step = NULL WHERE user_id = ?").bind(target.user.id).run();
    expect(
      (
        await new Browser().signIn(target.user.loginId, target.user.password, {
          deviceType: "totp",
          code: totpNow(target.key),
        })
      ).status,
    ).toBe(302);
  });

  it("ten Unlock or Reset MFA posts at once change the account once: one audit event, one email", async () => {
    const admin = await administrator("Pat");
    const locked = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    await env.DB.prepare("UPDATE users SET mfa_failures = 10, mfa_locked_until = ? WHERE id = ?")
      .bind(Date.now() + 600_000, locked.id)
      .run();
    const unlocks = await Promise.all(
      Array.from({ length: 10 }, () =>
        admin.browser.post(`/admin/users/${locked.id}`, { intent: "unlock", reason: "" }),
      ),
    );
    expect(unlocks.filter((r) => r.status === 200)).toHaveLength(1);
    expect(unlocks.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await eventsOf(locked.id, "account.unlocked")).toBe(1);

    const resets = await Promise.all(
      Array.from({ length: 10 }, () =>
        admin.browser.post(`/admin/users/${locked.id}`, { intent: "reset-mfa", reason: "Verified in person" }),
      ),
    );
    expect(resets.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await eventsOf(locked.id, "mfa.reset_by_help_desk")).toBe(1);
    // One re-enrollment link, written with the reset: none for the posts that changed nothing.
    expect(
      await count("SELECT count(*) AS n FROM email_tokens WHERE user_id = ? AND purpose = 'reenrollment'", locked.id),
    ).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM outbox WHERE template = 'mfa_reset_by_help_desk' AND trace_id IN (SELECT trace_id FROM audit_events WHERE subject_user_id = ? AND event_type = 'mfa.reset_by_help_desk')",
        locked.id,
      ),
    ).toBe(1);
  });
});

describe("Dashboard", () => {
  it("shows the numbers of what was seeded", async () => {
    const admin = await administrator("Dora");
    const deps = createDeps(env);
    const before = await loadDashboard(deps);

    const programId = await id("SELECT id FROM programs WHERE code = 'QIES'");
    const programName = (await one<{ name: string }>("SELECT name FROM programs WHERE id = ?", programId)).name;
    const org = await id(
      "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' ORDER BY o.id LIMIT 1 OFFSET 20",
    );
    const roleId = await id("SELECT id FROM roles WHERE code = 'END_USER'");
    const day = 86_400_000;
    for (const ageDays of [1, 2, 5, 10]) {
      const requester = await createUser();
      const requestId = `QR-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
      await env.DB.prepare(
        "INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, submission_key, created_at) VALUES (?, ?, ?, ?, ?, 'security_official', 'pending', ?, ?)",
      )
        .bind(requestId, requester.id, programId, org, roleId, `sk-${requestId}`, Date.now() - ageDays * day)
        .run();
    }
    const lockedUser = await createUser();
    const heldUser = await createUser();
    const applicant = await createUser();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("UPDATE users SET mfa_locked_until = ? WHERE id = ?").bind(now + 600_000, lockedUser.id),
      env.DB.prepare("UPDATE users SET held_at = ?, held_reason = 'mfa_failures' WHERE id = ?").bind(now, heldUser.id),
      env.DB.prepare(
        "INSERT INTO rate_limits (key, count, window_starts_at) VALUES (?, 5, ?), (?, 5, ?), (?, 2, ?)",
      ).bind(
        "signin-fail:dashboardtesta:203.0.113.9",
        now,
        "signin-fail:dashboardtesta:203.0.113.10",
        now,
        "signin-fail:dashboardtestb:203.0.113.9",
        now,
      ),
      env.DB.prepare(
        "INSERT INTO audit_events (occurred_at, event_type, outcome, details_json) VALUES (?, 'signin.success', 'success', '{}'), (?, 'signin.success', 'success', '{}'), (?, 'signin.failure', 'failure', '{}'), (?, 'signin.failure', 'failure', '{}')",
      ).bind(now, now, now, now - 2 * day),
      env.DB.prepare(
        "INSERT INTO email_log (idempotency_key, kind, recipient, subject, status, attempts, created_at, updated_at) VALUES (?, 'test', 'x@example.test', 'x', 'failed', 5, ?, ?)",
      ).bind(`dash-${now}`, now, now),
      env.DB.prepare(
        "INSERT INTO outbox (idempotency_key, template, sealed, trace_id, created_at, claimed_at, attempts, queued_at) VALUES (?, 'test', NULL, NULL, ?, ?, 10, NULL)",
      ).bind(`dash-stuck-${now}`, now, now),
      env.DB.prepare(
        "INSERT INTO proofing_reviews (id, user_id, status, note, created_at) VALUES (?, ?, 'open', '', ?)",
      ).bind(crypto.randomUUID(), applicant.id, now),
    ]);

    const after = await loadDashboard(deps);
    expect(after.pendingByAge.underThreeDays - before.pendingByAge.underThreeDays).toBe(2);
    expect(after.pendingByAge.threeToSeven - before.pendingByAge.threeToSeven).toBe(1);
    expect(after.pendingByAge.sevenToThirty - before.pendingByAge.sevenToThirty).toBe(1);
    expect(after.pendingByAge.total - before.pendingByAge.total).toBe(4);
    const qies = (d: typeof before) => d.pendingByProgram.find((p) => p.programName === programName)?.n ?? 0;
    expect(qies(after) - qies(before)).toBe(4);
    expect(after.signIns.success - before.signIns.success).toBe(2);
    expect(after.signIns.failure - before.signIns.failure).toBe(1);
    expect(after.locked.accounts - before.locked.accounts).toBe(2);
    expect(after.locked.signInLocks - before.locked.signInLocks).toBe(1);
    expect(after.failedEmail.failed - before.failedEmail.failed).toBe(1);
    expect(after.failedEmail.unqueued - before.failedEmail.unqueued).toBe(1);
    expect(after.proofingReviewsWaiting - before.proofingReviewsWaiting).toBe(1);

    // The page shows the same numbers (the admin's own sign-in was before `before`).
    const page = await admin.browser.get("/admin");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<dt>Under 3 days</dt><dd>${after.pendingByAge.underThreeDays}</dd>`);
    expect(html).toContain(`<dt>${programName}</dt><dd>${qies(after)}</dd>`);
    expect(html).toContain(`<dt>Successful</dt><dd>${after.signIns.success}</dd>`);
    expect(html).toContain(`<dt>MFA locked or held</dt><dd>${after.locked.accounts}</dd>`);
    expect(html).toContain(`<dt>Delivery failed</dt><dd>${after.failedEmail.failed}</dd>`);
    expect(html).toContain(`<dt>Reviews waiting</dt><dd>${after.proofingReviewsWaiting}</dd>`);
  });
});
