import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI } from "@oslojs/otp";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { and, count, desc, eq, gt, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { RenameDeviceInput, TotpConfirmInput } from "~/lib/enrollment-schemas";
import { formatTime } from "~/lib/format";
import {
  MFA_DEVICE_TYPES,
  type MfaKind,
  normaliseRecovery,
  RECOVERY_LENGTH,
  SECOND_FACTOR_TYPES,
  type SecondFactorType,
  STRONG_TYPES,
} from "~/lib/mfa";
import { type Actor, can } from "../access/authorize";
import { auditInsert, recordAuditEvent } from "../audit/record";
import { mfaDevices, oneTimeCodes, recoveryCodes, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, outboxEmail, outboxInsert } from "../mail/outbox";
import { fail, ok, type Refused, type Result, refused } from "../result";
import { hitRateLimit } from "./rate-limit";
import { openSecret, sealSecret } from "./secret-box";
import { hashToken, timingSafeEqualString } from "./tokens";
import { totpAssociatedData, verifyTotpDevice } from "./totp";
import { verifyAuthentication } from "./webauthn";

function parseAssertion(value: string): { challengeId: string; response: AuthenticationResponseJSON } | null {
  try {
    const parsed = JSON.parse(value) as { challengeId?: unknown; response?: { id?: unknown } };
    if (typeof parsed.challengeId !== "string" || typeof parsed.response?.id !== "string") return null;
    return parsed as { challengeId: string; response: AuthenticationResponseJSON };
  } catch {
    return null;
  }
}

type User = typeof users.$inferSelect;

/**
 * Wrong codes are counted over the account's life, not reset by a lock (NIST
 * SP 800-63B §5.2.2): every 10th in a row locks codes, each lock twice as long
 * as the one before (10 minutes, 20, 40 … at most a day), and the 100th puts
 * the account on hold for the help desk. Only a right code resets the count.
 */
export const MFA_FAILURES_PER_LOCK = 10;
export const MFA_HARD_STOP = 100;
export const MFA_FIRST_LOCK_MS = 10 * 60 * 1000;
const MFA_MAX_LOCK_MS = 24 * 60 * 60 * 1000;
export const mfaLockDuration = (failures: number) =>
  Math.min(MFA_FIRST_LOCK_MS * 2 ** (Math.floor(failures / MFA_FAILURES_PER_LOCK) - 1), MFA_MAX_LOCK_MS);
/** Emailed codes: 6 digits, 10 minutes, 5 tries, at most 3 sends per 15 minutes. */
export const EMAIL_CODE_TTL_MS = 10 * 60 * 1000;
export const EMAIL_CODE_MAX_TRIES = 5;
export const EMAIL_CODE_SENDS = { limit: 3, windowMs: 15 * 60 * 1000 };
/** A code sent less than a minute ago stays valid when another is sent (emails cross in flight). */
export const EMAIL_CODE_GRACE_MS = 60 * 1000;
/** All requesters together: at most this many codes a day to one person, so nobody can mail-bomb them. */
export const EMAIL_CODE_DAILY = { limit: 20, windowMs: 24 * 60 * 60 * 1000 };
export const RECOVERY_CODE_COUNT = 10;

const ISSUER = "CMS QualityNet";

export function shortLabel(prefix: string): string {
  return `${prefix}-${encodeBase32UpperCaseNoPadding(crypto.getRandomValues(new Uint8Array(4))).slice(0, 6)}`;
}

/** Devices the user has proven, newest first. */
/** The query (await it, or put it in a batch). */
export function listDevices(deps: Pick<Deps, "db">, userId: string) {
  return deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.userId, userId), isNotNull(mfaDevices.confirmedAt)))
    .orderBy(desc(mfaDevices.createdAt));
}

export async function confirmedKinds(deps: Pick<Deps, "db">, userId: string): Promise<MfaKind[]> {
  const devices = await listDevices(deps, userId);
  return [...new Set(devices.map((d) => d.kind))].filter((k): k is MfaKind => k in MFA_DEVICE_TYPES).sort();
}

// ---------------------------------------------------------------- TOTP

/** Starts adding an authenticator app: a new key, kept encrypted until the user proves it. */
export async function beginTotpEnrollment(deps: Pick<Deps, "db" | "env" | "now">, userId: string, name: string) {
  const id = crypto.randomUUID();
  const key = crypto.getRandomValues(new Uint8Array(20));
  await deps.db.insert(mfaDevices).values({
    id,
    userId,
    kind: "totp",
    name: name.trim() || "Authenticator app",
    credentialLabel: shortLabel("TOTP"),
    totpSecretEnc: Buffer.from(await sealSecret(deps.env.TOTP_ENCRYPTION_KEY, key, totpAssociatedData(id))),
    createdAt: deps.now(),
  });
  return id;
}

/** What the set-up screen shows for a pending authenticator app: the key as text and as a QR URI. */
export async function pendingTotp(
  deps: Pick<Deps, "db" | "env">,
  user: Pick<User, "id" | "loginId">,
  deviceId: string,
) {
  const device = await deps.db
    .select()
    .from(mfaDevices)
    .where(
      and(
        eq(mfaDevices.id, deviceId),
        eq(mfaDevices.userId, user.id),
        eq(mfaDevices.kind, "totp"),
        isNull(mfaDevices.confirmedAt),
      ),
    )
    .get();
  if (!device?.totpSecretEnc) return null;
  const key = await openSecret(
    deps.env.TOTP_ENCRYPTION_KEY,
    new Uint8Array(device.totpSecretEnc),
    totpAssociatedData(device.id),
  );
  return {
    device,
    secretBase32: encodeBase32UpperCaseNoPadding(key),
    uri: createTOTPKeyURI(ISSUER, user.loginId, key, 30, 6),
  };
}

/** Proves a pending authenticator app with a code from it; the device then counts. */
export async function confirmTotpEnrollment(
  deps: Deps,
  user: User,
  { deviceId, code }: Pick<TotpConfirmInput, "deviceId" | "code">,
  client: { ip: string | null },
): Promise<Result<{ firstDevice: boolean }, "not_found" | "invalid">> {
  const pending = await deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id), isNull(mfaDevices.confirmedAt)))
    .get();
  if (!pending) return fail("not_found");
  if (!(await verifyTotpDevice(deps, pending, code))) {
    await recordAuditEvent(deps, {
      eventType: "mfa.enroll_failed",
      outcome: "failure",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
      details: { kind: "totp" },
    });
    return fail("invalid", { field: "code" });
  }
  return ok(await confirmDevice(deps, user, deviceId, "totp", client));
}

/** Marks a device proven, records it, emails the owner; the first one completes enrollment's MFA part. */
export async function confirmDevice(
  deps: Deps,
  user: User,
  deviceId: string,
  kind: MfaKind,
  client: { ip: string | null },
) {
  const before = await listDevices(deps, user.id);
  const email = await outboxEmail(deps, {
    template: "mfa_device_changed",
    to: user.email,
    idempotencyKey: `mfa_device_changed:added:${deviceId}`,
    data: { firstName: user.firstName, change: "added", device: MFA_DEVICE_TYPES[kind], when: formatTime(deps.now()) },
  });
  // Checked before the update in the same batch: the audit event and the email
  // exist only if this batch is the one that confirms the device.
  const pending = sql`EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.id} = ${deviceId} AND ${mfaDevices.userId} = ${user.id} AND ${mfaDevices.confirmedAt} IS NULL)`;
  await deps.db.batch([
    auditInsert(
      deps,
      {
        eventType: "mfa.device_added",
        outcome: "success",
        subjectUserId: user.id,
        actorUserId: user.id,
        ip: client.ip,
        details: { kind, deviceId },
      },
      pending,
    ),
    outboxInsert(deps, email, pending),
    deps.db
      .update(mfaDevices)
      .set({ confirmedAt: deps.now() })
      .where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id), isNull(mfaDevices.confirmedAt))),
  ]);
  await drainAfterWrite(deps, [email]);
  return { firstDevice: before.length === 0 };
}

/** The strong factors this user can prove now: the step-up screen offers only these. */
export async function strongFactorsOf(deps: Pick<Deps, "db">, userId: string): Promise<SecondFactorType[]> {
  const [kinds, codesLeft] = await Promise.all([confirmedKinds(deps, userId), remainingRecoveryCodes(deps, userId)]);
  return STRONG_TYPES.filter((t) => (t === "recovery" ? codesLeft > 0 : (kinds as string[]).includes(t)));
}

// ---------------------------------------------------------------- recovery codes

/**
 * 28 characters of a 32-letter alphabet: 140 random bits, above NIST SP
 * 800-63B §5.1.2.2's 112, so a plain SHA-256 is a sufficient one-way hash (a
 * shorter code would need a salted, slow KDF). Crockford's alphabet: no I, L, O
 * or U to misread.
 */
const RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function recoveryCode(): string {
  // 256 is a multiple of 32: every letter equally likely.
  const chars = Array.from(
    crypto.getRandomValues(new Uint8Array(RECOVERY_LENGTH)),
    (b) => RECOVERY_ALPHABET[b % 32],
  ).join("");
  return chars.match(/.{4}/g)!.join("-");
}

/**
 * Ten new codes, replacing any earlier set. Shown once: only hashes are kept.
 * Codes are a strong factor, so every path that issues them asks
 * `can(actor, "recovery_codes.issue")` (a fresh strong factor, or enrollment's
 * end in the session that bound the device): a weak session cannot mint its own.
 * It cannot fail otherwise: the outcome is the codes or the standard `refused`.
 */
export async function issueRecoveryCodes(
  deps: Deps,
  actor: Actor,
  user: User,
  client: { ip: string | null },
): Promise<{ ok: true; value: string[] } | Refused> {
  const decision = can(actor, "recovery_codes.issue", { ownerUserId: user.id }, deps.now());
  if (!decision.ok) return refused(decision);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
  const now = deps.now();
  await deps.db.batch([
    deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    deps.db.insert(recoveryCodes).values(
      codes.map((c) => ({
        id: crypto.randomUUID(),
        userId: user.id,
        codeHash: hashToken(normaliseRecovery(c)),
        createdAt: now,
      })),
    ),
    auditInsert(deps, {
      eventType: "mfa.recovery_codes_issued",
      outcome: "success",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
    }),
  ]);
  return ok(codes);
}

export async function remainingRecoveryCodes(deps: Pick<Deps, "db">, userId: string): Promise<number> {
  const [row] = await remainingRecoveryCodesQuery(deps, userId);
  return row?.n ?? 0;
}

/** The query behind {@link remainingRecoveryCodes}, for a batch. */
export function remainingRecoveryCodesQuery(deps: Pick<Deps, "db">, userId: string) {
  return deps.db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
}

/**
 * Spends a recovery code. The email that says so (with how many are left) is
 * written in the same batch as the spending, and only if this batch spends it.
 */
async function redeemRecoveryCode(deps: Deps, user: User, code: string): Promise<boolean> {
  const unused = and(eq(recoveryCodes.userId, user.id), isNull(recoveryCodes.usedAt));
  const [matches, [unusedCount]] = await deps.db.batch([
    deps.db
      .select({ id: recoveryCodes.id })
      .from(recoveryCodes)
      .where(and(unused, eq(recoveryCodes.codeHash, hashToken(normaliseRecovery(code))))),
    deps.db.select({ n: count() }).from(recoveryCodes).where(unused),
  ]);
  const match = matches[0];
  if (!match) return false;
  const email = await outboxEmail(deps, {
    template: "recovery_code_used",
    to: user.email,
    idempotencyKey: `recovery_code_used:${match.id}`,
    data: { firstName: user.firstName, when: formatTime(deps.now()), remaining: String((unusedCount?.n ?? 1) - 1) },
  });
  // Checked before the update in the same batch: the email exists only if this batch spends the code.
  const stillUnused = sql`EXISTS (SELECT 1 FROM ${recoveryCodes} WHERE ${recoveryCodes.id} = ${match.id} AND ${recoveryCodes.usedAt} IS NULL)`;
  const [, used] = await deps.db.batch([
    outboxInsert(deps, email, stillUnused),
    deps.db
      .update(recoveryCodes)
      .set({ usedAt: deps.now() })
      .where(and(eq(recoveryCodes.id, match.id), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id }),
  ]);
  if (used.length === 0) return false;
  await drainAfterWrite(deps, [email]);
  return true;
}

// ---------------------------------------------------------------- emailed codes

function sixDigits(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000).padStart(6, "0");
}

export type CodePurpose = (typeof oneTimeCodes.$inferInsert)["purpose"];

/**
 * Who asks for a code: the owner in a session of their own, or someone at a
 * client (address /64 or known browser) before signing in. Each requester has
 * their own budget, so a stranger cannot use up the owner's sends.
 */
export type CodeRequester = { kind: "owner" } | { kind: "client"; key: string };

/**
 * Emails a 6-digit code (valid 10 minutes). At most 3 sends per 15 minutes per
 * user, purpose and requester, and 20 a day per user from requesters other than
 * the owner. A new code voids the earlier ones, except one sent in the last
 * minute (it may still be on its way).
 */
export async function sendEmailCode(
  deps: Deps,
  user: User,
  purpose: CodePurpose,
  requester: CodeRequester = { kind: "owner" },
): Promise<Result<null, "throttled" | "throttled_today">> {
  const now = deps.now();
  const who = requester.kind === "owner" ? "owner" : requester.key;
  const budget = await hitRateLimit(deps, `code-send:${user.id}:${purpose}:${who}`, EMAIL_CODE_SENDS);
  if (!budget.allowed) return fail("throttled");
  if (requester.kind !== "owner") {
    // Refused silently by the caller's same-for-everyone answer; the owner's own sends are not affected.
    const daily = await hitRateLimit(deps, `code-send:${user.id}:strangers`, EMAIL_CODE_DAILY);
    if (!daily.allowed) return fail("throttled_today");
  }
  const code = sixDigits();
  const email = await outboxEmail(deps, {
    template: "security_code",
    to: user.email,
    data: {
      firstName: user.firstName,
      code,
      minutes: "10",
      kind: purpose === "challenge_recovery" ? "One-Time Security Code" : "security code",
    },
  });
  // The code, its audit event and the email that carries it: one batch.
  await deps.db.batch([
    deps.db
      .update(oneTimeCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(oneTimeCodes.userId, user.id),
          eq(oneTimeCodes.purpose, purpose),
          isNull(oneTimeCodes.usedAt),
          lte(oneTimeCodes.createdAt, new Date(now.getTime() - EMAIL_CODE_GRACE_MS)),
        ),
      ),
    deps.db.insert(oneTimeCodes).values({
      id: crypto.randomUUID(),
      userId: user.id,
      purpose,
      codeHash: hashToken(`${user.id}:${code}`),
      expiresAt: new Date(now.getTime() + EMAIL_CODE_TTL_MS),
      createdAt: now,
    }),
    auditInsert(deps, { eventType: "mfa.code_sent", outcome: "info", subjectUserId: user.id, details: { purpose } }),
    outboxInsert(deps, email),
  ]);
  await drainAfterWrite(deps, [email]);
  return ok(null);
}

/**
 * Checks an emailed code against the live ones (unused, unexpired, under 5
 * tries). Each try is counted on every live code in one statement before the
 * comparison, so parallel guesses cannot exceed the 5 tries.
 */
export async function verifyEmailCode(
  deps: Pick<Deps, "db" | "now">,
  userId: string,
  purpose: CodePurpose,
  code: string,
): Promise<boolean> {
  const now = deps.now();
  const candidates = await deps.db
    .update(oneTimeCodes)
    .set({ attempts: sql`${oneTimeCodes.attempts} + 1` })
    .where(
      and(
        eq(oneTimeCodes.userId, userId),
        eq(oneTimeCodes.purpose, purpose),
        isNull(oneTimeCodes.usedAt),
        gt(oneTimeCodes.expiresAt, now),
        lt(oneTimeCodes.attempts, EMAIL_CODE_MAX_TRIES),
      ),
    )
    .returning({ id: oneTimeCodes.id, codeHash: oneTimeCodes.codeHash });
  const given = hashToken(`${userId}:${code.replace(/\s+/g, "")}`);
  const match = candidates.find((c) => timingSafeEqualString(c.codeHash, given));
  if (!match) return false;
  const [used] = await deps.db
    .update(oneTimeCodes)
    .set({ usedAt: now })
    .where(and(eq(oneTimeCodes.id, match.id), isNull(oneTimeCodes.usedAt)))
    .returning({ id: oneTimeCodes.id });
  return Boolean(used);
}

// ---------------------------------------------------------------- second factor at sign-in

/**
 * Claims one code attempt before the code is checked (one statement): refused
 * while codes are locked, once a lock is due but not yet set, and for good at
 * the hard stop. An expired lock is cleared by the claim that passes it.
 */
async function claimCodeAttempt(
  deps: Pick<Deps, "db" | "now">,
  userId: string,
): Promise<{ ok: true; failures: number } | { ok: false; until: Date | null; held: boolean }> {
  const now = deps.now();
  const [row] = await deps.db
    .update(users)
    .set({ mfaFailures: sql`${users.mfaFailures} + 1`, mfaLockedUntil: null })
    .where(
      and(
        eq(users.id, userId),
        isNull(users.heldAt),
        lt(users.mfaFailures, MFA_HARD_STOP),
        or(isNull(users.mfaLockedUntil), lte(users.mfaLockedUntil, now)),
        or(
          sql`${users.mfaFailures} % ${MFA_FAILURES_PER_LOCK} != 0`,
          eq(users.mfaFailures, 0),
          isNotNull(users.mfaLockedUntil),
        ),
      ),
    )
    .returning({ failures: users.mfaFailures });
  if (row) return { ok: true, failures: row.failures };
  const current = await deps.db
    .select({ until: users.mfaLockedUntil, heldAt: users.heldAt, failures: users.mfaFailures })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  const held = Boolean(current?.heldAt) || (current?.failures ?? 0) >= MFA_HARD_STOP;
  return { ok: false, held, until: current?.until ?? new Date(now.getTime() + MFA_FIRST_LOCK_MS) };
}

/** The 10th, 20th … wrong code in a row: lock (or hold, at 100), record it, tell the owner. */
async function lockCodes(deps: Deps, user: User, failures: number) {
  const now = deps.now();
  const held = failures >= MFA_HARD_STOP;
  const until = new Date(now.getTime() + mfaLockDuration(failures));
  // A code lock means the password is known: the owner must hear of it. The
  // lock, its audit event and the email are one batch (only the claim that
  // reached this count gets here, so no guard is needed).
  const email = await outboxEmail(deps, {
    template: "mfa_locked",
    to: user.email,
    data: { firstName: user.firstName, lockedUntil: formatTime(until), held: held ? "yes" : "no" },
  });
  await deps.db.batch([
    deps.db
      .update(users)
      .set(held ? { heldAt: now, heldReason: "mfa_failures", mfaLockedUntil: until } : { mfaLockedUntil: until })
      .where(eq(users.id, user.id)),
    auditInsert(deps, {
      eventType: held ? "account.held" : "mfa.locked",
      outcome: "info",
      subjectUserId: user.id,
      details: { failures, until: until.toISOString(), reason: held ? "mfa_failures" : undefined },
    }),
    outboxInsert(deps, email),
  ]);
  await drainAfterWrite(deps, [email]);
  return { held, until };
}

/**
 * Verifies a second factor at sign-in, step-up or a password reset. `allowed`
 * limits the types (step-up takes only strong ones). A type the user does not
 * have fails exactly like a wrong code.
 */
export async function verifySecondFactor(
  deps: Deps,
  user: User,
  type: string | null,
  code: string,
  options: { allowed?: readonly SecondFactorType[] } = {},
): Promise<Result<{ kind: SecondFactorType }, "invalid" | "mfa_locked">> {
  const claim = await claimCodeAttempt(deps, user.id);
  // Locked until `until`, or `held` for the help desk (the screen words it).
  if (!claim.ok) return fail("mfa_locked", { detail: { held: claim.held, until: claim.until ?? deps.now() } });
  const trimmed = code.trim();
  const allowed = options.allowed ?? SECOND_FACTOR_TYPES;
  let okKind: SecondFactorType | null = null;
  if (trimmed && type && (allowed as readonly string[]).includes(type)) {
    if (type === "totp") {
      for (const device of (await listDevices(deps, user.id)).filter((d) => d.kind === "totp")) {
        if (await verifyTotpDevice(deps, device, trimmed)) {
          okKind = "totp";
          break;
        }
      }
    } else if (type === "email" && (await confirmedKinds(deps, user.id)).includes("email")) {
      if (await verifyEmailCode(deps, user.id, "email_mfa", trimmed)) okKind = "email";
    } else if (type === "otc") {
      if (await verifyEmailCode(deps, user.id, "challenge_recovery", trimmed)) okKind = "otc";
    } else if (type === "recovery") {
      if (await redeemRecoveryCode(deps, user, trimmed)) okKind = "recovery";
    } else if (type === "webauthn") {
      // The browser's assertion, sent in the code field by the page's script.
      const assertion = parseAssertion(trimmed);
      if (assertion && (await verifyAuthentication(deps, assertion, user.id)).ok) okKind = "webauthn";
    }
  }
  if (okKind) {
    await deps.db.update(users).set({ mfaFailures: 0, mfaLockedUntil: null }).where(eq(users.id, user.id));
    return ok({ kind: okKind });
  }
  if (claim.failures % MFA_FAILURES_PER_LOCK === 0) {
    const lock = await lockCodes(deps, user, claim.failures);
    return fail("mfa_locked", { detail: { held: lock.held, until: lock.until } });
  }
  return fail("invalid");
}

// ---------------------------------------------------------------- device management

export async function renameDevice(
  deps: Deps,
  user: User,
  { deviceId, name }: Pick<RenameDeviceInput, "deviceId" | "name">,
): Promise<Result<null, "not_found">> {
  const [renamed] = await deps.db
    .update(mfaDevices)
    .set({ name })
    .where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id)))
    .returning({ id: mfaDevices.id });
  // Another user's device (or none): nothing changed, nothing to record.
  if (!renamed) return fail("not_found", { field: "name" });
  await recordAuditEvent(deps, {
    eventType: "mfa.device_renamed",
    outcome: "success",
    subjectUserId: user.id,
    actorUserId: user.id,
    details: { deviceId },
  });
  return ok(null);
}

/**
 * Removes a device (the caller has checked `can(actor, "device.remove")`, which
 * needs a fresh strong factor). Never the last device; for someone who
 * approves others, never the last strong one (they must keep AAL2).
 */
export async function removeDevice(
  deps: Deps,
  user: User,
  deviceId: string,
  client: { ip: string | null },
  options: { keepStrongDevice: boolean },
): Promise<Result<null, "not_found" | "last_device" | "last_strong_device">> {
  const devices = await listDevices(deps, user.id);
  const target = devices.find((d) => d.id === deviceId);
  if (!target) return fail("not_found");
  if (devices.length <= 1) return fail("last_device");
  const strongLeft = devices.filter((d) => d.id !== deviceId && d.kind !== "email").length;
  if (options.keepStrongDevice && strongLeft === 0) return fail("last_strong_device");
  const email = await outboxEmail(deps, {
    template: "mfa_device_changed",
    to: user.email,
    idempotencyKey: `mfa_device_changed:removed:${deviceId}`,
    data: {
      firstName: user.firstName,
      change: "removed",
      device: `${MFA_DEVICE_TYPES[target.kind as MfaKind]} "${target.name}"`,
      when: formatTime(deps.now()),
    },
  });
  // Checked before the delete in the same batch: the audit event and the email
  // exist only if this batch is the one that removes the device.
  const present = sql`EXISTS (SELECT 1 FROM ${mfaDevices} WHERE ${mfaDevices.id} = ${deviceId} AND ${mfaDevices.userId} = ${user.id})`;
  await deps.db.batch([
    auditInsert(
      deps,
      {
        eventType: "mfa.device_removed",
        outcome: "success",
        subjectUserId: user.id,
        actorUserId: user.id,
        ip: client.ip,
        details: { kind: target.kind, deviceId },
      },
      present,
    ),
    outboxInsert(deps, email, present),
    deps.db.delete(mfaDevices).where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id))),
  ]);
  await drainAfterWrite(deps, [email]);
  return ok(null);
}

/** An email device: proven by a code sent to the profile address (the code's send limits apply). */
export async function beginEmailDevice(
  deps: Deps,
  user: User,
): Promise<Result<{ id: string; alreadyConfirmed: boolean }, "throttled" | "throttled_today">> {
  const existing = await deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.userId, user.id), eq(mfaDevices.kind, "email")))
    .get();
  const id = existing?.id ?? crypto.randomUUID();
  if (!existing) {
    await deps.db.insert(mfaDevices).values({
      id,
      userId: user.id,
      kind: "email",
      name: "Email",
      credentialLabel: shortLabel("MAIL"),
      createdAt: deps.now(),
    });
  }
  const sent = await sendEmailCode(deps, user, "email_enrollment");
  if (!sent.ok) return sent;
  return ok({ id, alreadyConfirmed: Boolean(existing?.confirmedAt) });
}
