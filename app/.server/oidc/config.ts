import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { Env } from "../env";

/**
 * The portal as the programs' OpenID Connect provider (SPEC 2.9): what every
 * part of it agrees on. docs/decisions/2026-12-08-openid-provider.md.
 */

/** The issuer is the portal's public origin, without a trailing slash. */
export function issuerOf(env: Pick<Env, "PUBLIC_ORIGIN">): string {
  return env.PUBLIC_ORIGIN.replace(/\/+$/, "");
}

export const OIDC_PATHS = {
  discovery: "/.well-known/openid-configuration",
  jwks: "/oidc/jwks",
  authorization: "/oidc/authorize",
  token: "/oidc/token",
  userinfo: "/oidc/userinfo",
  endSession: "/oidc/logout",
} as const;

export const LIFETIMES = {
  /** An authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes). */
  codeMs: 60 * 1000,
  /** An access token for userinfo. */
  accessTokenMs: 10 * 60 * 1000,
  idTokenMs: 10 * 60 * 1000,
  logoutTokenMs: 2 * 60 * 1000,
  /** The latest `exp` a client assertion may carry (the Login.gov rule). */
  clientAssertionMaxMs: 5 * 60 * 1000,
  /** Signing keys: a new one every 30 days, published a day before it signs. */
  keyRotationMs: 30 * 24 * 60 * 60 * 1000,
  keyPublishLeadMs: 24 * 60 * 60 * 1000,
} as const;

/** A retired key stays in the JWKS until every token it signed has expired, with a margin for clock skew. */
export const KEY_RETENTION_AFTER_RETIRED_MS =
  Math.max(LIFETIMES.idTokenMs, LIFETIMES.accessTokenMs, LIFETIMES.logoutTokenMs) + 5 * 60 * 1000;

export const SIGNING_ALGS = ["ES256", "RS256"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** Client assertions (`private_key_jwt`) may be signed with these. */
export const CLIENT_ASSERTION_ALGS = ["ES256", "RS256"] as const;

export const SCOPES = ["openid", "email", "profile"] as const;
export type Scope = (typeof SCOPES)[number];

export const ACR = {
  aal1: "urn:secure-portal:aal:1",
  aal2: "urn:secure-portal:aal:2",
  aal2_phishing_resistant: "urn:secure-portal:aal:2:phishing-resistant",
} as const;
export type AssuranceLevel = keyof typeof ACR;
/** Weakest first: a session satisfies a level at or before its own. */
export const ASSURANCE_ORDER: readonly AssuranceLevel[] = ["aal1", "aal2", "aal2_phishing_resistant"];

export function levelOfAcr(acr: string): AssuranceLevel | null {
  return (Object.keys(ACR) as AssuranceLevel[]).find((level) => ACR[level] === acr) ?? null;
}

export function satisfies(have: AssuranceLevel, need: AssuranceLevel): boolean {
  return ASSURANCE_ORDER.indexOf(have) >= ASSURANCE_ORDER.indexOf(need);
}

/**
 * RFC 8176 authentication method references for the way a session was
 * established (the sign-in's second factor, see auth/session.ts `assuranceOf`).
 * An emailed code (an Email device, or the One-Time Security Code) is marked "email" (not "otp", which a relying
 * party would read as an authenticator), the challenge questions "kba".
 */
export function amrOfFactor(factor: string): string[] {
  switch (factor) {
    case "totp":
      return ["pwd", "otp", "mfa"];
    case "webauthn":
      return ["pwd", "hwk", "mfa"];
    case "passkey":
      return ["hwk", "user", "mfa"];
    case "recovery":
      return ["pwd", "otp", "mfa"];
    case "email":
    case "otc":
      return ["pwd", "email"];
    case "questions":
      return ["pwd", "kba"];
    default:
      return ["pwd"];
  }
}

/**
 * The session's `amr` after a strong factor proven later ("Confirm it is you"):
 * the password if the sign-in had one, and the factor just proven, never the
 * factors proven before it. `acr` follows the latest strong factor (a security
 * key once, an app code now, is not phishing-resistant now).
 */
export function amrAfterStepUp(amr: readonly string[] | null, factor: string): string[] {
  const pwd = (amr ?? ["pwd"]).includes("pwd") ? ["pwd"] : [];
  return [...new Set([...pwd, ...amrOfFactor(factor).filter((v) => v !== "pwd"), "mfa"])];
}

/** The assurance level of a session: AAL2 needs a strong session, phishing-resistant a security key or passkey. */
export function levelOfSession(session: { assurance: "password" | "weak" | "strong"; amr: readonly string[] | null }) {
  if (session.assurance !== "strong") return "aal1" as const;
  return session.amr?.includes("hwk") ? ("aal2_phishing_resistant" as const) : ("aal2" as const);
}

/**
 * The `sid` an application is told (ID and logout tokens, and what an
 * `id_token_hint` is compared with): per application, like `sub`, so two
 * applications cannot match their users up by the portal session they share.
 */
export function sidForClient(env: Pick<Env, "OIDC_KEY_SECRET">, clientId: string, sessionSid: string): string {
  return encodeBase64urlNoPadding(
    hmac(SHA256, keyFor(env, "session id"), new TextEncoder().encode(`${clientId}\n${sessionSid}`)),
  );
}

const derivedKeys = new Map<string, Uint8Array>();
function keyFor(env: Pick<Env, "OIDC_KEY_SECRET">, purpose: string): Uint8Array {
  const cacheKey = `${purpose}:${env.OIDC_KEY_SECRET}`;
  let key = derivedKeys.get(cacheKey);
  if (!key) {
    const secret = Uint8Array.from(atob(env.OIDC_KEY_SECRET), (c) => c.charCodeAt(0));
    key = hmac(SHA256, secret, new TextEncoder().encode(`secure-portal oidc: ${purpose}`));
    derivedKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * Pairwise subject identifier (OIDC Core §8.1): HMAC-SHA-256 of the sector (the
 * client's redirect host) and the user's id, under a key derived from
 * OIDC_KEY_SECRET. Two applications on different hosts cannot correlate a user.
 */
const pairwiseKeys = new Map<string, Uint8Array>();
export function pairwiseSubject(env: Pick<Env, "OIDC_KEY_SECRET">, sectorHost: string, userId: string): string {
  let key = pairwiseKeys.get(env.OIDC_KEY_SECRET);
  if (!key) {
    const secret = Uint8Array.from(atob(env.OIDC_KEY_SECRET), (c) => c.charCodeAt(0));
    key = hmac(SHA256, secret, new TextEncoder().encode("secure-portal oidc: pairwise subject"));
    pairwiseKeys.set(env.OIDC_KEY_SECRET, key);
  }
  return encodeBase64urlNoPadding(
    hmac(SHA256, key, new TextEncoder().encode(`${sectorHost.toLowerCase()}\n${userId}`)),
  );
}
