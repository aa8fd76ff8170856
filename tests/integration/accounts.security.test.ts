import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { recipientKeys } from "../../app/.server/auth/rate-limit";
import { DEV_HELPDESK } from "../../app/.server/db/seed/build-seed";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, totpNow, waitForEmail } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB, { devUsers: { totpKey: env.TOTP_ENCRYPTION_KEY } });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The page without what differs on every response (nonce, request id). */
const normalise = (html: string) => html.replace(/nonce="[^"]+"/g, "").replace(/[A-Za-z0-9+/=]{20,}/g, "");

describe("lockout", () => {
  it("locks the account after 5 consecutive failures, says until when, emails an unlock link, and refuses even the right password", async () => {
    const user = await createUser();
    const browser = new Browser();
    for (let i = 1; i <= 4; i++) {
      const failed = await browser.signIn(user.loginId, `wrong password number ${i}`);
      expect(failed.status).toBe(401);
      expect(await failed.text()).toContain("The User ID, password or security code is not correct.");
    }
    const fifth = await browser.signIn(user.loginId, "wrong password number 5");
    const message = await fifth.text();
    expect(message).toMatch(/Your account is locked until \w+ \d+, \d{4}, \d+:\d+\s?[AP]M ET/);
    expect(message).toContain("We emailed a link that unlocks it");
    const mail = await waitForEmail(user.email, "Your QualityNet account is locked");
    expect(mail.body_text).toMatch(/\/reset-password\?token=[a-z2-7]{32}/);

    const right = await browser.signIn(user.loginId, user.password);
    expect(right.status).toBe(401);
    expect(await right.text()).toContain("Your account is locked until");
    const events = await env.DB.prepare("SELECT event_type FROM audit_events WHERE subject_user_id = ? ORDER BY id")
      .bind(user.id)
      .all<{ event_type: string }>();
    expect(events.results.filter((e) => e.event_type === "signin.failure")).toHaveLength(6);
    expect(events.results.some((e) => e.event_type === "account.locked")).toBe(true);
  });

  it("a success resets the count of consecutive failures", async () => {
    const user = await createUser();
    const browser = new Browser();
    for (let i = 0; i < 4; i++) await browser.signIn(user.loginId, "not the password at all");
    expect((await browser.signIn(user.loginId, user.password)).status).toBe(302);
    const fresh = new Browser();
    for (let i = 0; i < 4; i++) expect((await fresh.signIn(user.loginId, "not the password at all")).status).toBe(401);
    expect(await (await fresh.signIn(user.loginId, "not the password at all")).text()).toContain("locked until");
  });
});

describe("no User ID enumeration", () => {
  it("answers step 1 the same for a known and an unknown User ID", async () => {
    const user = await createUser();
    const known = new Browser();
    await known.acceptTerms();
    const unknown = new Browser();
    await unknown.acceptTerms();
    const a = normalise(await (await known.post("/login", { intent: "next", userId: user.loginId })).text()).replaceAll(
      user.loginId,
      "ID",
    );
    const b = normalise(await (await unknown.post("/login", { intent: "next", userId: "NOSUCH99" })).text()).replaceAll(
      "NOSUCH99",
      "ID",
    );
    expect(a).toBe(b);
  });

  it("fails step 2 the same way for an unknown User ID, and locks it the same way too", async () => {
    const user = await createUser();
    const known = await (await new Browser().signIn(user.loginId, "wrong wrong wrong")).text();
    const unknown = await (await new Browser().signIn("NOSUCH42", "wrong wrong wrong")).text();
    expect(normalise(unknown).replaceAll("NOSUCH42", "ID")).toBe(normalise(known).replaceAll(user.loginId, "ID"));
    const browser = new Browser();
    let last = "";
    for (let i = 0; i < 5; i++) last = await (await browser.signIn("GHOST777", "wrong wrong wrong")).text();
    expect(last).toContain("Your account is locked until");
  });

  it("Forgot User ID? answers the same whether or not the address exists", async () => {
    const user = await createUser();
    const a = await (await new Browser().post("/forgot-user-id", { email: user.email })).text();
    const b = await (await new Browser().post("/forgot-user-id", { email: "nobody-here@example.test" })).text();
    expect(normalise(a)).toBe(normalise(b));
    const mail = await waitForEmail(user.email, "Your QualityNet User ID");
    expect(mail.body_text).toContain(user.loginId);
  });
});

describe("per-recipient email caps: 3 an hour, 10 a day, whoever asks", () => {
  let ip = 0;
  /** A fresh client on a fresh address each time: a rotating set of IPs. */
  const rotating = () => new Browser(`203.0.113.${(ip++ % 250) + 1}`);
  /**
   * Emails caused since `mark()`: outbox rows, written in the request's own
   * batch (the queue delivers later, in batches). Tests in a file run one at a time.
   */
  const lastOutboxId = async () =>
    (await env.DB.prepare("SELECT coalesce(max(id), 0) AS id FROM outbox").first<number>("id")) ?? 0;
  let since = 0;
  const mark = async () => {
    since = await lastOutboxId();
  };
  const expectMailCount = async (expected: number) =>
    expect(await env.DB.prepare("SELECT count(*) AS n FROM outbox WHERE id > ?").bind(since).first<number>("n")).toBe(
      expected,
    );
  /** An hour passes for the address's hourly counter only. */
  const anHourLater = (email: string) =>
    env.DB.prepare("UPDATE rate_limits SET window_starts_at = window_starts_at - 3600001 WHERE key = ?")
      .bind(recipientKeys({ env }, email).hour)
      .run();
  const answer = async (response: Response) => `${response.status} ${normalise(await response.text())}`;

  const screens = {
    "Forgot User ID?": (user: { email: string }) => rotating().post("/forgot-user-id", { email: user.email }),
    "Forgot password": (user: { email: string; loginId: string }) =>
      rotating().post("/forgot-password", { userId: user.loginId, email: user.email }),
    // biome-ignore lint/correctness/noComponentHookFactories: a screen's name, not a component
    Registration: (user: { email: string }) =>
      rotating().post("/register", {
        firstName: "Casey",
        lastName: "Jordan",
        phone: "614-555-0100",
        email: user.email,
      }),
  };

  for (const [name, send] of Object.entries(screens)) {
    it(`${name}: the 4th within an hour sends nothing and is answered byte for byte as the 3rd`, async () => {
      const user = await createUser();
      await mark();
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) answers.push(await answer(await send(user)));
      await expectMailCount(3);
      expect(answers[3]).toBe(answers[2]);
      expect(answers[0]).toMatch(/^200 /);
    });
  }

  it("tagged and dotted spellings of one mailbox share its cap (victim+1@, v.i.c.t.i.m@gmail.com)", async () => {
    const local = `flood${Date.now()}`;
    await mark();
    const spellings = [
      `${local}+1@gmail.com`,
      `${local.slice(0, 3)}.${local.slice(3)}@gmail.com`,
      `${local}+news@googlemail.com`,
      `${local.toUpperCase()}+4@GMAIL.COM`,
    ];
    for (const email of spellings) await (await screens.Registration({ email })).arrayBuffer();
    await expectMailCount(3);
  });

  it("Registration of a new address over its cap creates no account, with the answer a registration gets", async () => {
    const email = `capped.${Date.now()}@example.test`;
    await mark();
    for (let i = 0; i < 3; i++) await (await screens["Forgot User ID?"]({ email })).arrayBuffer();
    const capped = await screens.Registration({ email });
    expect(capped.status).toBe(200);
    expect(await capped.text()).toContain(email);
    expect(await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first()).toBeNull();
    await expectMailCount(0);
  });

  it("the 11th within a day sends nothing, across the three screens", async () => {
    const user = await createUser();
    await mark();
    const order = [screens["Forgot User ID?"], screens["Forgot password"], screens.Registration];
    const answers: string[] = [];
    // Three an hour for four hours, taking turns between the screens: ten emails.
    for (let i = 0; i < 10; i++) {
      if (i > 0 && i % 3 === 0) await anHourLater(user.email);
      answers.push(await answer(await order[i % 3](user)));
    }
    await expectMailCount(10);
    await anHourLater(user.email);
    // The 11th is a reset link again (i = 10): answered as the 8th was.
    expect(await answer(await order[10 % 3](user))).toBe(answers[7]);
    await expectMailCount(10);
  });

  it("parallel requests from many addresses send exactly three", async () => {
    const user = await createUser();
    await mark();
    const answers = await Promise.all(Array.from({ length: 6 }, () => screens["Forgot User ID?"](user).then(answer)));
    expect(new Set(answers).size).toBe(1);
    await expectMailCount(3);
  });
});

describe("sessions", () => {
  const sessionRow = (userId: string) =>
    env.DB.prepare("SELECT * FROM sessions WHERE user_id = ?").bind(userId).first<{ id_hash: string }>();

  it("stores only a hash of the session id, in a __Host- Secure HttpOnly SameSite=Lax cookie", async () => {
    const user = await createUser();
    const browser = new Browser();
    const response = await browser.signIn(user.loginId, user.password);
    const header = response.headers.getSetCookie().find((c) => c.startsWith("__Host-sp-session="))!;
    expect(header).toContain("HttpOnly");
    expect(header).toContain("Secure");
    expect(header).toContain("SameSite=Lax");
    expect(header).toContain("Path=/");
    const token = decodeURIComponent(browser.cookies.get("__Host-sp-session")!);
    const row = await sessionRow(user.id);
    expect(JSON.stringify(row)).not.toContain(token.replaceAll('"', ""));
  });

  it("ends a session after 30 idle minutes", async () => {
    const user = await createUser();
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    expect((await browser.get("/my-account")).status).toBe(200);
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ? WHERE user_id = ?")
      .bind(Date.now() - 31 * 60 * 1000, user.id)
      .run();
    const after = await browser.get("/my-account");
    expect(after.status).toBe(302);
    expect(after.headers.get("Location")).toContain("/login?expired=1");
    expect(await sessionRow(user.id)).toBeNull();
  });

  it("ends a session at its 12-hour absolute limit, however active", async () => {
    const user = await createUser();
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await env.DB.prepare("UPDATE sessions SET expires_at = ?, last_seen_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1000, Date.now(), user.id)
      .run();
    expect((await browser.get("/my-account")).status).toBe(302);
  });

  it("rotates the session id at sign-in and on a password change, and the old ids stop working", async () => {
    // A password change needs a strong factor from the last 15 minutes: an authenticator app.
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    const first = browser.cookies.get("__Host-sp-session")!;
    const second = new Browser();
    const { generateHOTP } = await import("@oslojs/otp");
    const next = generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + 1), 6);
    await second.signIn(user.loginId, user.password, { deviceType: "totp", code: next });
    expect(second.cookies.get("__Host-sp-session")).not.toBe(first);

    const changed = await browser.post("/profile", {
      intent: "change-password",
      currentPassword: user.password,
      newPassword: "copper meadow violin harbor",
      confirmPassword: "copper meadow violin harbor",
    });
    expect(changed.headers.get("Location")).toBe("/profile?done=password#password");
    const rotated = browser.cookies.get("__Host-sp-session")!;
    expect(rotated).not.toBe(first);
    expect((await browser.get("/my-account")).status).toBe(200);
    // The other browser's session ended with the change.
    expect((await second.get("/my-account")).status).toBe(302);
    const replay = new Browser();
    replay.cookies.set("__Host-sp-session", first);
    expect((await replay.get("/my-account")).status).toBe(302);
    await waitForEmail(user.email, "Your QualityNet password was changed");
  });

  it("lets a user sign out their other sessions from the profile", async () => {
    const user = await createUser();
    const a = new Browser();
    const b = new Browser();
    await a.signIn(user.loginId, user.password);
    await b.signIn(user.loginId, user.password);
    const profile = await (await a.get("/profile")).text();
    expect(profile).toContain("This session");
    expect(profile).toContain("Sign out all other sessions");
    await a.post("/profile", { intent: "end-others" });
    expect((await a.get("/my-account")).status).toBe(200);
    expect((await b.get("/my-account")).status).toBe(302);
  });
});

describe("passwords", () => {
  const attempt = async (newPassword: string, extra: { firstName?: string } = {}) => {
    const user = await createUser({ temporary: true, ...extra });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    const response = await browser.post("/first-sign-in", {
      newPassword: newPassword.replace("{ID}", user.loginId),
      confirmPassword: newPassword.replace("{ID}", user.loginId),
      question1: "first_pet",
      answer1: "Rex",
      question2: "birth_city",
      answer2: "Dayton",
      question3: "first_car",
      answer3: "Ford",
    });
    return { response, html: await response.text() };
  };

  it("refuses a short password with a clear message", async () => {
    const { response, html } = await attempt("short pass");
    expect(response.status).toBe(400);
    expect(html).toContain("Your password must be at least 12 characters.");
  });

  it("refuses a common password, even with digits added", async () => {
    expect((await attempt("password1234")).html).toContain("That password is too common");
    expect((await attempt("qwertyuiop123")).html).toContain("That password is too common");
  });

  it("refuses a password containing the User ID or the name", async () => {
    expect((await attempt("my id is {ID} ok")).html).toContain("must not contain your User ID");
    expect((await attempt("wolfgang forever and ever", { firstName: "Wolfgang" })).html).toContain(
      "must not contain your name",
    );
  });

  it("keeps the chosen questions but never sends back a password or an answer", async () => {
    const { html } = await attempt("short pass");
    expect(html).not.toContain("short pass");
    expect(html).not.toContain('value="Rex"');
    expect(html).toMatch(/<option value="first_pet" selected=""/);
  });

  it("never writes a password or a hash to the log", async () => {
    const logs: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(" ")));
    }
    const user = await createUser();
    await new Browser().signIn(user.loginId, "a wrong password here");
    await new Browser().signIn(user.loginId, user.password);
    const all = logs.join("\n");
    expect(all).not.toContain(user.password);
    expect(all).not.toContain("a wrong password here");
    expect(all).not.toContain("scrypt$");
  });
});

describe("second factor at sign-in", () => {
  it("never lets an account with a device in on the password alone", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    const noCode = await browser.signIn(user.loginId, user.password);
    expect(noCode.status).toBe(401);
    const withCode = await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
    expect(withCode.status).toBe(302);
  });

  it("signs in the seeded help-desk approver with an independently computed TOTP code", async () => {
    const { decodeBase32 } = await import("@oslojs/encoding");
    const key = decodeBase32(DEV_HELPDESK.totpSecretBase32);
    const browser = new Browser();
    await browser.acceptTerms();
    const step2 = await (await browser.post("/login", { intent: "next", userId: "helpdesk1" })).text();
    expect(step2).toContain('<option value="totp"');
    const response = await browser.signIn(DEV_HELPDESK.loginId, DEV_HELPDESK.password, {
      deviceType: "totp",
      code: totpNow(key),
    });
    expect(response.status).toBe(302);
  });
});

describe("password reset", () => {
  it("resets by an emailed single-use link plus the second factor, unlocks the account and ends every session", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const signedIn = new Browser();
    await signedIn.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });

    const asked = await new Browser().post("/forgot-password", {
      userId: user.loginId.toLowerCase(),
      email: user.email,
    });
    expect(await asked.text()).toContain("If the User ID and email address match an account");
    const mail = await waitForEmail(user.email, "Reset your QualityNet password");
    const link = mail.body_text.match(/\/reset-password\?token=[a-z2-7]{32}/)![0];

    const browser = new Browser();
    const form = await (await browser.get(link)).text();
    expect(form).toContain("Security Code");
    const noCode = await browser.post("/reset-password", {
      token: link.split("=")[1],
      newPassword: "saffron tunnel quiet maple",
      confirmPassword: "saffron tunnel quiet maple",
      code: "000000",
    });
    expect(noCode.status).toBe(400);
    // The code from sign-in was used; wait for the next step rather than replay it.
    await env.DB.prepare("UPDATE mfa_devices SET totp_last_step = NULL WHERE user_id = ?").bind(user.id).run();
    const done = await browser.post("/reset-password", {
      token: link.split("=")[1],
      newPassword: "saffron tunnel quiet maple",
      confirmPassword: "saffron tunnel quiet maple",
      code: totpNow(key),
    });
    expect(done.headers.get("Location")).toBe("/login?reset=1");
    expect((await signedIn.get("/my-account")).status).toBe(302);

    const reused = await browser.get(link);
    expect(await reused.text()).toContain("This link no longer works");
    expect(
      (await new Browser().signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status,
    ).toBe(401);
  });

  it("answers the same when User ID and email do not match", async () => {
    const user = await createUser();
    const a = await (
      await new Browser().post("/forgot-password", { userId: user.loginId, email: "someone-else@example.test" })
    ).text();
    const b = await (await new Browser().post("/forgot-password", { userId: user.loginId, email: user.email })).text();
    expect(normalise(a)).toBe(normalise(b));
  });
});

describe("throttling and CSRF", () => {
  it("throttles sign-in attempts per IP address", async () => {
    const browser = new Browser("203.0.113.77");
    let last: Response | null = null;
    for (let i = 0; i < 31; i++) last = await browser.signIn(`NOBODY${i}`, "whatever whatever");
    expect(last!.status).toBe(429);
    expect(await last!.text()).toContain("Too many log-in attempts from your network");
  }, 60_000);

  it("throttles registrations per IP address", async () => {
    const browser = new Browser("203.0.113.88");
    let last: Response | null = null;
    for (let i = 0; i < 21; i++) {
      last = await browser.post("/register", {
        firstName: "Pat",
        lastName: "Example",
        email: `throttle${i}.${Date.now()}@example.test`,
        phone: "614-555-0100",
      });
    }
    expect(last!.status).toBe(429);
    expect(await last!.text()).toContain("Too many registrations from your network");
  }, 60_000);

  it("refuses a cross-site sign-in post", async () => {
    const response = await fetchWorker(`${ORIGIN}/login`, {
      method: "POST",
      redirect: "manual",
      headers: {
        Host: HOST,
        Origin: "https://evil.example",
        "Sec-Fetch-Site": "cross-site",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "intent=login&userId=X&password=Y",
    });
    expect(response.status).toBe(403);
  });
});

describe("new device alert", () => {
  it("emails the owner when an account that signed in before is used from a new browser, with a This wasn't me link that ends every session", async () => {
    const user = await createUser();
    const first = new Browser();
    await first.signIn(user.loginId, user.password);
    const second = new Browser();
    await second.signIn(user.loginId, user.password);
    const mail = await waitForEmail(user.email, "New log-in");
    const link = mail.body_text.match(/\/this-wasnt-me\?token=[a-z2-7]{32}/)![0];
    const page = await (await new Browser().get(link)).text();
    expect(page).toContain("Sign Out Everywhere and Reset Password");
    const confirmed = await new Browser().post("/this-wasnt-me", { token: link.split("=")[1] });
    expect(confirmed.headers.get("Location")).toMatch(/^\/reset-password\?token=[a-z2-7]{32}$/);
    expect((await first.get("/my-account")).status).toBe(302);
    expect((await second.get("/my-account")).status).toBe(302);
  });

  it("does not email for a browser it already knows", async () => {
    const user = await createUser();
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await browser.post("/logout", {});
    await browser.signIn(user.loginId, user.password);
    // A positive signal instead of a fixed wait: a new browser's sign-in, enqueued
    // after the known one's, must be emailed; once it is, the known one's would have been.
    await new Browser().signIn(user.loginId, user.password);
    await waitForEmail(user.email, "New log-in");
    const count = await env.DB.prepare(
      "SELECT count(*) AS n FROM dev_mailbox WHERE recipient = ? AND subject LIKE 'New log-in%'",
    )
      .bind(user.email)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });
});
