/**
 * AES-256-GCM for secrets at rest (TOTP keys, OpenID signing keys). The key comes from a secret
 * binding, never from D1, so a copy of the database alone reveals no secret.
 * Output layout: 12-byte IV followed by ciphertext and tag. The associated data
 * binds a ciphertext to its row, so it cannot be moved to another device.
 */
const IV_LENGTH = 12;

async function importKey(base64Key: string): Promise<CryptoKey> {
  const raw = Uint8Array.from(atob(base64Key), (c) => c.charCodeAt(0)) as Uint8Array<ArrayBuffer>;
  if (raw.length !== 32) throw new Error("A secret-box key must be 32 bytes, base64-encoded");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function sealSecret(
  base64Key: string,
  plaintext: Uint8Array,
  associatedData: string,
): Promise<Uint8Array> {
  const key = await importKey(base64Key);
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(associatedData) },
      key,
      plaintext as Uint8Array<ArrayBuffer>,
    ),
  );
  const out = new Uint8Array(IV_LENGTH + ciphertext.length);
  out.set(iv);
  out.set(ciphertext, IV_LENGTH);
  return out;
}

export async function openSecret(base64Key: string, sealed: Uint8Array, associatedData: string): Promise<Uint8Array> {
  const key = await importKey(base64Key);
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.slice(0, IV_LENGTH), additionalData: new TextEncoder().encode(associatedData) },
    key,
    sealed.slice(IV_LENGTH),
  );
  return new Uint8Array(plaintext);
}
