import { env } from "cloudflare:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { openSecret } from "../../app/.server/auth/secret-box";
import { createDeps } from "../../app/.server/deps";
import { issuerOf, KEY_RETENTION_AFTER_RETIRED_MS, LIFETIMES } from "../../app/.server/oidc/config";
import { publicJwks, rotateSigningKeys, sealingContext, signJwt, verifyOwnJwt } from "../../app/.server/oidc/keys";

/**
 * The signing keys: made by the cron (or the first signature), published a day
 * before they sign, kept after they retire until their tokens have expired,
 * then removed; the private halves sealed under OIDC_KEY_SECRET.
 */

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2027, 0, 1, 12);

const at = (ms: number) => createDeps(env, { now: () => new Date(ms) });

async function keyRows() {
  return (
    await env.DB.prepare(
      "SELECT kid, alg, created_at, signs_from, retired_at, remove_after FROM oidc_signing_keys ORDER BY created_at",
    ).all<{
      kid: string;
      alg: string;
      created_at: number;
      signs_from: number;
      retired_at: number | null;
      remove_after: number | null;
    }>()
  ).results;
}

async function signedKid(ms: number, alg: "ES256" | "RS256" = "ES256") {
  const deps = at(ms);
  const token = await signJwt(deps, { alg, claims: { iss: issuerOf(env), sub: "s", aud: "a", exp: ms / 1000 + 600 } });
  const { keys } = await publicJwks(deps);
  await jwtVerify(token, createLocalJWKSet({ keys }), { currentDate: new Date(ms) });
  return decodeProtectedHeader(token).kid as string;
}

describe("signing key rotation", () => {
  it("makes one key per algorithm, publishes the next a day before it signs, keeps the retired one, then removes it", async () => {
    await env.DB.prepare("DELETE FROM oidc_signing_keys").run();
    // Two cron runs at once make one key per algorithm, signing at once.
    await Promise.all([rotateSigningKeys(at(T0)), rotateSigningKeys(at(T0))]);
    let rows = await keyRows();
    expect(rows.map((r) => r.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(rows.every((r) => r.signs_from === T0)).toBe(true);
    const first = rows.find((r) => r.alg === "ES256")!.kid;
    expect(await signedKid(T0 + 1000)).toBe(first);

    // Not yet due: nothing changes.
    await rotateSigningKeys(at(T0 + 10 * DAY));
    expect((await keyRows()).length).toBe(2);

    // Due (rotation period less the lead): the next key is published, signing a day later.
    const due = T0 + LIFETIMES.keyRotationMs - LIFETIMES.keyPublishLeadMs + 1000;
    await Promise.all([rotateSigningKeys(at(due)), rotateSigningKeys(at(due))]);
    rows = await keyRows();
    expect(rows.length).toBe(4);
    const next = rows.find((r) => r.alg === "ES256" && r.kid !== first)!;
    expect(next.signs_from).toBe(due + LIFETIMES.keyPublishLeadMs);
    const published = (await publicJwks(at(due))).keys.map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([first, next.kid]));
    // Published, but the current key still signs.
    expect(await signedKid(due + 1000)).toBe(first);

    // Its time comes: it signs (even before the cron retires the old one), and the cron retires the old one.
    const switched = next.signs_from + 1000;
    expect(await signedKid(switched)).toBe(next.kid);
    await rotateSigningKeys(at(switched));
    const retired = (await keyRows()).find((r) => r.kid === first)!;
    expect(retired.retired_at).toBe(switched);
    expect(retired.remove_after).toBe(switched + KEY_RETENTION_AFTER_RETIRED_MS);
    // Still published while tokens it signed may be alive.
    expect((await publicJwks(at(switched + 60_000))).keys.map((k) => k.kid)).toContain(first);

    // Removed once they have all expired.
    await rotateSigningKeys(at(switched + KEY_RETENTION_AFTER_RETIRED_MS + 1000));
    const kids = (await keyRows()).map((r) => r.kid);
    expect(kids).not.toContain(first);
    expect(kids).toContain(next.kid);
    expect(
      (await publicJwks(at(switched + KEY_RETENTION_AFTER_RETIRED_MS + 2000))).keys.map((k) => k.kid),
    ).not.toContain(first);
  });

  it("makes the first key when asked to sign before any cron run", async () => {
    await env.DB.prepare("DELETE FROM oidc_signing_keys").run();
    await rotateSigningKeys(at(T0)); // forgets the isolate's copy of the rows
    await env.DB.prepare("DELETE FROM oidc_signing_keys").run();
    await Promise.all([signedKid(T0 + 5, "RS256"), signedKid(T0 + 5, "RS256")]);
    expect((await keyRows()).filter((r) => r.alg === "RS256").length).toBe(1);
  });
});

describe("sealed private keys", () => {
  it("cannot be read without OIDC_KEY_SECRET, nor moved to another kid", async () => {
    await rotateSigningKeys(at(Date.now()));
    const row = (await env.DB.prepare(
      "SELECT kid, sealed_private_key FROM oidc_signing_keys WHERE alg = 'ES256' LIMIT 1",
    ).first<{ kid: string; sealed_private_key: number[] }>())!;
    const sealed = new Uint8Array(row.sealed_private_key);
    expect(new TextDecoder().decode(sealed)).not.toContain("PRIVATE KEY");
    const opened = new TextDecoder().decode(await openSecret(env.OIDC_KEY_SECRET, sealed, sealingContext(row.kid)));
    expect(opened).toContain("BEGIN PRIVATE KEY");
    await expect(openSecret(env.TOTP_ENCRYPTION_KEY, sealed, sealingContext(row.kid))).rejects.toThrow();
    await expect(openSecret(env.OIDC_KEY_SECRET, sealed, sealingContext("another-kid"))).rejects.toThrow();
  });
});

describe("verifyOwnJwt (id_token_hint)", () => {
  it("accepts our tokens, refuses others' audience and expired ones unless allowed", async () => {
    const now = Date.now();
    const deps = at(now);
    const iss = issuerOf(env);
    const live = await signJwt(deps, { claims: { iss, sub: "s", aud: "client-a", exp: Math.floor(now / 1000) + 600 } });
    expect((await verifyOwnJwt(deps, live, { audience: "client-a" }))?.sub).toBe("s");
    expect(await verifyOwnJwt(deps, live, { audience: "client-b" })).toBeNull();
    const expired = await signJwt(deps, {
      claims: { iss, sub: "s", aud: "client-a", exp: Math.floor(now / 1000) - 3600 },
    });
    expect(await verifyOwnJwt(deps, expired, { audience: "client-a" })).toBeNull();
    expect((await verifyOwnJwt(deps, expired, { audience: "client-a", allowExpired: true }))?.sub).toBe("s");
    const foreign = await signJwt(deps, { claims: { iss: "https://elsewhere.example", sub: "s" } });
    expect(await verifyOwnJwt(deps, foreign, { allowExpired: true })).toBeNull();
  });
});
