import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from "jose";
import { IDLE_TIMEOUT_MS } from "../auth/session";
import { hashToken, randomToken, timingSafeEqualString } from "../auth/tokens";
import {
  auditEvents,
  oidcAccessTokens,
  oidcAuthorizationCodes,
  oidcClientAssertions,
  oidcClients,
  oidcGrants,
  sessions,
  users,
} from "../db/schema";
import type { Deps } from "../deps";
import { roleClaims, rolesStatement, scopedClaims } from "./claims";
import { clientStatement, type OidcClient } from "./clients";
import { CLIENT_ASSERTION_ALGS, issuerOf, LIFETIMES, OIDC_PATHS, sidForClient } from "./config";
import { cachedSigningKeys, rememberSigningKeys, signingKeysStatement, signJwt } from "./keys";

/**
 * The token endpoint (OIDC Core §3.1.3, RFC 6749 §4.1.3): the authorization
 * code grant only, the client authenticated only by `private_key_jwt` (RFC
 * 7523), PKCE S256 always. Two D1 round trips: the client (with the signing
 * keys when this isolate has none), then one batch that spends the assertion's
 * `jti`, burns the code, issues the access token and reads the claims, every
 * statement after the first keyed on a random mark of this request.
 */

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Clock skew allowed on a client assertion's times. */
const ASSERTION_SKEW_S = 30;

export type TokenError = {
  status: 400 | 401;
  error: "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type";
  description: string;
};

export type TokenResult =
  | {
      ok: true;
      body: { access_token: string; token_type: "Bearer"; expires_in: number; id_token: string; scope: string };
    }
  | ({ ok: false } & TokenError);

function fail(status: TokenError["status"], error: TokenError["error"], description: string): TokenResult {
  return { ok: false, status, error, description };
}

/** BASE64URL(SHA-256(verifier)) for a verifier of RFC 7636 §4.1's form, or null. */
export function s256Challenge(verifier: string): string | null {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return null;
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));
}

/** The client an assertion claims to come from (its `iss`), before it is verified, or null. */
function claimedClientId(assertion: string): string | null {
  try {
    const { iss, sub } = decodeJwt(assertion);
    return typeof iss === "string" && iss.length > 0 && iss.length <= 100 && iss === sub ? iss : null;
  } catch {
    return null;
  }
}

/** A verified assertion's `jti` and `exp` (ms), or the reason it is refused. */
async function verifyAssertion(
  deps: Pick<Deps, "env" | "now">,
  client: OidcClient,
  assertion: string,
): Promise<{ jti: string; expiresAt: number } | string> {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(client.jwks) as JSONWebKeySet;
  } catch {
    return "The client's registered keys cannot be read";
  }
  const issuer = issuerOf(deps.env);
  const now = deps.now();
  try {
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      algorithms: [...CLIENT_ASSERTION_ALGS],
      issuer: client.id,
      subject: client.id,
      audience: [`${issuer}${OIDC_PATHS.token}`, issuer],
      requiredClaims: ["exp", "jti"],
      currentDate: now,
      clockTolerance: ASSERTION_SKEW_S,
    });
    if (typeof payload.exp !== "number" || typeof payload.jti !== "string") return "exp and jti are required";
    if (payload.jti.length === 0 || payload.jti.length > 200) return "jti is not acceptable";
    if (payload.exp * 1000 > now.getTime() + LIFETIMES.clientAssertionMaxMs + ASSERTION_SKEW_S * 1000)
      return "The client assertion expires too far in the future (at most 5 minutes)";
    return { jti: payload.jti, expiresAt: payload.exp * 1000 };
  } catch {
    return "The client assertion is not valid";
  }
}

/**
 * Answers a token request (its form fields). The code is burnt by any request
 * from its own authenticated client, even one whose PKCE verifier or
 * redirect_uri is wrong: a code gets one try. A second redemption deletes the
 * access tokens the first issued (RFC 6749 §4.1.2) and is audited.
 */
export async function exchangeCode(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId">,
  form: URLSearchParams,
  client_: { ip: string | null; userAgent: string | null },
): Promise<TokenResult> {
  const grantType = form.get("grant_type");
  if (!grantType) return fail(400, "invalid_request", "grant_type is required");
  const assertionType = form.get("client_assertion_type");
  const assertion = form.get("client_assertion");
  if (assertionType !== JWT_BEARER || !assertion)
    return fail(401, "invalid_client", "Authenticate with private_key_jwt (client_assertion)");
  const clientId = claimedClientId(assertion);
  if (!clientId) return fail(401, "invalid_client", "The client assertion is not valid");
  const named = form.get("client_id");
  if (named !== null && named !== clientId)
    return fail(401, "invalid_client", "client_id does not match the client assertion");

  // Round trip 1: the client, and the signing keys when this isolate holds none.
  let client: OidcClient | undefined;
  if (cachedSigningKeys()) [client] = await clientStatement(deps, clientId);
  else {
    const [clients, keys] = await deps.db.batch([clientStatement(deps, clientId), signingKeysStatement(deps)]);
    rememberSigningKeys(keys);
    [client] = clients;
  }
  if (client?.status !== "active") return fail(401, "invalid_client", "Unknown or disabled client");
  const verified = await verifyAssertion(deps, client, assertion);
  if (typeof verified === "string") return fail(401, "invalid_client", verified);

  if (grantType !== "authorization_code")
    return fail(400, "unsupported_grant_type", "Only the authorization_code grant is supported");
  const code = form.get("code");
  const redirectUri = form.get("redirect_uri");
  if (!code) return fail(400, "invalid_request", "code is required");
  if (!redirectUri) return fail(400, "invalid_request", "redirect_uri is required");
  const challenge = s256Challenge(form.get("code_verifier") ?? "");

  // Round trip 2: one batch, every statement after the first keyed on `mark`.
  const now = deps.now();
  const mark = randomToken();
  const codeHash = hashToken(code);
  const accessToken = randomToken();
  const jtiOurs = sql`EXISTS (SELECT 1 FROM ${oidcClientAssertions} WHERE ${oidcClientAssertions.clientId} = ${clientId} AND ${oidcClientAssertions.jti} = ${verified.jti} AND ${oidcClientAssertions.claimedBy} = ${mark})`;
  const codeOurs = sql`${oidcAuthorizationCodes.codeHash} = ${codeHash} AND ${oidcAuthorizationCodes.redeemedBy} = ${mark}`;
  const reused = sql`EXISTS (SELECT 1 FROM ${oidcAuthorizationCodes} WHERE ${oidcAuthorizationCodes.codeHash} = ${codeHash} AND ${oidcAuthorizationCodes.clientId} = ${clientId} AND ${oidcAuthorizationCodes.redeemedAt} IS NOT NULL AND ${oidcAuthorizationCodes.redeemedBy} <> ${mark}) AND ${jtiOurs}`;
  const [claimed, redeemed, issued, , , claimRows, roleRows] = await deps.db.batch([
    deps.db
      .insert(oidcClientAssertions)
      .values({ clientId, jti: verified.jti, expiresAt: new Date(verified.expiresAt), claimedBy: mark })
      .onConflictDoNothing()
      .returning({ jti: oidcClientAssertions.jti }),
    deps.db
      .update(oidcAuthorizationCodes)
      .set({ redeemedAt: now, redeemedBy: mark })
      .where(
        and(
          eq(oidcAuthorizationCodes.codeHash, codeHash),
          eq(oidcAuthorizationCodes.clientId, clientId),
          isNull(oidcAuthorizationCodes.redeemedAt),
          gt(oidcAuthorizationCodes.expiresAt, now),
          jtiOurs,
          sql`EXISTS (SELECT 1 FROM ${oidcGrants} WHERE ${oidcGrants.id} = ${oidcAuthorizationCodes.grantId} AND ${oidcGrants.clientId} = ${clientId} AND ${oidcGrants.userId} = ${oidcAuthorizationCodes.userId})`,
          sql`EXISTS (SELECT 1 FROM ${oidcClients} WHERE ${oidcClients.id} = ${clientId} AND ${oidcClients.status} = 'active')`,
          sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${oidcAuthorizationCodes.userId} AND ${users.status} = 'active')`,
          // The portal session that signed in is still alive: a code outliving Sign Out would start an
          // application session that no back-channel logout could reach.
          sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${sessions.sid} = ${oidcAuthorizationCodes.sid} AND ${sessions.expiresAt} > ${now.getTime()} AND ${sessions.lastSeenAt} > ${now.getTime() - IDLE_TIMEOUT_MS})`,
        ),
      )
      .returning(),
    // The access token exists only if this request burnt the code and proved it may use it (PKCE, redirect_uri).
    deps.db
      .insert(oidcAccessTokens)
      .select(
        sql`SELECT ${hashToken(accessToken)}, ${oidcAuthorizationCodes.codeHash}, ${oidcAuthorizationCodes.grantId}, ${oidcAuthorizationCodes.clientId}, ${oidcAuthorizationCodes.userId}, ${oidcAuthorizationCodes.sub}, ${oidcAuthorizationCodes.scope}, ${now.getTime()}, ${now.getTime() + LIFETIMES.accessTokenMs} FROM ${oidcAuthorizationCodes} WHERE ${codeOurs} AND ${oidcAuthorizationCodes.codeChallenge} = ${challenge ?? ""} AND ${challenge !== null} AND ${oidcAuthorizationCodes.redirectUri} = ${redirectUri}`,
      )
      .returning({ tokenHash: oidcAccessTokens.tokenHash }),
    // A code redeemed before, by its own client: revoke what it issued, and record it.
    deps.db.delete(oidcAccessTokens).where(and(eq(oidcAccessTokens.codeHash, codeHash), reused)),
    deps.db
      .insert(auditEvents)
      .select(
        sql`SELECT NULL, ${now.getTime()}, 'oidc.code_reused', 'failure', NULL, ${oidcAuthorizationCodes.userId}, NULL, ${client.programId}, ${client_.ip}, ${client_.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, NULL, ${JSON.stringify({ clientId })} FROM ${oidcAuthorizationCodes} WHERE ${oidcAuthorizationCodes.codeHash} = ${codeHash} AND ${reused}`,
      ),
    deps.db
      .select({
        email: users.email,
        firstName: users.firstName,
        lastName: users.lastName,
        enrollmentCompletedAt: users.enrollmentCompletedAt,
      })
      .from(users)
      .where(
        sql`${users.id} = (SELECT ${oidcAuthorizationCodes.userId} FROM ${oidcAuthorizationCodes} WHERE ${codeOurs})`,
      ),
    rolesStatement(
      deps,
      sql`(SELECT ${oidcAuthorizationCodes.userId} FROM ${oidcAuthorizationCodes} WHERE ${codeOurs})`,
      sql`${client.programId}`,
    ),
  ]);

  if (claimed.length === 0) return fail(401, "invalid_client", "The client assertion was used before");
  const row = redeemed[0];
  if (!row) return fail(400, "invalid_grant", "The code is invalid, expired, or was used before");
  if (row.redirectUri !== redirectUri)
    return fail(400, "invalid_grant", "redirect_uri does not match the authorization request");
  if (challenge === null || !timingSafeEqualString(challenge, row.codeChallenge))
    return fail(400, "invalid_grant", "The code_verifier does not match the code_challenge");
  const user = claimRows[0];
  if (issued.length === 0 || !user)
    return fail(400, "invalid_grant", "The code is invalid, expired, or was used before");

  const nowS = Math.floor(now.getTime() / 1000);
  const idToken = await signJwt(deps, {
    alg: client.idTokenSignedResponseAlg,
    typ: "JWT",
    claims: {
      iss: issuerOf(deps.env),
      sub: row.sub,
      aud: client.id,
      azp: client.id,
      iat: nowS,
      exp: nowS + Math.floor(LIFETIMES.idTokenMs / 1000),
      auth_time: Math.floor(row.authTime.getTime() / 1000),
      nonce: row.nonce,
      acr: row.acr,
      amr: row.amr,
      sid: sidForClient(deps.env, client.id, row.sid),
      ...scopedClaims(row.scope, user),
      roles: roleClaims(roleRows),
    },
  });
  return {
    ok: true,
    body: {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: Math.floor(LIFETIMES.accessTokenMs / 1000),
      id_token: idToken,
      scope: row.scope,
    },
  };
}
