import { env } from "cloudflare:test";
import { fetchWorker, HOST, ORIGIN } from "./http";

/**
 * A software security key: a P-256 key pair whose public half is registered
 * straight into D1 as a confirmed device, and which signs WebAuthn assertions
 * the way an authenticator does (authenticator data, client data, DER signature).
 */
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = async (data: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest("SHA-256", data));

/** IEEE P1363 (r‖s, as WebCrypto signs) to ASN.1 DER (as authenticators send). */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (part: Uint8Array) => {
    let i = 0;
    while (i < part.length - 1 && part[i] === 0) i++;
    let bytes = part.slice(i);
    if (bytes[0] & 0x80) bytes = Uint8Array.from([0, ...bytes]);
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...integer(raw.slice(0, 32)), ...integer(raw.slice(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

export async function registerSoftKey(userId: string) {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, CBOR-encoded.
  const cose = Uint8Array.from([
    0xa5,
    0x01,
    0x02,
    0x03,
    0x26,
    0x20,
    0x01,
    0x21,
    0x58,
    0x20,
    ...raw.slice(1, 33),
    0x22,
    0x58,
    0x20,
    ...raw.slice(33, 65),
  ]);
  const credentialId = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, webauthn_credential_id, webauthn_public_key, webauthn_counter, created_at, confirmed_at) VALUES (?, ?, 'webauthn', 'Key', 'KEY-TEST', ?, ?, 0, ?, ?)",
  )
    .bind(crypto.randomUUID(), userId, credentialId, cose.buffer, now, now)
    .run();
  let counter = 0;

  /** Signs a challenge for this site, as navigator.credentials.get() would answer. */
  async function sign(challenge: string) {
    const origin = new URL(env.PUBLIC_ORIGIN);
    counter++;
    const authenticatorData = Uint8Array.from([
      ...(await sha256(new TextEncoder().encode(origin.hostname))),
      0x05, // user present, user verified
      (counter >>> 24) & 0xff,
      (counter >>> 16) & 0xff,
      (counter >>> 8) & 0xff,
      counter & 0xff,
    ]);
    const clientDataJSON = new TextEncoder().encode(
      JSON.stringify({ type: "webauthn.get", challenge, origin: origin.origin, crossOrigin: false }),
    );
    const signed = Uint8Array.from([...authenticatorData, ...(await sha256(clientDataJSON))]);
    const signature = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, signed),
    );
    return {
      id: credentialId,
      rawId: credentialId,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(derSignature(signature)),
      },
      clientExtensionResults: {},
    };
  }

  /** What the page's script posts: options from the portal for this User ID, answered by the key. */
  async function assertionFor(loginId: string) {
    const response = await fetchWorker(`${ORIGIN}/webauthn/authentication/options`, {
      method: "POST",
      headers: { Host: HOST, Origin: ORIGIN, "Content-Type": "application/json", "CF-Connecting-IP": "192.0.2.77" },
      body: JSON.stringify({ loginId }),
    });
    const { challengeId, options } = (await response.json()) as { challengeId: string; options: { challenge: string } };
    return JSON.stringify({ challengeId, response: await sign(options.challenge) });
  }

  return { credentialId, sign, assertionFor };
}
