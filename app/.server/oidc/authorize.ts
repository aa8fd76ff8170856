import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { and, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { can, type Refusal } from "../access/authorize";
import { auditInsert } from "../audit/record";
import type { CurrentSession } from "../auth/session";
import { hashToken, randomToken, timingSafeEqualString } from "../auth/tokens";
import { oidcAccessTokens, oidcAuthorizationCodes, oidcClients, oidcGrants, oidcLogins, programs } from "../db/schema";
import type { Deps } from "../deps";
import type { Env } from "../env";
import { type OidcClient, sectorHostOf } from "./clients";
import {
  ACR,
  ASSURANCE_ORDER,
  type AssuranceLevel,
  issuerOf,
  LIFETIMES,
  levelOfAcr,
  levelOfSession,
  OIDC_PATHS,
  pairwiseSubject,
  SCOPES,
  type Scope,
  satisfies,
} from "./config";

/**
 * The authorization endpoint (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636, RFC 9207):
 * the code flow only, PKCE with S256, `state` and `nonce` required. What the
 * screen (app/routes/oidc.authorize.tsx) does with a request is decided here, in
 * this order:
 * 1. an unknown or disabled client, or a redirect URI that is missing or not
 *    registered exactly: a page, never a redirect (`checkClient`);
 * 2. anything else wrong with the request: an error sent back to the redirect
 *    URI (`parseAuthorizationRequest`);
 * 3. the session: sign-in, first sign-in and enrollment, `can(…, "application.connect")`,
 *    re-authentication (`prompt=login`, `max_age`), the assurance the client and
 *    `acr_values` ask for, consent (`decideAuthorization`);
 * 4. the code, with everything the ID token will say, written in one batch (`issueCode`).
 * docs/decisions/2026-12-08-oidc-authorization.md.
 */

/** The parameters the portal reads; anything else in a request is ignored (and dropped when it is carried through sign-in). */
export const REQUEST_PARAMS = [
  "client_id",
  "redirect_uri",
  "response_type",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "response_mode",
  "prompt",
  "max_age",
  "acr_values",
] as const;

/**
 * The portal's own parameter: the request was sent to sign in or "Confirm it is
 * you" at a moment this marker states (see `reauthMarker`), so re-authentication
 * asked by `prompt=login` or `max_age` is not asked again on the way back.
 */
export const REAUTH_PARAM = "reauth";

/** The longest authorization request carried through Terms and sign-in (the sign-in forms keep 2,000 characters). */
export const MAX_CARRIED_REQUEST_LENGTH = 2000;
/** `state` and `nonce` are the client's; 512 characters is far more than any client needs. */
const MAX_VALUE_LENGTH = 512;
/** BASE64URL(SHA-256(verifier)) is 43 characters (RFC 7636 §4.2). */
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** A marker is good for the sign-in or step-up it was made for: 10 minutes. */
const REAUTH_MARKER_MAX_AGE_MS = 10 * 60 * 1000;

export type OAuthErrorCode =
  | "invalid_request"
  | "unsupported_response_type"
  | "invalid_scope"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "registration_not_supported"
  | "login_required"
  | "interaction_required"
  | "consent_required"
  | "access_denied";

export interface OAuthError {
  error: OAuthErrorCode;
  /** ASCII, for the client's developers (RFC 6749 §4.1.2.1); never shown to the user by the portal. */
  description: string;
}

export type ClientOfRequest = OidcClient & { programCode: string; programName: string };

/** The first check: who the client is and where answers may go. Neither may be answered by a redirect. */
export type ClientCheck =
  | { ok: true; client: ClientOfRequest; redirectUri: string }
  | { ok: false; code: "unknown_client" | "invalid_redirect_uri" };

export async function checkClient(deps: Pick<Deps, "db">, params: URLSearchParams): Promise<ClientCheck> {
  const clientIds = params.getAll("client_id");
  if (clientIds.length !== 1 || !clientIds[0] || clientIds[0].length > 100)
    return { ok: false, code: "unknown_client" };
  const [row] = await deps.db
    .select({ client: oidcClients, programCode: programs.code, programName: programs.name })
    .from(oidcClients)
    .innerJoin(programs, eq(programs.id, oidcClients.programId))
    .where(eq(oidcClients.id, clientIds[0]))
    .limit(1);
  if (row?.client.status !== "active") return { ok: false, code: "unknown_client" };
  const redirectUris = params.getAll("redirect_uri");
  // Exact string comparison with a registered URI (OIDC Core §3.1.2.1; no normalisation, no prefix).
  if (redirectUris.length !== 1 || !row.client.redirectUris.includes(redirectUris[0]))
    return { ok: false, code: "invalid_redirect_uri" };
  return {
    ok: true,
    client: { ...row.client, programCode: row.programCode, programName: row.programName },
    redirectUri: redirectUris[0],
  };
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** The scopes the portal knows, in its own order (unknown ones are ignored, OIDC Core §3.1.2.1). */
  scope: Scope[];
  state: string;
  nonce: string;
  codeChallenge: string;
  prompt: string[];
  /** Seconds (OIDC Core §3.1.2.1), or null. */
  maxAge: number | null;
  /** As sent (kept to carry it through sign-in), or null. */
  acrValues: string | null;
  /** The portal's re-authentication marker, if the request came back with one. */
  reauth: string | null;
}

export type ParsedRequest =
  | { ok: true; request: AuthorizationRequest }
  /** `state` is echoed in the error only when the request had exactly one. */
  | { ok: false; error: OAuthError; state: string | null };

const single = (params: URLSearchParams, name: string): string | null | undefined => {
  const values = params.getAll(name);
  if (values.length > 1) return undefined;
  return values[0] === undefined || values[0] === "" ? null : values[0];
};

/** The second check, once the redirect URI is known to be the client's: every error goes back to it. */
export function parseAuthorizationRequest(
  params: URLSearchParams,
  checked: { redirectUri: string; client: OidcClient },
) {
  const state = single(params, "state") ?? null;
  const failure = (error: OAuthErrorCode, description: string): ParsedRequest => ({
    ok: false,
    error: { error, description },
    state: state && state.length <= MAX_VALUE_LENGTH ? state : null,
  });
  // RFC 6749 §3.1: no parameter may be sent twice.
  const repeated = REQUEST_PARAMS.find((name) => params.getAll(name).length > 1);
  if (repeated) return failure("invalid_request", `${repeated} is repeated`);

  const responseType = single(params, "response_type");
  if (!responseType) return failure("invalid_request", "response_type is missing");
  // The code flow only: no implicit or hybrid response types.
  if (responseType !== "code") return failure("unsupported_response_type", "only response_type=code is supported");
  const responseMode = single(params, "response_mode");
  if (responseMode && responseMode !== "query")
    return failure("invalid_request", "only response_mode=query is supported");
  // Request objects and dynamic registration are not offered (discovery says so).
  if (params.has("request")) return failure("request_not_supported", "request objects are not supported");
  if (params.has("request_uri")) return failure("request_uri_not_supported", "request_uri is not supported");
  if (params.has("registration")) return failure("registration_not_supported", "registration is not supported");

  const requested = (single(params, "scope") ?? "").split(" ").filter(Boolean);
  if (!requested.includes("openid")) return failure("invalid_scope", "the openid scope is required");
  const scope = SCOPES.filter((s) => requested.includes(s));

  if (!state) return failure("invalid_request", "state is required");
  if (state.length > MAX_VALUE_LENGTH) return failure("invalid_request", "state is too long");
  const nonce = single(params, "nonce");
  if (!nonce) return failure("invalid_request", "nonce is required");
  if (nonce.length > MAX_VALUE_LENGTH) return failure("invalid_request", "nonce is too long");
  const codeChallenge = single(params, "code_challenge");
  if (!codeChallenge) return failure("invalid_request", "code_challenge is required (PKCE)");
  if (single(params, "code_challenge_method") !== "S256")
    return failure("invalid_request", "code_challenge_method must be S256");
  if (!CODE_CHALLENGE.test(codeChallenge)) return failure("invalid_request", "code_challenge is not a S256 challenge");

  const prompt = (single(params, "prompt") ?? "").split(" ").filter(Boolean);
  if (prompt.includes("none") && prompt.length > 1)
    return failure("invalid_request", "prompt=none cannot be combined with other values");
  const maxAgeText = single(params, "max_age");
  let maxAge: number | null = null;
  if (maxAgeText) {
    if (!/^\d{1,10}$/.test(maxAgeText)) return failure("invalid_request", "max_age must be a number of seconds");
    maxAge = Number(maxAgeText);
  }
  const acrValues = single(params, "acr_values") ?? null;
  if (acrValues && acrValues.length > MAX_VALUE_LENGTH) return failure("invalid_request", "acr_values is too long");

  const request: AuthorizationRequest = {
    clientId: checked.client.id,
    redirectUri: checked.redirectUri,
    scope,
    state,
    nonce,
    codeChallenge,
    prompt,
    maxAge,
    acrValues,
    reauth: single(params, REAUTH_PARAM) ?? null,
  };
  // The request must survive Terms and sign-in as a local redirect (the forms keep 2,000 characters).
  if (carriedPath(request).length > MAX_CARRIED_REQUEST_LENGTH)
    return failure("invalid_request", "the authorization request is too long");
  return { ok: true, request } satisfies ParsedRequest;
}

/** The request's own parameters, as a form or a URL carries them (with the marker, if any). */
export function requestParams(request: AuthorizationRequest, reauth: string | null = request.reauth) {
  const params = new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    response_type: "code",
    scope: ["openid", ...request.scope.filter((s) => s !== "openid")].join(" "),
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.codeChallenge,
    code_challenge_method: "S256",
  });
  if (request.prompt.length > 0) params.set("prompt", request.prompt.join(" "));
  if (request.maxAge !== null) params.set("max_age", String(request.maxAge));
  if (request.acrValues) params.set("acr_values", request.acrValues);
  if (reauth) params.set(REAUTH_PARAM, reauth);
  return params;
}

/** The local path that resumes this request after Terms, sign-in or "Confirm it is you". */
export function carriedPath(request: AuthorizationRequest, reauth: string | null = request.reauth): string {
  return `${OIDC_PATHS.authorization}?${requestParams(request, reauth)}`;
}

/** Where an error goes: the client's redirect URI with error, error_description, state and iss (RFC 9207). */
export function errorRedirect(
  env: Pick<Env, "PUBLIC_ORIGIN">,
  redirectUri: string,
  error: OAuthError,
  state: string | null,
): string {
  const url = new URL(redirectUri);
  url.searchParams.set("error", error.error);
  url.searchParams.set("error_description", error.description);
  if (state) url.searchParams.set("state", state);
  url.searchParams.set("iss", issuerOf(env));
  return url.toString();
}

/** The assurance a request needs: the stronger of the client's and the weakest `acr_values` it would accept. */
export function requiredLevel(client: Pick<OidcClient, "requiredAssurance">, acrValues: string | null): AssuranceLevel {
  const asked = (acrValues ?? "")
    .split(" ")
    .map(levelOfAcr)
    .filter((l): l is AssuranceLevel => l !== null);
  // acr_values lists the acceptable classes in order of preference (OIDC Core §3.1.2.1): any one of them will do.
  const fromRequest = asked.length > 0 ? asked.reduce((a, b) => (satisfies(a, b) ? b : a)) : "aal1";
  const index = Math.max(ASSURANCE_ORDER.indexOf(client.requiredAssurance), ASSURANCE_ORDER.indexOf(fromRequest));
  return ASSURANCE_ORDER[index];
}

/** When the session's user last authenticated: the later of its sign-in and its last strong factor. */
export function authTimeOf(session: Pick<CurrentSession, "createdAt" | "strongFactorAt">): Date {
  const strong = session.strongFactorAt;
  return strong && strong > session.createdAt ? strong : session.createdAt;
}

const markerKeys = new Map<string, Uint8Array>();
function markerMac(env: Pick<Env, "OIDC_KEY_SECRET">, binding: string, at: number): string {
  let key = markerKeys.get(env.OIDC_KEY_SECRET);
  if (!key) {
    const secret = Uint8Array.from(atob(env.OIDC_KEY_SECRET), (c) => c.charCodeAt(0));
    key = hmac(SHA256, secret, new TextEncoder().encode("secure-portal oidc: reauthentication marker"));
    markerKeys.set(env.OIDC_KEY_SECRET, key);
  }
  return encodeBase64urlNoPadding(hmac(SHA256, key, new TextEncoder().encode(`${binding}\n${at}`)));
}

/**
 * The marker added to a request sent to authenticate: the moment it was sent, and
 * an HMAC binding that moment to the session that must step up (its `sid`), or to
 * a sign-in still to come. On the way back it stands for "authenticated after
 * this moment" only if the session's strong factor (or, for a sign-in, the
 * session itself) is at least that recent; so `prompt=login` and `max_age` are
 * answered once, and cannot loop.
 */
export function reauthMarker(
  env: Pick<Env, "OIDC_KEY_SECRET">,
  session: Pick<CurrentSession, "sid"> | null,
  at: Date,
  /** The request it was issued for ({@link requestBinding}): it answers that request only. */
  request = "",
) {
  return `${at.getTime()}.${markerMac(env, `${session ? session.sid : "sign-in"}\n${request}`, at.getTime())}`;
}

/** What a marker is bound to: the client and the request's own state and nonce. */
export function requestBinding(request: Pick<AuthorizationRequest, "clientId" | "state" | "nonce">): string {
  return `${request.clientId}\n${request.state}\n${request.nonce}`;
}

export function reauthenticatedSinceMarker(
  env: Pick<Env, "OIDC_KEY_SECRET">,
  session: Pick<CurrentSession, "sid" | "createdAt" | "strongFactorAt">,
  marker: string | null,
  now: Date,
  request = "",
): boolean {
  const match = marker?.match(/^(\d{13})\.([A-Za-z0-9_-]{43})$/);
  if (!match) return false;
  const at = Number(match[1]);
  if (now.getTime() - at > REAUTH_MARKER_MAX_AGE_MS || at > now.getTime()) return false;
  if (timingSafeEqualString(match[2], markerMac(env, `${session.sid}\n${request}`, at)))
    return session.strongFactorAt !== null && session.strongFactorAt.getTime() >= at;
  if (timingSafeEqualString(match[2], markerMac(env, `sign-in\n${request}`, at)))
    return session.createdAt.getTime() >= at;
  return false;
}

export type Grant = typeof oidcGrants.$inferSelect;

/** What happens next with a valid request. */
export type Decision =
  /** No session: Terms and sign-in, then back here with `path`. */
  | { next: "sign_in"; path: string }
  /** First sign-in is not finished. */
  | { next: "first_sign_in" }
  | { next: "refused"; refusal: Refusal }
  /** "Confirm it is you", then back here with `path`. */
  | { next: "step_up"; path: string }
  /** A security key or passkey is needed and "Confirm it is you" gave something else. */
  | { next: "phishing_resistant_needed"; retryPath: string }
  | { next: "error"; error: OAuthError }
  /** The consent screen ("Allow {application} to know who you are?"). */
  | { next: "consent"; grant: Grant | null }
  /** The consent form's Allow, the request still good: write the grant and issue the code. */
  | { next: "allow"; grant: Grant | null; session: CurrentSession }
  /** A grant already covers the request: the code, and no screen at all. */
  | { next: "issue"; grant: Grant; session: CurrentSession };

/** The grant a user gave a client, or null (the query; await it). */
export function grantStatement(deps: Pick<Deps, "db">, userId: string, clientId: string) {
  return deps.db
    .select()
    .from(oidcGrants)
    .where(and(eq(oidcGrants.userId, userId), eq(oidcGrants.clientId, clientId)))
    .limit(1);
}

const scopesOf = (grant: Pick<Grant, "scope">) => grant.scope.split(" ").filter(Boolean);
const covers = (grant: Grant | null, scope: readonly string[]): grant is Grant =>
  grant !== null && scope.every((s) => scopesOf(grant).includes(s));

/**
 * The third check: what the session allows. `consenting` is the consent form's
 * post (Allow): consent is what it gives, everything else is checked again.
 */
export async function decideAuthorization(
  deps: Pick<Deps, "db" | "env" | "now">,
  session: CurrentSession | null,
  client: ClientOfRequest,
  request: AuthorizationRequest,
  options: { consenting?: boolean } = {},
): Promise<Decision> {
  const now = deps.now();
  const silent = request.prompt.includes("none");
  if (!session) {
    if (silent) return { next: "error", error: { error: "login_required", description: "no session" } };
    return { next: "sign_in", path: carriedPath(request, reauthMarker(deps.env, null, now, requestBinding(request))) };
  }
  if (session.setupNeeded) {
    if (silent) return { next: "error", error: { error: "interaction_required", description: "first sign-in" } };
    return { next: "first_sign_in" };
  }
  const decision = can(session.actor, "application.connect", { ownerUserId: session.user.id }, now);
  if (!decision.ok) {
    if (silent) return { next: "error", error: { error: "interaction_required", description: "enrollment" } };
    return { next: "refused", refusal: decision };
  }

  const reauthenticated = reauthenticatedSinceMarker(deps.env, session, request.reauth, now, requestBinding(request));
  const tooOld = request.maxAge !== null && now.getTime() - authTimeOf(session).getTime() > request.maxAge * 1000;
  if ((request.prompt.includes("login") || tooOld) && !reauthenticated) {
    if (silent) return { next: "error", error: { error: "login_required", description: "max_age exceeded" } };
    return {
      next: "step_up",
      path: carriedPath(request, reauthMarker(deps.env, session, now, requestBinding(request))),
    };
  }

  const needed = requiredLevel(client, request.acrValues);
  if (!satisfies(levelOfSession(session), needed)) {
    if (silent)
      return { next: "error", error: { error: "interaction_required", description: "a stronger sign-in is required" } };
    // Back from "Confirm it is you" and still short: only a security key or passkey would do. Sending the
    // user round again would loop; the screen says what is needed instead.
    const path = carriedPath(request, reauthMarker(deps.env, session, now, requestBinding(request)));
    if (reauthenticated) return { next: "phishing_resistant_needed", retryPath: path };
    return { next: "step_up", path };
  }

  const [grant = null] = await grantStatement(deps, session.user.id, client.id);
  if (options.consenting) return { next: "allow", grant, session };
  if (!covers(grant, request.scope) || request.prompt.includes("consent")) {
    if (silent) return { next: "error", error: { error: "consent_required", description: "consent is required" } };
    return { next: "consent", grant };
  }
  return { next: "issue", grant, session };
}

export interface Requester {
  ip: string | null;
  userAgent: string | null;
}

/**
 * The fourth step, in one batch: the code (stored as its SHA-256, 60 seconds),
 * the session's login at the client (for back-channel logout), the grant's last
 * use and the `oidc.authorized` event. With `consent` (Allow on the consent
 * screen), the grant is written first in the same batch, with its own event:
 * a grant whose scopes grow gets a new id, and its access tokens follow it. The
 * code is written only while its grant exists (a Disconnect in between wins);
 * every later statement only if the code was.
 * Returns the redirect to the client, or null when the grant is gone.
 */
export async function issueCode(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId">,
  input: {
    session: CurrentSession;
    client: ClientOfRequest;
    request: AuthorizationRequest;
    grant: Grant | null;
    consent: boolean;
    requester: Requester;
  },
): Promise<string | null> {
  const { session, client, request, requester } = input;
  const now = deps.now();
  const userId = session.user.id;
  const code = randomToken();
  const codeHash = hashToken(code);
  const sub = pairwiseSubject(deps.env, sectorHostOf(client), userId);
  const acr = ACR[levelOfSession(session)];
  const scope = request.scope.join(" ");
  const audit = { actorUserId: userId, subjectUserId: userId, programId: client.programId, ...requester };

  const writes: BatchItem<"sqlite">[] = [];
  let grantId: string;
  if (input.consent) {
    const previous = input.grant;
    // A grant whose scopes grow is a new grant: a new id (OIDC Core §3.1.2.4 consent for what is new).
    grantId = covers(previous, request.scope) ? previous.id : `gr_${randomToken()}`;
    const allowed = [...new Set([...(previous ? scopesOf(previous) : []), ...request.scope])];
    const granted = SCOPES.filter((s) => allowed.includes(s)).join(" ");
    writes.push(
      deps.db
        .insert(oidcGrants)
        .values({ id: grantId, userId, clientId: client.id, scope: granted, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [oidcGrants.userId, oidcGrants.clientId],
          set: { id: grantId, scope: granted, updatedAt: now },
        }),
    );
    if (previous && previous.id !== grantId)
      writes.push(deps.db.update(oidcAccessTokens).set({ grantId }).where(eq(oidcAccessTokens.grantId, previous.id)));
    writes.push(
      auditInsert(deps, {
        ...audit,
        eventType: "oidc.consent_granted",
        outcome: "success",
        details: { clientId: client.id, scope: granted },
      }),
    );
  } else {
    if (!input.grant) return null;
    grantId = input.grant.id;
  }
  const codeWritten = sql`EXISTS (SELECT 1 FROM ${oidcAuthorizationCodes} WHERE ${oidcAuthorizationCodes.codeHash} = ${codeHash})`;
  const [authTime, expiresAt] = [authTimeOf(session).getTime(), now.getTime() + LIFETIMES.codeMs];
  const statements: BatchItem<"sqlite">[] = [
    ...writes,
    deps.db
      .insert(oidcAuthorizationCodes)
      .select(
        sql`SELECT ${codeHash}, ${client.id}, ${userId}, ${grantId}, ${session.sid}, ${sub}, ${request.redirectUri}, ${request.codeChallenge}, ${request.nonce}, ${scope}, ${authTime}, ${acr}, ${JSON.stringify(session.amr)}, ${now.getTime()}, ${expiresAt}, NULL, NULL
            WHERE EXISTS (SELECT 1 FROM ${oidcGrants} WHERE ${oidcGrants.id} = ${grantId} AND ${oidcGrants.userId} = ${userId} AND ${oidcGrants.clientId} = ${client.id})`,
      )
      .returning({ codeHash: oidcAuthorizationCodes.codeHash }),
    deps.db
      .insert(oidcLogins)
      .select(sql`SELECT ${session.sid}, ${client.id}, ${userId}, ${sub}, ${now.getTime()} WHERE ${codeWritten}`)
      .onConflictDoNothing(),
    deps.db
      .update(oidcGrants)
      .set({ lastUsedAt: now })
      .where(and(eq(oidcGrants.id, grantId), codeWritten)),
    auditInsert(
      deps,
      { ...audit, eventType: "oidc.authorized", outcome: "success", details: { clientId: client.id, acr, scope } },
      codeWritten,
    ),
  ];
  const results: unknown[] = await deps.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const inserted = results[writes.length] as { codeHash: string }[];
  if (inserted.length === 0) return null;
  const url = new URL(request.redirectUri);
  url.searchParams.set("code", code);
  url.searchParams.set("state", request.state);
  url.searchParams.set("iss", issuerOf(deps.env));
  return url.toString();
}

/** "Cancel" on the consent screen: the event, and the client is told `access_denied`. */
export async function refuseConsent(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId">,
  input: { session: CurrentSession; client: ClientOfRequest; request: AuthorizationRequest; requester: Requester },
): Promise<string> {
  const userId = input.session.user.id;
  await auditInsert(deps, {
    eventType: "oidc.consent_refused",
    outcome: "info",
    actorUserId: userId,
    subjectUserId: userId,
    programId: input.client.programId,
    ...input.requester,
    details: { clientId: input.client.id, scope: input.request.scope.join(" ") },
  });
  return errorRedirect(
    deps.env,
    input.request.redirectUri,
    { error: "access_denied", description: "the user did not allow it" },
    input.request.state,
  );
}
