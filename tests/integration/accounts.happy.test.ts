import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, STRONG_PASSWORD, waitForEmail } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

const firstSignInForm = (password: string) => ({
  newPassword: password,
  confirmPassword: password,
  question1: "first_pet",
  answer1: "Biscuit",
  question2: "birth_city",
  answer2: "Columbus",
  question3: "first_car",
  answer3: "Honda Civic",
});

describe("registration and first sign-in", () => {
  it("registers Thomas Tyler, emails User ID THOMTY## and a temporary password, and forces a new password and challenge questions", async () => {
    const browser = new Browser();
    const email = `thomas.tyler.${Date.now()}@example.test`;
    const registered = await browser.post("/register", {
      firstName: "Thomas",
      lastName: "Tyler",
      email,
      phone: "614-555-0142",
    });
    expect(registered.status).toBe(200);
    expect(await registered.text()).toContain("Check your email");

    const mail = await waitForEmail(email, "User ID and temporary password");
    const loginId = mail.body_text.match(/User ID: (THOMTY\d{2})/)?.[1];
    const temporary = mail.body_text.match(/Temporary password: (\S+)/)?.[1];
    expect(loginId).toMatch(/^THOMTY\d{2}$/);
    expect(temporary).toHaveLength(16);

    const user = await env.DB.prepare(
      "SELECT u.id, p.is_temporary, p.expires_at, p.hash FROM users u JOIN password_credentials p ON p.user_id = u.id WHERE u.login_id = ?",
    )
      .bind(loginId)
      .first<{ id: string; is_temporary: number; expires_at: number; hash: string }>();
    expect(user?.is_temporary).toBe(1);
    expect(user!.expires_at - Date.now()).toBeGreaterThan(6.9 * 86400000);
    expect(user?.hash).not.toContain(temporary);

    // The User ID is case-insensitive.
    const signedIn = await browser.signIn(loginId!.toLowerCase(), temporary!);
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get("Location")).toBe("/first-sign-in");
    // Nothing else opens until the setup is done.
    expect((await browser.get("/welcome")).headers.get("Location")).toBe("/first-sign-in");

    const page = await (await browser.get("/first-sign-in")).text();
    expect(page).toContain("Choose a new password");
    expect(page).toContain("Choose your challenge questions");
    const setUp = await browser.post("/first-sign-in", firstSignInForm(STRONG_PASSWORD));
    expect(setUp.headers.get("Location")).toBe("/welcome");
    const welcome = await browser.get("/welcome");
    expect(welcome.status).toBe(200);
    const html = await welcome.text();
    expect(html).toContain("<h1>Welcome</h1>");
    expect(html).toContain("User Profile");
    expect(html).toContain("My Account");
    expect(html).toContain("Sign Out");

    const answers = await env.DB.prepare("SELECT answer_hash FROM challenge_answers WHERE user_id = ?")
      .bind(user!.id)
      .all<{ answer_hash: string }>();
    expect(answers.results).toHaveLength(3);
    for (const a of answers.results) expect(a.answer_hash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(answers.results).toLowerCase()).not.toContain("biscuit");

    // And the new password works on its own next time.
    const again = new Browser();
    expect((await again.signIn(loginId!, STRONG_PASSWORD)).headers.get("Location")).toBe("/welcome");
  });

  it("registering an address that already has an account looks the same and emails its owner instead", async () => {
    const existing = await createUser();
    const response = await new Browser().post("/register", {
      firstName: "Someone",
      lastName: "Else",
      email: existing.email.toUpperCase(),
      phone: "614-555-0199",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Check your email");
    await waitForEmail(existing.email, "You already have a QualityNet account");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE email = ?")
      .bind(existing.email)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("keeps the user's input and explains each bad field", async () => {
    const response = await new Browser().post("/register", {
      firstName: "Thomas",
      lastName: "",
      email: "not-an-email",
      phone: "12",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('value="Thomas"');
    expect(html).toContain('value="not-an-email"');
    expect(html).toContain("Enter your last name.");
    expect(html).toContain("Enter an email address like name@example.com.");
    expect(html).toContain("Enter a phone number with area code");
    expect(html).toContain('aria-invalid="true"');
  });

  it("a failed registration without JavaScript re-renders the form with the other input kept and the message next to its field", async () => {
    const response = await new Browser().post("/register", {
      firstName: "Thomas",
      lastName: "Tyler",
      email: "thomas at example",
      phone: "614-555-0142",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    // The server renders what the script would: every other input kept …
    expect(html).toMatch(/<input[^>]*name="firstName"[^>]*value="Thomas"/);
    expect(html).toMatch(/<input[^>]*name="lastName"[^>]*value="Tyler"/);
    expect(html).toMatch(/<input[^>]*name="phone"[^>]*value="614-555-0142"/);
    // … the message inside the email field (the design system's inline error), tied to its input …
    const field =
      [...html.matchAll(/<div class="ds-u-clearfix">(.*?)<\/div>/gs)]
        .map((m) => m[1])
        .find((f) => f.includes("Email Address")) ?? "";
    expect(field).toMatch(
      /<p class="ds-c-inline-error" id="([^"]+)">.*?<span class="ds-u-visibility--screen-reader">Error: <\/span>Enter an email address like name@example.com.<\/p>/s,
    );
    const errorId = field.match(/<p class="ds-c-inline-error" id="([^"]+)"/)![1];
    expect(field).toMatch(
      new RegExp(
        `<input[^>]*class="ds-c-field ds-c-field--error"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*${errorId}`,
      ),
    );
    // … only that field marked, and the summary at the top linking to it.
    expect(html.match(/aria-invalid="true"/g)).toHaveLength(1);
    const summary = html.match(/<div class="ds-c-alert ds-c-alert--error" role="alert"[^>]*>(.*?)<\/ul>/s)?.[1] ?? "";
    expect(summary).toContain("There is a problem");
    const target = summary.match(/<a href="#([^"]+)">Enter an email address like name@example.com.<\/a>/)?.[1];
    expect(html).toMatch(new RegExp(`<input[^>]*id="${target}"[^>]*name="email"`));
    expect(html.indexOf(summary)).toBeLessThan(html.indexOf("<form"));
  });
});

describe("signing in and out", () => {
  it("signs in with User ID then password, reaches My Account, and Sign Out ends the session on the server", async () => {
    const user = await createUser();
    const browser = new Browser();
    await browser.acceptTerms();
    const step2 = await browser.post("/login", { intent: "next", userId: user.loginId });
    const step2Html = await step2.text();
    expect(step2Html).toContain("Password");
    expect(step2Html).toContain("MFA Device Type");
    expect(step2Html).toContain("Security Code");
    expect(step2Html).toContain("Unable to Access Security Code?");
    expect(step2Html).toContain("Need to Register an MFA Device?");
    const done = await browser.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      deviceType: "",
      code: "",
    });
    expect(done.headers.get("Location")).toBe("/welcome");
    const sessionCookie = browser.cookies.get("__Host-sp-session")!;
    expect((await browser.get("/my-account")).status).toBe(200);

    const out = await browser.post("/logout", {});
    expect(out.headers.get("Location")).toBe("/login?signedOut=1");
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    // The old cookie is useless even if replayed.
    browser.cookies.set("__Host-sp-session", sessionCookie);
    expect((await browser.get("/my-account")).status).toBe(302);
  });

  it("returns to the page that asked for sign-in, and never to another site", async () => {
    const user = await createUser();
    const browser = new Browser();
    await browser.acceptTerms();
    await browser.post("/login", { intent: "next", userId: user.loginId });
    const local = await browser.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      redirectTo: "/profile",
    });
    expect(local.headers.get("Location")).toBe("/profile");
    const other = new Browser();
    await other.acceptTerms();
    const offsite = await other.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      redirectTo: "//evil.example/",
    });
    expect(offsite.headers.get("Location")).toBe("/welcome");
  });
});
