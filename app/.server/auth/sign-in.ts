import { and, eq, isNotNull, sql } from "drizzle-orm";
import { formatTime } from "~/lib/format";
import type { Deps } from "../deps";
import { knownDevices, mfaDevices, passwordCredentials, users } from "../db/schema";
import { auditInsert, recordAuditEvent } from "../audit/record";
import { enqueueEmail } from "../mail/messages";
import { fail, ok, type Result } from "../result";
import { MFA_DEVICE_TYPES, type MfaKind } from "~/lib/mfa";
import { hashPassword, needsRehash, spendVerifyTime, verifyPassword } from "./password";
import { hitRateLimit, ipKey, LIMITS, throttled } from "./rate-limit";
import { createSession } from "./session";
import { createEmailToken } from "./email-tokens";
import { hashToken, randomToken } from "./tokens";
import { confirmedKinds, sendEmailCode, verifySecondFactor } from "./mfa";
import { verifyAuthentication } from "./webauthn";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";

/** SPEC 2.2: 5 consecutive failures lock the account for 30 minutes. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 30 * 60 * 1000;


export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  location: string | null;
  /** Value of the long-lived device cookie, if the browser has one. */
  deviceToken: string | null;
}

export type SignInError = "invalid" | "locked" | "throttled" | "temporary_expired" | "mfa_locked";

export interface SignInSuccess {
  userId: string;
  setCookie: string;
  /** Set when the browser had no device cookie: the caller sends it. */
  newDeviceToken: string | null;
}

/**
 * The kinds offered in "MFA Device Type". For a User ID that does not exist (or
 * has no device yet) the answer is the same as for most accounts, so the list
 * does not reveal who is registered.
 */
export async function mfaDeviceTypesFor(deps: Pick<Deps, "db">, loginId: string): Promise<MfaKind[]> {
  const rows = await deps.db
    .selectDistinct({ kind: mfaDevices.kind })
    .from(mfaDevices)
    .innerJoin(users, eq(users.id, mfaDevices.userId))
    .where(and(eq(users.loginId, loginId.toUpperCase()), isNotNull(mfaDevices.confirmedAt)));
  const kinds = rows.map((r) => r.kind).filter((k): k is MfaKind => k in MFA_DEVICE_TYPES);
  return kinds.length > 0 ? kinds.sort() : ["totp"];
}

export function lockedMessage(until: Date): string {
  return `Your account is locked until ${formatTime(until)} after too many failed attempts. We emailed a link that unlocks it (reset your password with your second factor); or wait until then.`;
}

const GENERIC_FAILURE = "The User ID, password or security code is not correct.";

/**
 * Step 2 of "Welcome to CMS Enterprise Portal": password plus, for any account
 * with a device, a security code. Every failure for a known or unknown User ID
 * looks the same, and both are counted toward the lockout.
 */
export async function signIn(
  deps: Deps,
  input: { loginId: string; password: string; deviceType: string | null; code: string | null },
  client: ClientInfo,
): Promise<Result<SignInSuccess, SignInError>> {
  const loginId = input.loginId.trim().toUpperCase();
  const audit = (eventType: string, outcome: "success" | "failure" | "info", userId: string | null, details: Record<string, unknown> = {}) =>
    recordAuditEvent(deps, { eventType, outcome, subjectUserId: userId, actorUserId: userId, ip: client.ip, userAgent: client.userAgent, details: { loginId, ...details } });

  const throttle = await hitRateLimit(deps, ipKey("signin", client.ip), LIMITS.signInPerIp);
  if (!throttle.allowed) {
    await audit("signin.throttled", "failure", null);
    return throttled("log-in attempts", throttle.retryAfterSeconds);
  }

  const now = deps.now();
  const [userRows, devices] = await deps.db.batch([
    deps.db
      .select({ user: users, credential: passwordCredentials })
      .from(users)
      .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
      .where(eq(users.loginId, loginId)),
    deps.db.select({ device: mfaDevices }).from(mfaDevices).innerJoin(users, eq(users.id, mfaDevices.userId)).where(eq(users.loginId, loginId)),
  ]);
  const row = userRows[0];

  if (!row || !row.credential || row.user.status !== "active") {
    await spendVerifyTime();
    // Unknown User IDs lock like real ones, so the lockout message reveals nothing.
    const counter = await hitRateLimit(deps, `signin:unknown:${loginId}`, { limit: MAX_FAILED_SIGN_INS - 1, windowMs: LOCKOUT_MS });
    await audit("signin.failure", "failure", null, { reason: "unknown_user" });
    if (!counter.allowed) return fail("locked", { message: lockedMessage(new Date(now.getTime() + counter.retryAfterSeconds * 1000)) });
    return fail("invalid", { message: GENERIC_FAILURE });
  }
  const { user, credential } = row;

  if (user.lockedUntil && user.lockedUntil > now) {
    await spendVerifyTime();
    await audit("signin.failure", "failure", user.id, { reason: "locked" });
    return fail("locked", { message: lockedMessage(user.lockedUntil) });
  }

  const passwordOk = await verifyPassword(input.password, credential.hash);
  if (!passwordOk) {
    const failures = user.failedSignIns + 1;
    const locking = failures >= MAX_FAILED_SIGN_INS;
    const lockedUntil = locking ? new Date(now.getTime() + LOCKOUT_MS) : null;
    await deps.db
      .update(users)
      .set(locking ? { failedSignIns: 0, lockedUntil, updatedAt: now } : { failedSignIns: sql`${users.failedSignIns} + 1`, updatedAt: now })
      .where(eq(users.id, user.id));
    await audit("signin.failure", "failure", user.id, { reason: "password", failures });
    if (locking && lockedUntil) {
      await audit("account.locked", "info", user.id, { until: lockedUntil.toISOString() });
      const token = await createEmailToken(deps, user.id, "password_reset");
      await enqueueEmail(deps, {
        template: "account_locked",
        to: user.email,
        data: { firstName: user.firstName, lockedUntil: formatTime(lockedUntil), resetUrl: `${deps.env.PUBLIC_ORIGIN}/reset-password?token=${token}` },
      });
      return fail("locked", { message: lockedMessage(lockedUntil) });
    }
    return fail("invalid", { message: GENERIC_FAILURE });
  }

  // Never the password alone for an account with a device.
  let secondFactor: string = "none";
  if (devices.some((d) => d.device.confirmedAt)) {
    const verified = await verifySecondFactor(deps, user, input.deviceType, input.code ?? "");
    if (!verified.ok) {
      await audit("signin.failure", "failure", user.id, { reason: verified.code === "mfa_locked" ? "mfa_locked" : "second_factor", deviceType: input.deviceType });
      return fail(verified.code === "mfa_locked" ? "mfa_locked" : "invalid", { message: verified.message ?? GENERIC_FAILURE });
    }
    secondFactor = verified.value.kind;
  }

  if (credential.isTemporary && credential.expiresAt && credential.expiresAt <= now) {
    await audit("signin.failure", "failure", user.id, { reason: "temporary_password_expired" });
    return fail("temporary_expired", {
      message: "Your temporary password has expired. Use \"Forgot your password?\" to get a new one.",
    });
  }

  const finished = await finishSignIn(deps, user, client, secondFactor);
  if (needsRehash(credential.hash)) {
    await deps.db.update(passwordCredentials).set({ hash: await hashPassword(input.password) }).where(eq(passwordCredentials.userId, user.id));
  }
  return ok(finished);
}

/** Success: clear the failure count, record it, start a new session, note the browser. */
async function finishSignIn(deps: Deps, user: typeof users.$inferSelect, client: ClientInfo, secondFactor: string): Promise<SignInSuccess> {
  const now = deps.now();
  await deps.db.batch([
    deps.db.update(users).set({ failedSignIns: 0, lockedUntil: null, updatedAt: now }).where(eq(users.id, user.id)),
    auditInsert(deps, {
      eventType: "signin.success",
      outcome: "success",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { loginId: user.loginId, secondFactor, location: client.location },
    }),
  ]);
  const session = await createSession(deps, { userId: user.id, ip: client.ip, userAgent: client.userAgent, location: client.location });
  const newDeviceToken = await noteDevice(deps, user, client);
  return { userId: user.id, setCookie: session.setCookie, newDeviceToken };
}

/**
 * A passkey alone: a discoverable credential verified with user verification
 * (PIN or biometric) is both factors, so no password is asked.
 */
export async function signInWithPasskey(
  deps: Deps,
  assertion: { challengeId: string; response: AuthenticationResponseJSON },
  client: ClientInfo,
): Promise<Result<SignInSuccess, "invalid" | "locked" | "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("signin", client.ip), LIMITS.signInPerIp);
  if (!throttle.allowed) return throttled("log-in attempts", throttle.retryAfterSeconds);
  const verified = await verifyAuthentication(deps, assertion, null);
  if (!verified.ok) {
    await recordAuditEvent(deps, { eventType: "signin.failure", outcome: "failure", ip: client.ip, userAgent: client.userAgent, details: { reason: "passkey", code: verified.code } });
    return fail("invalid", { message: "That passkey could not be used to log in. Log in with your User ID instead." });
  }
  const user = await deps.db.select().from(users).where(eq(users.id, verified.value.userId)).get();
  if (!user || user.status !== "active") return fail("invalid", { message: "That passkey could not be used to log in. Log in with your User ID instead." });
  if (user.lockedUntil && user.lockedUntil > deps.now()) return fail("locked", { message: lockedMessage(user.lockedUntil) });
  return ok(await finishSignIn(deps, user, client, "passkey"));
}

/**
 * Remembers the browser (by a hashed long-lived cookie) and, when an account that
 * has signed in before is used from a browser it has not seen, emails its owner.
 */
async function noteDevice(deps: Deps, user: typeof users.$inferSelect, client: ClientInfo): Promise<string | null> {
  const token = client.deviceToken ?? randomToken();
  const deviceHash = hashToken(token);
  const now = deps.now();
  const [known, any] = await deps.db.batch([
    deps.db.select().from(knownDevices).where(and(eq(knownDevices.userId, user.id), eq(knownDevices.deviceHash, deviceHash))),
    deps.db.select({ userId: knownDevices.userId }).from(knownDevices).where(eq(knownDevices.userId, user.id)).limit(1),
  ]);
  if (known.length > 0) {
    await deps.db.update(knownDevices).set({ lastSeenAt: now }).where(and(eq(knownDevices.userId, user.id), eq(knownDevices.deviceHash, deviceHash)));
  } else {
    await deps.db.insert(knownDevices).values({ userId: user.id, deviceHash, firstSeenAt: now, lastSeenAt: now });
    if (any.length > 0) {
      const notMe = await createEmailToken(deps, user.id, "not_me");
      await enqueueEmail(deps, {
        template: "new_device",
        to: user.email,
        data: {
          firstName: user.firstName,
          when: formatTime(now),
          device: describeUserAgent(client.userAgent),
          place: client.location ?? "an unknown place",
          notMeUrl: `${deps.env.PUBLIC_ORIGIN}/this-wasnt-me?token=${notMe}`,
        },
      });
    }
  }
  return client.deviceToken ? null : token;
}

/** "Chrome on Windows", good enough for an email and the sessions list. */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return "an unknown browser";
  const browser = /Edg\//.test(userAgent) ? "Edge" : /Firefox\//.test(userAgent) ? "Firefox" : /Chrom(e|ium)\//.test(userAgent) ? "Chrome" : /Safari\//.test(userAgent) ? "Safari" : "a browser";
  const os = /Windows/.test(userAgent) ? "Windows" : /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS" : /Mac OS X/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : "an unknown system";
  return `${browser} on ${os}`;
}


/**
 * The "Send" button of step 2 for MFA Device Type "Email". The answer is the same
 * whether or not the User ID exists or has an email device.
 */
export async function sendSignInEmailCode(deps: Deps, loginId: string, client: ClientInfo): Promise<Result<null, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!throttle.allowed) return throttled("requests", throttle.retryAfterSeconds);
  const user = await deps.db.select().from(users).where(eq(users.loginId, loginId.toUpperCase())).get();
  if (!user || !(await confirmedKinds(deps, user.id)).includes("email")) return ok(null);
  const sent = await sendEmailCode(deps, user, "email_mfa");
  return sent.ok ? ok(null) : sent;
}
