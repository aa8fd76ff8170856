import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, verifyPassword } from "../../app/.server/auth/password";
import { openSecret, sealSecret } from "../../app/.server/auth/secret-box";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => i)));

describe("password hashing", () => {
  it("stores scrypt parameters and salt with the hash and verifies only the right password", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^scrypt\$16384\$8\$5\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery staple", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", hash)).toBe(false);
    expect(await hashPassword("correct horse battery staple")).not.toBe(hash);
  });

  it("asks for a rehash when stored parameters are below the current ones", () => {
    expect(needsRehash("scrypt$1024$8$1$c2FsdA==$a2V5")).toBe(true);
    expect(needsRehash("scrypt$16384$8$5$c2FsdA==$a2V5")).toBe(false);
    expect(needsRehash("bcrypt$whatever")).toBe(true);
  });

  it("refuses malformed stored hashes rather than throwing", async () => {
    expect(await verifyPassword("x", "not-a-hash")).toBe(false);
  });
});

describe("secret box", () => {
  it("round-trips a secret and never stores it in the clear", async () => {
    const secret = new TextEncoder().encode("Hello!\u00de");
    const sealed = await sealSecret(KEY, secret, "totp:device-1");
    expect(new TextDecoder().decode(sealed)).not.toContain("Hello");
    expect(await openSecret(KEY, sealed, "totp:device-1")).toEqual(secret);
  });

  it("refuses a ciphertext moved to another row or opened with another key", async () => {
    const sealed = await sealSecret(KEY, new Uint8Array([1, 2, 3]), "totp:device-1");
    await expect(openSecret(KEY, sealed, "totp:device-2")).rejects.toThrow();
    const otherKey = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
    await expect(openSecret(otherKey, sealed, "totp:device-1")).rejects.toThrow();
  });

  it("rejects a key of the wrong length", async () => {
    await expect(sealSecret(btoa("short"), new Uint8Array([1]), "x")).rejects.toThrow(/32 bytes/);
  });
});
