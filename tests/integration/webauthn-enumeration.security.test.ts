import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { registrationOptions } from "../../app/.server/auth/webauthn";
import { createDeps } from "../../app/.server/deps";
import { fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

let ipCounter = 0;
async function authenticationOptionsFor(loginId: string | null) {
  const response = await fetchWorker(`${ORIGIN}/webauthn/authentication/options`, {
    method: "POST",
    // A fresh address per call: the per-IP throttle is tested on its own.
    headers: { Host: HOST, "Content-Type": "application/json", "CF-Connecting-IP": `203.0.113.${++ipCounter}` },
    body: JSON.stringify({ loginId }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { challengeId: string; options: Record<string, unknown> };
}

/** Keys and value types, recursively: the response's shape without its random values. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, shapeOf(v)])
        .sort(),
    );
  return typeof value;
}

async function userWithSecurityKey() {
  const user = await createUser({ verified: true });
  const credentialId = btoa(crypto.randomUUID()).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  await env.DB.prepare(
    "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, webauthn_credential_id, webauthn_public_key, webauthn_counter, webauthn_transports, created_at, confirmed_at) VALUES (?, ?, 'webauthn', 'Key', 'KEY-TEST', ?, ?, 0, '[\"usb\"]', ?, ?)",
  )
    .bind(crypto.randomUUID(), user.id, credentialId, new Uint8Array(77), Date.now(), Date.now())
    .run();
  return { ...user, credentialId };
}

describe("ASVS 2.2 / SPEC 2.2 WebAuthn options reveal nothing about a User ID", () => {
  it("options for a known User ID with a security key and for an unknown one have the same shape and no allowCredentials", async () => {
    const user = await userWithSecurityKey();
    const known = await authenticationOptionsFor(user.loginId);
    const unknown = await authenticationOptionsFor("NOSUCH99");
    expect(known.options).not.toHaveProperty("allowCredentials");
    expect(unknown.options).not.toHaveProperty("allowCredentials");
    expect(shapeOf(known)).toEqual(shapeOf(unknown));
    expect(JSON.stringify(known)).not.toContain(user.credentialId);
    // Same values where nothing is random.
    const { challenge: _a, ...knownFixed } = known.options;
    const { challenge: _b, ...unknownFixed } = unknown.options;
    expect(knownFixed).toEqual(unknownFixed);
  });

  it("passkey options (no User ID) carry no allowCredentials either", async () => {
    const passkey = await authenticationOptionsFor(null);
    expect(passkey.options).not.toHaveProperty("allowCredentials");
    expect(passkey.options.userVerification).toBe("required");
  });

  it("keys are registered as discoverable, so the browser can find them without allowCredentials", async () => {
    const user = await createUser({ verified: true });
    const row = await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(user.id).first();
    const { options } = await registrationOptions(createDeps(env), row as never);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", requireResidentKey: true });
  });
});
