import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser } from "../factories/users";

/**
 * ASVS 4.0 2.1.x/2.3.1 (temporary passwords expire), 2.2/3.3 (disabled accounts
 * neither sign in nor keep sessions, and reveal nothing), 3.3.4 (a user can end
 * any one of their sessions).
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const GENERIC_FAILURE = "The User ID, password or security code is not correct.";
/** The page without what differs on every response (nonce, request id) or names the User ID typed. */
const normalise = (html: string, loginId: string) =>
  html
    .replaceAll(loginId, "USERID")
    .replace(/nonce="[^"]+"/g, "")
    .replace(/[A-Za-z0-9+/=]{20,}/g, "");

describe("temporary passwords", () => {
  it("refuses an expired temporary password with the expiry message", async () => {
    const user = await createUser({ temporary: true });
    await env.DB.prepare("UPDATE password_credentials SET expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1000, user.id)
      .run();
    const browser = new Browser();
    const response = await browser.signIn(user.loginId, user.password);
    expect(response.status).not.toBe(302);
    expect(await response.text()).toContain("Your temporary password has expired or was already used.");
    expect((await browser.get("/my-account")).status).toBe(302);
  });

  it("still accepts one that has not expired", async () => {
    const user = await createUser({ temporary: true });
    expect((await new Browser().signIn(user.loginId, user.password)).headers.get("Location")).toBe("/first-sign-in");
  });

  it("works once, as its email says: a second sign-in with it is refused", async () => {
    const user = await createUser({ temporary: true });
    expect((await new Browser().signIn(user.loginId, user.password)).headers.get("Location")).toBe("/first-sign-in");
    const again = await new Browser().signIn(user.loginId, user.password);
    expect(again.status).not.toBe(302);
    expect(await again.text()).toContain("Your temporary password has expired or was already used.");
  });
});

describe("disabled accounts", () => {
  it("cannot sign in, and are answered exactly like an unknown User ID", async () => {
    const user = await createUser();
    await env.DB.prepare("UPDATE users SET status = 'disabled' WHERE id = ?").bind(user.id).run();
    const disabled = await new Browser().signIn(user.loginId, user.password);
    const unknownId = `NOBODY${String(Math.floor(Math.random() * 90) + 10)}`;
    const unknown = await new Browser().signIn(unknownId, user.password);
    expect(disabled.status).toBe(unknown.status);
    expect(disabled.headers.get("Location")).toBeNull();
    const [disabledPage, unknownPage] = [await disabled.text(), await unknown.text()];
    expect(disabledPage).toContain(GENERIC_FAILURE);
    expect(normalise(disabledPage, user.loginId)).toBe(normalise(unknownPage, unknownId));
  });

  it("lose a session that was open when the account was disabled", async () => {
    const user = await createUser();
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    expect((await browser.get("/my-account")).status).toBe(200);
    await env.DB.prepare("UPDATE users SET status = 'disabled' WHERE id = ?").bind(user.id).run();
    const after = await browser.get("/my-account");
    expect(after.status).toBe(302);
    expect(after.headers.get("Location")).toContain("/login");
    const left = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});

describe("ending one session from the profile", () => {
  it("signs session B out from session A and leaves A signed in", async () => {
    const user = await createUser();
    const a = new Browser();
    const b = new Browser();
    await a.signIn(user.loginId, user.password);
    await b.signIn(user.loginId, user.password);
    const profile = await (await a.get("/profile")).text();
    const offered = [...profile.matchAll(/name="sessionId" value="([^"]+)"/g)].map((m) => m[1]);
    // Only the other session has a "Sign out this session" button.
    expect(offered).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT id_hash FROM sessions WHERE user_id = ? ORDER BY created_at, rowid")
      .bind(user.id)
      .all<{ id_hash: string }>();
    expect(offered[0]).toBe(rows.results[1].id_hash);

    const ended = await a.post("/profile", { intent: "end-session", sessionId: offered[0] });
    expect(ended.headers.get("Location")).toBe("/profile?done=session#sessions");
    expect((await b.get("/my-account")).status).toBe(302);
    expect((await a.get("/my-account")).status).toBe(200);
    expect(await (await a.get("/profile?done=session")).text()).toContain("That session was signed out.");
  });

  it("cannot end another user's session", async () => {
    const owner = await createUser();
    const other = await createUser();
    const ownerBrowser = new Browser();
    const otherBrowser = new Browser();
    await ownerBrowser.signIn(owner.loginId, owner.password);
    await otherBrowser.signIn(other.loginId, other.password);
    const victim = await env.DB.prepare("SELECT id_hash FROM sessions WHERE user_id = ?")
      .bind(other.id)
      .first<{ id_hash: string }>();
    await ownerBrowser.post("/profile", { intent: "end-session", sessionId: victim!.id_hash });
    expect((await otherBrowser.get("/my-account")).status).toBe(200);
  });
});
