/**
 * The 30,000 most common passwords from leaked-password corpora, shipped with
 * zxcvbn-ts (NIST 800-63B 5.1.1.2: refuse "values known to be commonly used").
 * Loaded on first use, so pages that set no password never pay for it.
 */
let common: Promise<Set<string>> | null = null;

async function load(): Promise<Set<string>> {
  const { default: passwords } = await import("@zxcvbn-ts/language-common/dist/passwords.json.mjs");
  return new Set((passwords as string[]).map((p) => p.toLowerCase()));
}

export async function commonPasswordCount(): Promise<number> {
  common ??= load();
  return (await common).size;
}

export async function isCommonPassword(password: string): Promise<boolean> {
  common ??= load();
  const set = await common;
  const lower = password.toLowerCase();
  // Padding a common password with digits or punctuation does not make it uncommon.
  return set.has(lower) || set.has(lower.replace(/[\d\W_]+$/u, "")) || set.has(lower.replace(/^[\d\W_]+/u, ""));
}
