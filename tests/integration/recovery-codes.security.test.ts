import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, recoveryCodesIn, totpNow } from "../factories/users";

/**
 * ASVS 4.0 2.5.x / 3.x: a stolen session cannot mint recovery codes. Once
 * enrollment is complete, /enrollment/finish issues none; replacing codes takes
 * a fresh second factor on the profile.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const codesOf = (userId: string) =>
  env.DB.prepare("SELECT id, code_hash FROM recovery_codes WHERE user_id = ? ORDER BY id")
    .bind(userId)
    .all()
    .then((r) => JSON.stringify(r.results));

describe("enrollment finish after enrollment is complete", () => {
  it("redirects GET and POST to Welcome and issues no recovery codes", async () => {
    const key = crypto.getRandomValues(new Uint8Array(20));
    const user = await createUser({ totpKey: key });
    const browser = new Browser();
    expect((await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) })).status).toBe(
      302,
    );
    // Codes issued the proper way, on the profile with a fresh second factor.
    const { generateHOTP } = await import("@oslojs/otp");
    const fresh = generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + 1), 6);
    const response = await browser.post("/profile/devices", { intent: "regenerate", proofType: "totp", code: fresh });
    const issued = await response.text();
    if (response.status !== 200)
      throw new Error(`${response.status} ${response.headers.get("Location")} ${issued.slice(0, 200)}`);
    expect(recoveryCodesIn(issued)).toHaveLength(10);
    const before = await codesOf(user.id);
    expect(before).not.toBe("[]");

    expect((await browser.get("/enrollment/finish")).headers.get("Location")).toBe("/welcome");
    for (const intent of ["create", "done"]) {
      const response = await browser.post("/enrollment/finish", { intent });
      expect(response.status).toBe(302);
      expect(response.headers.get("Location")).toBe("/welcome");
      expect(await response.text()).not.toMatch(/[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}/);
    }
    expect(await codesOf(user.id)).toBe(before);
  });
});
