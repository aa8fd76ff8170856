import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./common";
import { programs } from "./organizations";
import { users } from "./users";

/**
 * The programs' applications: OpenID Connect relying parties (SPEC 2.9,
 * docs/decisions/2026-12-08-openid-provider.md). Registered in Administration →
 * Applications; every change is an audit event with before and after.
 */
export const oidcClients = sqliteTable(
  "oidc_clients",
  {
    /** The Client ID the application is given ("sp-" and 26 base32 characters). */
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    programId: integer("program_id")
      .notNull()
      .references(() => programs.id),
    /** JSON array of absolute URIs, compared exactly (one host: the pairwise sector). */
    redirectUris: text("redirect_uris", { mode: "json" }).$type<string[]>().notNull(),
    /** JSON array of absolute URIs for RP-initiated logout, compared exactly. */
    postLogoutRedirectUris: text("post_logout_redirect_uris", { mode: "json" }).$type<string[]>().notNull(),
    backchannelLogoutUri: text("backchannel_logout_uri"),
    /** OIDC Core §4: where "Choose Your QualityNet Destination" sends a user of this program. */
    initiateLoginUri: text("initiate_login_uri"),
    /** The application's public keys (a JWK Set, JSON): its `private_key_jwt` assertions are checked against them. */
    jwks: text("jwks").notNull(),
    /** The least assurance a session must have to sign in to this application. */
    requiredAssurance: text("required_assurance", { enum: ["aal1", "aal2", "aal2_phishing_resistant"] })
      .notNull()
      .default("aal2"),
    /** The algorithm of its ID tokens (ES256 unless the application needs RS256). */
    idTokenSignedResponseAlg: text("id_token_signed_response_alg", { enum: ["ES256", "RS256"] })
      .notNull()
      .default("ES256"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
    createdByUserId: text("created_by_user_id").references(() => users.id),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [index("oidc_clients_program_idx").on(t.programId, t.status)],
);

/**
 * The portal's signing keys. The private key (PKCS #8) is sealed with AES-GCM
 * under OIDC_KEY_SECRET, a secret binding of its own, bound to its `kid`. A key
 * is published in the JWKS from `createdAt`, signs from `signsFrom` (a day
 * later, so every relying party's cached JWKS already has it), stops signing at
 * `retiredAt` (when its successor starts) and leaves the JWKS at `removeAfter`
 * (once every token it signed has expired).
 */
export const oidcSigningKeys = sqliteTable(
  "oidc_signing_keys",
  {
    kid: text("kid").primaryKey(),
    alg: text("alg", { enum: ["ES256", "RS256"] }).notNull(),
    /** The public JWK (JSON), as published. */
    publicJwk: text("public_jwk").notNull(),
    sealedPrivateKey: blob("sealed_private_key", { mode: "buffer" }).notNull(),
    createdAt: createdAt(),
    signsFrom: timestamp("signs_from").notNull(),
    retiredAt: timestamp("retired_at"),
    removeAfter: timestamp("remove_after"),
  },
  (t) => [index("oidc_signing_keys_alg_idx").on(t.alg, t.signsFrom)],
);

/**
 * Consent: a user allowed an application to know who they are, with these
 * scopes. "Connected Applications" lists these rows; "Disconnect" deletes the
 * row, and every access token issued under it stops working (tokens carry the
 * grant's id). A grant whose scopes grow gets a new id after consent again.
 */
export const oidcGrants = sqliteTable(
  "oidc_grants",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => oidcClients.id, { onDelete: "cascade" }),
    /** Space-separated scopes the user allowed. */
    scope: text("scope").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at").notNull(),
    /** Last sign-in to the application under this grant (shown in Connected Applications). */
    lastUsedAt: timestamp("last_used_at"),
  },
  (t) => [uniqueIndex("oidc_grants_user_client_unique").on(t.userId, t.clientId)],
);

/**
 * Authorization codes: single-use (redeemed in one conditional UPDATE), 60
 * seconds, stored as SHA-256. Everything the ID token says about the
 * authentication is fixed here, when the code is issued.
 */
export const oidcAuthorizationCodes = sqliteTable(
  "oidc_authorization_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    clientId: text("client_id")
      .notNull()
      .references(() => oidcClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    grantId: text("grant_id").notNull(),
    /** The portal session's stable id (sessions.sid): the ID token's `sid`. */
    sid: text("sid").notNull(),
    /** The pairwise subject for this client. */
    sub: text("sub").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    /** BASE64URL(SHA-256(code_verifier)); only S256 is accepted. */
    codeChallenge: text("code_challenge").notNull(),
    nonce: text("nonce").notNull(),
    scope: text("scope").notNull(),
    authTime: timestamp("auth_time").notNull(),
    acr: text("acr").notNull(),
    /** JSON array of RFC 8176 values. */
    amr: text("amr", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    redeemedAt: timestamp("redeemed_at"),
    /** A random mark of the token request that redeemed the code (its batch's later statements key on it). */
    redeemedBy: text("redeemed_by"),
  },
  (t) => [
    index("oidc_authorization_codes_expires_idx").on(t.expiresAt),
    // The session-end trigger finds the access tokens a session's codes issued (migration 0018).
    index("oidc_authorization_codes_sid_idx").on(t.sid),
  ],
);

/** Bearer access tokens for userinfo, stored as SHA-256; deleted when their code is reused or their grant revoked. */
export const oidcAccessTokens = sqliteTable(
  "oidc_access_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    codeHash: text("code_hash").notNull(),
    grantId: text("grant_id").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => oidcClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sub: text("sub").notNull(),
    scope: text("scope").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (t) => [
    index("oidc_access_tokens_code_idx").on(t.codeHash),
    index("oidc_access_tokens_grant_idx").on(t.grantId),
    index("oidc_access_tokens_expires_idx").on(t.expiresAt),
  ],
);

/** `jti` of every `private_key_jwt` assertion seen, until it expires: a replay is refused by the primary key. */
export const oidcClientAssertions = sqliteTable(
  "oidc_client_assertions",
  {
    clientId: text("client_id").notNull(),
    jti: text("jti").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
    /** A random mark of the token request that claimed this jti. */
    claimedBy: text("claimed_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.jti] }), index("oidc_client_assertions_expires_idx").on(t.expiresAt)],
);

/**
 * Which applications a portal session has signed in to (written with the code):
 * when the session ends, for whatever reason, a trigger (migration 0017) turns
 * these rows into back-channel logout deliveries.
 */
export const oidcLogins = sqliteTable(
  "oidc_logins",
  {
    sid: text("sid").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => oidcClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sub: text("sub").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.sid, t.clientId] }), index("oidc_logins_user_idx").on(t.userId)],
);

/**
 * Back-channel logout tokens to deliver (an outbox, like email's): written by
 * the trigger in the same statement that ends a session, handed to the logout
 * queue, delivered with retries; a delivery that fails every retry stays here
 * with `failedAt` and its last error for an administrator to see.
 */
export const oidcLogoutDeliveries = sqliteTable(
  "oidc_logout_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    clientId: text("client_id").notNull(),
    sub: text("sub").notNull(),
    sid: text("sid").notNull(),
    createdAt: createdAt(),
    claimedAt: timestamp("claimed_at"),
    queuedAt: timestamp("queued_at"),
    attempts: integer("attempts").notNull().default(0),
    deliveredAt: timestamp("delivered_at"),
    failedAt: timestamp("failed_at"),
    lastError: text("last_error"),
  },
  (t) => [index("oidc_logout_deliveries_unqueued_idx").on(t.id).where(sql`queued_at IS NULL`)],
);
