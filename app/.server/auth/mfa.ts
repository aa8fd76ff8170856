import { createTOTPKeyURI } from "@oslojs/otp";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { and, count, desc, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { Deps } from "../deps";
import { mfaDevices, oneTimeCodes, recoveryCodes, users } from "../db/schema";
import { auditInsert, recordAuditEvent } from "../audit/record";
import { enqueueEmail } from "../mail/messages";
import { fail, ok, type Result } from "../result";
import { formatTime } from "~/lib/format";
import { FALLBACK_LABELS, MFA_DEVICE_TYPES, type MfaKind } from "~/lib/mfa";
import { sealSecret, openSecret } from "./secret-box";
import { hashToken, timingSafeEqualString } from "./tokens";
import { totpAssociatedData, verifyTotpDevice } from "./totp";
import { verifyAuthentication } from "./webauthn";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";

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

/** Issue 4: 10 wrong codes in a row lock the second factor for 10 minutes. */
export const MAX_MFA_FAILURES = 10;
export const MFA_LOCK_MS = 10 * 60 * 1000;
/** Emailed codes: 6 digits, 10 minutes, 5 tries, at most 3 sends per 15 minutes. */
export const EMAIL_CODE_TTL_MS = 10 * 60 * 1000;
export const EMAIL_CODE_MAX_TRIES = 5;
export const EMAIL_CODE_SENDS = { limit: 3, windowMs: 15 * 60 * 1000 };
export const RECOVERY_CODE_COUNT = 10;

const ISSUER = "CMS QualityNet";

export function shortLabel(prefix: string): string {
  return `${prefix}-${encodeBase32UpperCaseNoPadding(crypto.getRandomValues(new Uint8Array(4))).slice(0, 6)}`;
}

/** Devices the user has proven, newest first. */
export async function listDevices(deps: Pick<Deps, "db">, userId: string) {
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
export async function pendingTotp(deps: Pick<Deps, "db" | "env">, user: Pick<User, "id" | "loginId">, deviceId: string) {
  const device = await deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id), eq(mfaDevices.kind, "totp"), isNull(mfaDevices.confirmedAt)))
    .get();
  if (!device?.totpSecretEnc) return null;
  const key = await openSecret(deps.env.TOTP_ENCRYPTION_KEY, new Uint8Array(device.totpSecretEnc), totpAssociatedData(device.id));
  return {
    device,
    secretBase32: encodeBase32UpperCaseNoPadding(key),
    uri: createTOTPKeyURI(ISSUER, user.loginId, key, 30, 6),
  };
}

/** Proves a pending authenticator app with a code from it; the device then counts. */
export async function confirmTotpEnrollment(deps: Deps, user: User, deviceId: string, code: string, client: { ip: string | null }): Promise<Result<{ firstDevice: boolean }>> {
  const pending = await deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id), isNull(mfaDevices.confirmedAt)))
    .get();
  if (!pending) return fail("not_found", { message: "That set-up has expired. Start again." });
  if (!/^\d{6}$/.test(code.replace(/\s+/g, ""))) return fail("invalid", { fieldErrors: { code: ["Enter the 6-digit Security Code your app shows."] } });
  if (!(await verifyTotpDevice(deps, pending, code))) {
    await recordAuditEvent(deps, { eventType: "mfa.enroll_failed", outcome: "failure", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, details: { kind: "totp" } });
    return fail("invalid", { fieldErrors: { code: ["That code is not right. Check the time on your phone and enter the code now shown."] } });
  }
  return ok(await confirmDevice(deps, user, deviceId, "totp", client));
}

/** Marks a device proven, records it, emails the owner; the first one completes enrollment's MFA part. */
export async function confirmDevice(deps: Deps, user: User, deviceId: string, kind: MfaKind, client: { ip: string | null }) {
  const before = await listDevices(deps, user.id);
  await deps.db.batch([
    deps.db.update(mfaDevices).set({ confirmedAt: deps.now() }).where(eq(mfaDevices.id, deviceId)),
    auditInsert(deps, { eventType: "mfa.device_added", outcome: "success", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, details: { kind, deviceId } }),
  ]);
  await enqueueEmail(deps, {
    template: "mfa_device_changed",
    to: user.email,
    data: { firstName: user.firstName, change: "added", device: MFA_DEVICE_TYPES[kind], when: formatTime(deps.now()) },
  });
  return { firstDevice: before.length === 0 };
}

// ---------------------------------------------------------------- recovery codes

const RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

function recoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

const normaliseRecovery = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, "");

/** Ten new codes (about 49 bits each), replacing any earlier set. Shown once: only hashes are kept. */
export async function issueRecoveryCodes(deps: Deps, user: User, client: { ip: string | null }): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
  const now = deps.now();
  await deps.db.batch([
    deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    deps.db.insert(recoveryCodes).values(codes.map((c) => ({ id: crypto.randomUUID(), userId: user.id, codeHash: hashToken(normaliseRecovery(c)), createdAt: now }))),
    auditInsert(deps, { eventType: "mfa.recovery_codes_issued", outcome: "success", subjectUserId: user.id, actorUserId: user.id, ip: client.ip }),
  ]);
  return codes;
}

export async function remainingRecoveryCodes(deps: Pick<Deps, "db">, userId: string): Promise<number> {
  const [row] = await deps.db.select({ n: count() }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.n ?? 0;
}

async function useRecoveryCode(deps: Deps, user: User, code: string): Promise<boolean> {
  const [used] = await deps.db
    .update(recoveryCodes)
    .set({ usedAt: deps.now() })
    .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, hashToken(normaliseRecovery(code))), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  if (!used) return false;
  const left = await remainingRecoveryCodes(deps, user.id);
  await enqueueEmail(deps, { template: "recovery_code_used", to: user.email, data: { firstName: user.firstName, when: formatTime(deps.now()), remaining: String(left) } });
  return true;
}

// ---------------------------------------------------------------- emailed codes

function sixDigits(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000).padStart(6, "0");
}

export type CodePurpose = (typeof oneTimeCodes.$inferInsert)["purpose"];

/**
 * Emails a 6-digit code (valid 10 minutes). At most 3 sends per 15 minutes per
 * user and purpose; a new code replaces the previous one.
 */
export async function sendEmailCode(deps: Deps, user: User, purpose: CodePurpose): Promise<Result<null, "throttled">> {
  const now = deps.now();
  const [recent] = await deps.db
    .select({ n: count() })
    .from(oneTimeCodes)
    .where(and(eq(oneTimeCodes.userId, user.id), eq(oneTimeCodes.purpose, purpose), gt(oneTimeCodes.createdAt, new Date(now.getTime() - EMAIL_CODE_SENDS.windowMs))));
  if ((recent?.n ?? 0) >= EMAIL_CODE_SENDS.limit) {
    return fail("throttled", { message: "We have already sent 3 codes in the last 15 minutes. Use the latest one, or wait before asking again." });
  }
  const code = sixDigits();
  await deps.db.batch([
    deps.db.update(oneTimeCodes).set({ usedAt: now }).where(and(eq(oneTimeCodes.userId, user.id), eq(oneTimeCodes.purpose, purpose), isNull(oneTimeCodes.usedAt))),
    deps.db.insert(oneTimeCodes).values({ id: crypto.randomUUID(), userId: user.id, purpose, codeHash: hashToken(`${user.id}:${code}`), expiresAt: new Date(now.getTime() + EMAIL_CODE_TTL_MS), createdAt: now }),
    auditInsert(deps, { eventType: "mfa.code_sent", outcome: "info", subjectUserId: user.id, details: { purpose } }),
  ]);
  await enqueueEmail(deps, {
    template: "security_code",
    to: user.email,
    data: { firstName: user.firstName, code, minutes: "10", kind: purpose === "challenge_recovery" ? "One-Time Security Code" : "security code" },
  });
  return ok(null);
}

/** Checks an emailed code: the latest unused one, within its time and its 5 tries. */
export async function verifyEmailCode(deps: Pick<Deps, "db" | "now">, userId: string, purpose: CodePurpose, code: string): Promise<boolean> {
  const now = deps.now();
  const row = await deps.db
    .select()
    .from(oneTimeCodes)
    .where(and(eq(oneTimeCodes.userId, userId), eq(oneTimeCodes.purpose, purpose), isNull(oneTimeCodes.usedAt), gt(oneTimeCodes.expiresAt, now)))
    .orderBy(desc(oneTimeCodes.createdAt))
    .get();
  if (!row || row.attempts >= EMAIL_CODE_MAX_TRIES) return false;
  if (!timingSafeEqualString(row.codeHash, hashToken(`${userId}:${code.replace(/\s+/g, "")}`))) {
    await deps.db.update(oneTimeCodes).set({ attempts: sql`${oneTimeCodes.attempts} + 1` }).where(eq(oneTimeCodes.id, row.id));
    return false;
  }
  const [used] = await deps.db
    .update(oneTimeCodes)
    .set({ usedAt: now })
    .where(and(eq(oneTimeCodes.id, row.id), isNull(oneTimeCodes.usedAt)))
    .returning({ id: oneTimeCodes.id });
  return Boolean(used);
}

// ---------------------------------------------------------------- second factor at sign-in

/** Device types offered at sign-in beyond the user's devices: always listed, so they reveal nothing. */
export const FALLBACK_TYPES = FALLBACK_LABELS;
export type SecondFactorType = MfaKind | keyof typeof FALLBACK_TYPES;

export function mfaLockedMessage(until: Date): string {
  return `Too many wrong security codes. Security codes are locked until ${formatTime(until)}. Try again then, or use "Unable to Access Security Code?".`;
}

/**
 * Verifies the second factor of a sign-in (or of a sensitive change). Ten wrong
 * codes in a row lock codes for ten minutes; a right one resets the count.
 */
export async function verifySecondFactor(
  deps: Deps,
  user: User,
  type: string | null,
  code: string,
): Promise<Result<{ kind: SecondFactorType }, "invalid" | "mfa_locked">> {
  const now = deps.now();
  if (user.mfaLockedUntil && user.mfaLockedUntil > now) return fail("mfa_locked", { message: mfaLockedMessage(user.mfaLockedUntil) });
  const trimmed = code.trim();
  let okKind: SecondFactorType | null = null;
  if (trimmed) {
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
      if (await useRecoveryCode(deps, user, trimmed)) okKind = "recovery";
    } else if (type === "webauthn") {
      // The browser's assertion, sent in the code field by the sign-in page's script.
      const assertion = parseAssertion(trimmed);
      if (assertion && (await verifyAuthentication(deps, assertion, user.id)).ok) okKind = "webauthn";
    }
  }
  if (okKind) {
    if (user.mfaFailures > 0) await deps.db.update(users).set({ mfaFailures: 0, mfaLockedUntil: null }).where(eq(users.id, user.id));
    return ok({ kind: okKind });
  }
  const failures = user.mfaFailures + 1;
  if (failures >= MAX_MFA_FAILURES) {
    const until = new Date(now.getTime() + MFA_LOCK_MS);
    await deps.db.update(users).set({ mfaFailures: 0, mfaLockedUntil: until }).where(eq(users.id, user.id));
    await recordAuditEvent(deps, { eventType: "mfa.locked", outcome: "info", subjectUserId: user.id, details: { until: until.toISOString() } });
    return fail("mfa_locked", { message: mfaLockedMessage(until) });
  }
  await deps.db.update(users).set({ mfaFailures: sql`${users.mfaFailures} + 1` }).where(eq(users.id, user.id));
  return fail("invalid");
}

// ---------------------------------------------------------------- device management

export async function renameDevice(deps: Deps, user: User, deviceId: string, name: string): Promise<Result<null>> {
  const clean = name.trim();
  if (clean.length < 1 || clean.length > 40) return fail("invalid", { fieldErrors: { name: ["Give the device a name of 1 to 40 characters."] } });
  await deps.db.batch([
    deps.db.update(mfaDevices).set({ name: clean }).where(and(eq(mfaDevices.id, deviceId), eq(mfaDevices.userId, user.id))),
    auditInsert(deps, { eventType: "mfa.device_renamed", outcome: "success", subjectUserId: user.id, actorUserId: user.id, details: { deviceId } }),
  ]);
  return ok(null);
}

/** Removes a device after a fresh second factor; never the last one. */
export async function removeDevice(
  deps: Deps,
  user: User,
  deviceId: string,
  proof: { type: string | null; code: string },
  client: { ip: string | null },
): Promise<Result<null>> {
  const devices = await listDevices(deps, user.id);
  const target = devices.find((d) => d.id === deviceId);
  if (!target) return fail("not_found", { message: "That device is not on your account." });
  if (devices.length <= 1) return fail("last_device", { message: "You cannot remove your only MFA device. Add another one first." });
  const verified = await verifySecondFactor(deps, user, proof.type, proof.code);
  if (!verified.ok) return fail("invalid", { fieldErrors: { code: [verified.message ?? "That security code is not right."] } });
  await deps.db.batch([
    deps.db.delete(mfaDevices).where(eq(mfaDevices.id, deviceId)),
    auditInsert(deps, { eventType: "mfa.device_removed", outcome: "success", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, details: { kind: target.kind, deviceId } }),
  ]);
  await enqueueEmail(deps, {
    template: "mfa_device_changed",
    to: user.email,
    data: { firstName: user.firstName, change: "removed", device: `${MFA_DEVICE_TYPES[target.kind as MfaKind]} "${target.name}"`, when: formatTime(deps.now()) },
  });
  return ok(null);
}

/** An email device: proven by a code sent to the profile address. */
export async function beginEmailDevice(deps: Deps, user: User) {
  const existing = await deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.userId, user.id), eq(mfaDevices.kind, "email")))
    .get();
  const id = existing?.id ?? crypto.randomUUID();
  if (!existing) {
    await deps.db.insert(mfaDevices).values({ id, userId: user.id, kind: "email", name: "Email", credentialLabel: shortLabel("MAIL"), createdAt: deps.now() });
  }
  const sent = await sendEmailCode(deps, user, "email_enrollment");
  return { id, alreadyConfirmed: Boolean(existing?.confirmedAt), sent };
}
