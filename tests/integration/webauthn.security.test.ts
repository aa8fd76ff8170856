import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import {
  authenticationOptions,
  consumeChallenge,
  registrationOptions,
  verifyAuthentication,
} from "../../app/.server/auth/webauthn";
import { createDeps } from "../../app/.server/deps";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { asProofingSession, createUser } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

const userRow = (id: string) => env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first() as never;

describe("WebAuthn challenges", () => {
  it("are single use", async () => {
    const deps = createDeps(env);
    const { challengeId, options } = await authenticationOptions(deps, null);
    expect(await consumeChallenge(deps, challengeId, "authenticate", null)).toBe(options.challenge);
    expect(await consumeChallenge(deps, challengeId, "authenticate", null)).toBeNull();
  });

  it("expire after five minutes", async () => {
    const start = Date.now();
    const { challengeId } = await authenticationOptions(createDeps(env, { now: () => new Date(start) }), null);
    const later = createDeps(env, { now: () => new Date(start + 5 * 60 * 1000 + 1) });
    expect(await consumeChallenge(later, challengeId, "authenticate", null)).toBeNull();
    const { challengeId: fresh } = await authenticationOptions(createDeps(env, { now: () => new Date(start) }), null);
    const justInTime = createDeps(env, { now: () => new Date(start + 4 * 60 * 1000) });
    expect(await consumeChallenge(justInTime, fresh, "authenticate", null)).not.toBeNull();
  });

  it("belong to one account and one purpose", async () => {
    const user = await createUser({ verified: true });
    const deps = createDeps(env);
    const { challengeId } = await registrationOptions(deps, await userRow(user.id));
    expect(await consumeChallenge(deps, challengeId, "authenticate", user.id)).toBeNull();
    expect(await consumeChallenge(deps, challengeId, "register", crypto.randomUUID())).toBeNull();
    expect(await consumeChallenge(deps, challengeId, "register", null)).toBeNull();
    expect(await consumeChallenge(deps, challengeId, "register", user.id)).not.toBeNull();
  });

  it("a reused or expired challenge is refused before any signature is looked at", async () => {
    const deps = createDeps(env);
    const { challengeId } = await authenticationOptions(deps, null);
    await consumeChallenge(deps, challengeId, "authenticate", null);
    const fakeResponse = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      response: { clientDataJSON: "", authenticatorData: "", signature: "" },
      clientExtensionResults: {},
    } as never;
    const result = await verifyAuthentication(deps, { challengeId, response: fakeResponse }, null);
    expect(result).toMatchObject({ ok: false, code: "challenge" });
  });
});

describe("WebAuthn endpoints", () => {
  it("issue registration options only to a signed-in user, bound to this site", async () => {
    const anonymous = await fetchWorker(`${ORIGIN}/webauthn/registration/options`, {
      method: "POST",
      headers: { Host: HOST, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(anonymous.status).toBe(401);
    const user = await createUser({ verified: true });
    const browser = new Browser();
    await browser.signIn(user.loginId, user.password);
    await asProofingSession(user.id);
    const response = await fetchWorker(`${ORIGIN}/webauthn/registration/options`, {
      method: "POST",
      headers: {
        Host: HOST,
        "Content-Type": "application/json",
        Cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
      body: "{}",
    });
    const body = (await response.json()) as {
      challengeId: string;
      options: { rp: { id: string }; user: { name: string }; challenge: string };
    };
    expect(body.options.rp.id).toBe("localhost");
    expect(body.options.user.name).toBe(user.loginId);
    expect(body.options.challenge.length).toBeGreaterThan(20);
  });

  it("a sign-in with a made-up assertion fails like any wrong code", async () => {
    const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    const browser = new Browser();
    await browser.acceptTerms();
    await browser.post("/login", { intent: "next", userId: user.loginId });
    const response = await browser.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      deviceType: "webauthn",
      assertion: JSON.stringify({ challengeId: crypto.randomUUID(), response: { id: "forged" } }),
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("The User ID, password or security code is not correct.");
  });
});
