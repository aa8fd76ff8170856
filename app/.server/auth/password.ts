import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";

/**
 * scrypt at OWASP's Password Storage Cheat Sheet minimum (N=2^14, r=8, p=5):
 * 16 MiB per hash, memory-hard, and within a Worker's CPU budget on workerd.
 * The parameters are stored with each hash so they can be raised later;
 * `needsRehash` says when a stored hash is below the current ones.
 */
export const SCRYPT_PARAMS = { N: 2 ** 14, r: 8, p: 5 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

function parse(stored: string) {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return null;
  return {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, "base64"),
    key: Buffer.from(key, "base64"),
  };
}

/** Constant-time comparison of the derived key. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const derived = await scrypt(password, parsed.salt, parsed);
  return derived.length === parsed.key.length && timingSafeEqual(derived, parsed.key);
}

/**
 * Costs what one verification costs, for paths with nothing to verify (an
 * unknown User ID), so response times do not tell who is registered.
 */
let decoyHash: Promise<string> | null = null;
export async function spendVerifyTime(times = 1): Promise<void> {
  decoyHash ??= hashPassword("decoy password for timing");
  const hash = await decoyHash;
  for (let i = 0; i < times; i++) await verifyPassword("not the decoy password", hash);
}

export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  return parsed.N < SCRYPT_PARAMS.N || parsed.r < SCRYPT_PARAMS.r || parsed.p < SCRYPT_PARAMS.p;
}
