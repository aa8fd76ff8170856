import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Env } from "../env";

/**
 * HMAC-SHA-256 under a key derived from the portal's secret, one key per
 * purpose. Used where a plain hash would let anyone recompute it: decoy
 * challenge questions for unknown User IDs (an attacker must not be able to
 * predict them), what is logged of a User ID nobody has (the raw input may
 * be a password typed in the wrong field), and the per-recipient email counters
 * (an address is kept only as this hash).
 */
const keys = new Map<string, Uint8Array>();

function keyFor(env: Pick<Env, "TOTP_ENCRYPTION_KEY">, purpose: string): Uint8Array {
  const cacheKey = `${purpose}:${env.TOTP_ENCRYPTION_KEY}`;
  let key = keys.get(cacheKey);
  if (!key) {
    const secret = Uint8Array.from(atob(env.TOTP_ENCRYPTION_KEY), (c) => c.charCodeAt(0));
    key = hmac(SHA256, secret, new TextEncoder().encode(`secure-portal keyed hash: ${purpose}`));
    keys.set(cacheKey, key);
  }
  return key;
}

export function keyedHash(
  env: Pick<Env, "TOTP_ENCRYPTION_KEY">,
  purpose: "login-id" | "decoy-questions" | "email-recipient",
  value: string,
): string {
  return encodeHexLowerCase(hmac(SHA256, keyFor(env, purpose), new TextEncoder().encode(value)));
}
