import { env } from "cloudflare:test";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { ACR, issuerOf, OIDC_PATHS, pairwiseSubject } from "../../app/.server/oidc/config";

/**
 * OpenID Connect fixtures: an application registered straight into D1 with a
 * key pair made here, an authorization code written as the authorization screen
 * writes it, and the application's `private_key_jwt` assertions.
 */

export type Alg = "ES256" | "RS256";

export interface TestClient {
  id: string;
  programId: number;
  redirectUri: string;
  alg: Alg;
  kid: string;
  privateKey: CryptoKey;
}

let counter = 0;

export async function createClient(
  options: {
    programId?: number;
    /** The client's own key type (its assertions). */
    alg?: Alg;
    /** The ID tokens it asks for. */
    idTokenAlg?: Alg;
    status?: "active" | "disabled";
    host?: string;
  } = {},
): Promise<TestClient> {
  counter++;
  const alg = options.alg ?? "ES256";
  const programId =
    options.programId ??
    ((await env.DB.prepare("SELECT id FROM programs ORDER BY id LIMIT 1").first<number>("id")) as number);
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const kid = `test-key-${counter}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  const id = `sp-test${String(counter).padStart(3, "0")}${randomToken().slice(0, 16)}`;
  const host = options.host ?? `app${counter}.example.test`;
  const redirectUri = `https://${host}/callback`;
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO oidc_clients (id, name, program_id, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri,
       initiate_login_uri, jwks, required_assurance, id_token_signed_response_alg, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, 'aal2', ?, ?, ?, ?)`,
  )
    .bind(
      id,
      `Test application ${counter}`,
      programId,
      JSON.stringify([redirectUri]),
      JSON.stringify([`https://${host}/signed-out`]),
      JSON.stringify({ keys: [jwk] }),
      options.idTokenAlg ?? "ES256",
      options.status ?? "active",
      now,
      now,
    )
    .run();
  return { id, programId, redirectUri, alg, kid, privateKey };
}

export function s256(verifier: string): string {
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));
}

export interface TestCode {
  code: string;
  verifier: string;
  redirectUri: string;
  nonce: string;
  sub: string;
  sid: string;
  grantId: string;
}

/** A code as the authorization screen issues it (with its grant and the live portal session that signed in), for `userId` at `client`. */
export async function createCode(
  client: TestClient,
  userId: string,
  options: { scope?: string; expiresInMs?: number; acr?: string; amr?: string[]; verifier?: string } = {},
): Promise<TestCode> {
  const now = Date.now();
  const code = randomToken();
  const verifier = options.verifier ?? `${randomToken()}${randomToken()}`;
  const nonce = randomToken();
  const sid = crypto.randomUUID();
  const scope = options.scope ?? "openid email profile";
  const sub = pairwiseSubject(env, new URL(client.redirectUri).host, userId);
  const existing = await env.DB.prepare("SELECT id FROM oidc_grants WHERE user_id = ? AND client_id = ?")
    .bind(userId, client.id)
    .first<string>("id");
  const grantId = existing ?? crypto.randomUUID();
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at, sid, amr) VALUES (?, ?, ?, ?, ?, 'strong', ?, ?, ?)",
    ).bind(
      hashToken(randomToken()),
      userId,
      now,
      now,
      now + 3600_000,
      now,
      sid,
      JSON.stringify(options.amr ?? ["pwd", "otp", "mfa"]),
    ),
    env.DB.prepare(
      "INSERT INTO oidc_grants (id, user_id, client_id, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ).bind(grantId, userId, client.id, scope, now, now),
    env.DB.prepare(
      `INSERT INTO oidc_authorization_codes (code_hash, client_id, user_id, grant_id, sid, sub, redirect_uri, code_challenge,
         nonce, scope, auth_time, acr, amr, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(
      hashToken(code),
      client.id,
      userId,
      grantId,
      sid,
      sub,
      client.redirectUri,
      s256(verifier),
      nonce,
      scope,
      now - 5000,
      options.acr ?? ACR.aal2,
      JSON.stringify(options.amr ?? ["pwd", "otp", "mfa"]),
      now,
      now + (options.expiresInMs ?? 60_000),
    ),
  ]);
  return { code, verifier, redirectUri: client.redirectUri, nonce, sub, sid, grantId };
}

export const TOKEN_URL = `${issuerOf(env)}${OIDC_PATHS.token}`;

/** The client's `private_key_jwt` assertion (RFC 7523), valid unless told otherwise. */
export async function clientAssertion(
  client: TestClient,
  options: { expiresInS?: number; jti?: string; aud?: string; iss?: string; key?: CryptoKey } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: options.jti ?? randomToken() })
    .setProtectedHeader({ alg: client.alg, kid: client.kid })
    .setIssuer(options.iss ?? client.id)
    .setSubject(client.id)
    .setAudience(options.aud ?? TOKEN_URL)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInS ?? 60))
    .sign(options.key ?? client.privateKey);
}
