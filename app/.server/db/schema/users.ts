import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./common";

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** The "User ID" people type to sign in, e.g. THOMTY64; stored upper case. */
    loginId: text("login_id").notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    /** Lower-cased so uniqueness is case-insensitive. */
    email: text("email").notNull(),
    phone: text("phone"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    mfaFailures: integer("mfa_failures").notNull().default(0),
    mfaLockedUntil: timestamp("mfa_locked_until"),
    /** Identity proofing passed (by the provider or the help desk). */
    identityVerifiedAt: timestamp("identity_verified_at"),
    enrollmentCompletedAt: timestamp("enrollment_completed_at"),
    /**
     * Set after a password reset proven only by weak factors (emailed code,
     * challenge questions): until then no device, email, request, approval or
     * administration changes (docs/decisions: assurance model).
     */
    restrictedUntil: timestamp("restricted_until"),
    /** The account waits for the help desk ("This wasn't me" after a weak reset, or 100 wrong codes). */
    heldAt: timestamp("held_at"),
    heldReason: text("held_reason", { enum: ["reported_not_me", "mfa_failures"] }),
    /** Set by every new session: the inactivity job (60 days) and approvers' screens read it. */
    lastSignInAt: timestamp("last_sign_in_at"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [uniqueIndex("users_login_id_unique").on(t.loginId), uniqueIndex("users_email_unique").on(t.email)],
);

export const passwordCredentials = sqliteTable("password_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /** `scrypt$N$r$p$salt$hash`: parameters travel with the hash so they can be raised later. */
  hash: text("hash").notNull(),
  isTemporary: integer("is_temporary", { mode: "boolean" }).notNull().default(false),
  /** Temporary passwords expire (7 days); permanent ones have no expiry (NIST 800-63B). */
  expiresAt: timestamp("expires_at"),
  changedAt: timestamp("changed_at").notNull(),
});

export const mfaDevices = sqliteTable(
  "mfa_devices",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["totp", "webauthn", "email"] }).notNull(),
    name: text("name").notNull(),
    /** Short id shown to the user as "Credential ID". */
    credentialLabel: text("credential_label").notNull(),
    /** AES-GCM ciphertext of the TOTP key (iv || ciphertext), never the key itself. */
    totpSecretEnc: blob("totp_secret_enc", { mode: "buffer" }),
    /** Last accepted 30-second step: a code is never accepted twice. */
    totpLastStep: integer("totp_last_step"),
    webauthnCredentialId: text("webauthn_credential_id"),
    webauthnPublicKey: blob("webauthn_public_key", { mode: "buffer" }),
    webauthnCounter: integer("webauthn_counter"),
    webauthnTransports: text("webauthn_transports"),
    createdAt: createdAt(),
    /** Null until the user proves the device works; unconfirmed devices never count. */
    confirmedAt: timestamp("confirmed_at"),
    lastUsedAt: timestamp("last_used_at"),
  },
  (t) => [
    index("mfa_devices_user_idx").on(t.userId),
    uniqueIndex("mfa_devices_webauthn_credential_unique").on(t.webauthnCredentialId),
  ],
);

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the cookie value: a database leak yields no usable session. */
    idHash: text("id_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at").notNull(),
    /** Absolute limit, whatever the activity. */
    expiresAt: timestamp("expires_at").notNull(),
    /**
     * How the session was established: "password" (no device yet, enrollment
     * only), "weak" (an emailed code or the challenge questions), "strong" (an
     * authenticator app, security key, passkey or recovery code).
     */
    assurance: text("assurance", { enum: ["password", "weak", "strong"] })
      .notNull()
      .default("password"),
    /** When a strong factor was last proven in this session (sensitive actions need it within 15 minutes). */
    strongFactorAt: timestamp("strong_factor_at"),
    /**
     * What this session proved besides the password, so that it may bind the account's first MFA device
     * (docs/decisions/2026-12-07-recovery-model.md): the identity proofing it completed, or the re-enrollment
     * link Reset MFA emailed. Null: the password alone, which never binds a first device.
     */
    firstDeviceProof: text("first_device_proof", { enum: ["identity_proofing", "reenrollment_link"] }),
    /** When an MFA device was bound in this session (enrollment's end may issue recovery codes in it). */
    deviceBoundAt: timestamp("device_bound_at"),
    /**
     * The session's stable id (the cookie's hash changes on every rotation): the
     * `sid` of ID and logout tokens. Null only for sessions older than migration 0017.
     */
    sid: text("sid"),
    /** How this session was authenticated, as RFC 8176 values (JSON array): the ID token's `amr`. */
    amr: text("amr", { mode: "json" }).$type<string[]>(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    location: text("location"),
  },
  (t) => [index("sessions_user_idx").on(t.userId), uniqueIndex("sessions_sid_unique").on(t.sid)],
);

export const challengeAnswers = sqliteTable(
  "challenge_answers",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    questionKey: text("question_key").notNull(),
    /** Normalised answer, hashed like a password. */
    answerHash: text("answer_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("challenge_answers_user_question_unique").on(t.userId, t.questionKey)],
);

export const identityVerifications = sqliteTable(
  "identity_verifications",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    status: text("status", { enum: ["in_progress", "checking", "verified", "failed", "manual_review"] }).notNull(),
    /** 1..6, so enrollment resumes where it stopped. */
    step: integer("step").notNull().default(1),
    /** Step answers without SSN digits (only a keyed hash of the last four is kept). */
    dataJson: text("data_json").notNull().default("{}"),
    providerReference: text("provider_reference"),
    startedAt: timestamp("started_at").notNull(),
    completedAt: timestamp("completed_at"),
  },
  (t) => [index("identity_verifications_user_idx").on(t.userId, t.startedAt)],
);

/**
 * The Terms and Conditions, as administrators publish them (Markdown, rendered
 * without raw HTML). The newest `published_at` is in force; an acceptance of any
 * other version no longer counts, so everyone accepts the new one at their next sign-in.
 */
export const termsVersions = sqliteTable(
  "terms_versions",
  {
    version: text("version").primaryKey(),
    bodyMarkdown: text("body_markdown").notNull(),
    publishedAt: timestamp("published_at").notNull(),
    publishedByUserId: text("published_by_user_id").references(() => users.id),
  },
  (t) => [index("terms_versions_published_idx").on(t.publishedAt)],
);

export const termsAcceptances = sqliteTable(
  "terms_acceptances",
  {
    id: text("id").primaryKey(),
    /** Null until the person who accepted signs in; then linked to their account. */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    termsVersion: text("terms_version").notNull(),
    programCode: text("program_code"),
    acceptedAt: timestamp("accepted_at").notNull(),
  },
  (t) => [index("terms_acceptances_user_idx").on(t.userId)],
);

export const rateLimits = sqliteTable("rate_limits", {
  /** e.g. `signin:ip:203.0.113.7`; one fixed window per key. */
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  windowStartsAt: timestamp("window_starts_at").notNull(),
});

/** Browsers a user has signed in from (a hashed random cookie id): a new one triggers an email. */
export const knownDevices = sqliteTable(
  "known_devices",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    deviceHash: text("device_hash").notNull(),
    firstSeenAt: timestamp("first_seen_at").notNull(),
    lastSeenAt: timestamp("last_seen_at").notNull(),
    /** Set by a strong sign-in from this browser: it may still sign in while its address is locked out. */
    trustedAt: timestamp("trusted_at"),
  },
  (t) => [uniqueIndex("known_devices_user_device_unique").on(t.userId, t.deviceHash)],
);

/**
 * Single-use tokens sent by email (password reset, "This wasn't me"), stored as
 * SHA-256 so a database copy cannot be used to reset anyone's password.
 */
export const emailTokens = sqliteTable(
  "email_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["password_reset", "not_me", "weak_reset_not_me", "reenrollment"] }).notNull(),
    expiresAt: timestamp("expires_at").notNull(),
    usedAt: timestamp("used_at"),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [index("email_tokens_user_idx").on(t.userId)],
);

/** Ten single-use recovery codes per user, hashed; a new set replaces the old one. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: timestamp("used_at"),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

/**
 * Emailed codes: the "Email" MFA device's codes and the "One-Time Security Code"
 * sent after the challenge questions. Hashed, short-lived, limited tries.
 */
export const oneTimeCodes = sqliteTable(
  "one_time_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["email_mfa", "challenge_recovery", "email_enrollment"] }).notNull(),
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: timestamp("expires_at").notNull(),
    usedAt: timestamp("used_at"),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [index("one_time_codes_user_idx").on(t.userId, t.purpose, t.createdAt)],
);

/** WebAuthn challenges: single use, five minutes. */
export const webauthnChallenges = sqliteTable("webauthn_challenges", {
  id: text("id").primaryKey(),
  /** Null for a passkey sign-in, where the user is not known yet. */
  userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
  purpose: text("purpose", { enum: ["register", "authenticate"] }).notNull(),
  challenge: text("challenge").notNull(),
  expiresAt: timestamp("expires_at").notNull(),
  usedAt: timestamp("used_at"),
});

/** Proofing reviews: applicants who used up their proofing attempts ask the help desk to verify them by hand. */
export const proofingReviews = sqliteTable(
  "proofing_reviews",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["open", "verified", "rejected"] })
      .notNull()
      .default("open"),
    note: text("note").notNull().default(""),
    createdAt: timestamp("created_at").notNull(),
    decidedByUserId: text("decided_by_user_id").references(() => users.id),
    decidedAt: timestamp("decided_at"),
    /** On approval, the evidence the decider checked: a document type (see PROOFING_EVIDENCE_TYPES)… */
    evidenceType: text("evidence_type"),
    /** …and the last four characters of its number (never the whole number). */
    evidenceLast4: text("evidence_last4"),
    /** On denial, the reason, as emailed to the person. */
    denialReason: text("denial_reason"),
  },
  (t) => [index("proofing_reviews_status_idx").on(t.status, t.createdAt)],
);
