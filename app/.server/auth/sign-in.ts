import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { and, eq, isNotNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { formatTime } from "~/lib/format";
import type { SecondFactorType } from "~/lib/mfa";
import { auditInsert, recordAuditEvent } from "../audit/record";
import { knownDevices, mfaDevices, passwordCredentials, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, type OutboxEntry, outboxEmail, outboxInsert } from "../mail/outbox";
import { amrOfFactor } from "../oidc/config";
import { fail, ok, type Result } from "../result";
import { newEmailToken } from "./email-tokens";
import { keyedHash } from "./keyed-hash";
import { sendEmailCode, verifySecondFactor } from "./mfa";
import { hashPassword, needsRehash, spendVerifyTime, verifyPassword } from "./password";
import { claimAttempt, clearAttempts, clientKey, hitRateLimit, ipKey, LIMITS, throttled } from "./rate-limit";
import { assuranceOf, createSession } from "./session";
import { hashToken, randomToken } from "./tokens";
import { verifyAuthentication } from "./webauthn";

/**
 * SPEC 2.2: 5 consecutive failures lock the account for 30 minutes, for the
 * client that made them (its address, IPv6 by /64), so a stranger cannot lock
 * the owner out; a browser the owner signed in from strongly before, or a
 * passkey, still gets in (docs/decisions: lockout). Across all other clients,
 * 100 consecutive failures in a day lock the account too (NIST SP 800-63B §5.2.2).
 */
export const SIGN_IN_LOCK = { limit: 5, windowMs: 30 * 60 * 1000 };
export const ACCOUNT_CEILING = { limit: 100, windowMs: 24 * 60 * 60 * 1000 };
/** One "account locked" email an hour at most, however many clients lock themselves out. */
const LOCK_EMAILS = { limit: 1, windowMs: 60 * 60 * 1000 };

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  location: string | null;
  /** Value of the long-lived device cookie, if the browser has one. */
  deviceToken: string | null;
}

export type SignInError = "invalid" | "locked" | "throttled" | "temporary_expired";

export interface SignInSuccess {
  userId: string;
  setCookie: string;
  /** Set when the browser had no device cookie: the caller sends it. */
  newDeviceToken: string | null;
}

/** The prefix of every sign-in lock counter of a User ID (known or not: the key is the same kind). */
export function signInLockPrefix(env: Deps["env"], loginId: string): string {
  return `signin-fail:${keyedHash(env, "login-id", loginId.trim().toUpperCase())}:`;
}

/** What the audit log keeps of a typed User ID: itself when it exists, a keyed hash when not. */
export function loggedLoginId(env: Deps["env"], loginId: string, known: boolean) {
  return known ? { loginId } : { loginIdHash: keyedHash(env, "login-id", loginId) };
}

/**
 * Counts a password check against the account and this client before the
 * (slow) check runs. Also used by signed-in forms that ask for the current
 * password, so wrong guesses there lock like wrong guesses at sign-in.
 */
export async function claimPasswordAttempt(
  deps: Pick<Deps, "db" | "now" | "env">,
  loginId: string,
  client: { ip: string | null },
  trustedDeviceHash: string | null,
): Promise<{ allowed: true; keys: string[]; lockedUntil: Date | null } | { allowed: false; lockedUntil: Date }> {
  const prefix = signInLockPrefix(deps.env, loginId);
  const clientKeyed = trustedDeviceHash ? `${prefix}device:${trustedDeviceHash}` : `${prefix}${clientKey(client.ip)}`;
  const own = await claimAttempt(deps, clientKeyed, SIGN_IN_LOCK);
  if (!own.allowed) return own;
  if (trustedDeviceHash) return { allowed: true, keys: [clientKeyed], lockedUntil: own.lockedUntil };
  const account = await claimAttempt(deps, `${prefix}account`, ACCOUNT_CEILING);
  if (!account.allowed) return account;
  return {
    allowed: true,
    keys: [clientKeyed, `${prefix}account`],
    lockedUntil: own.lockedUntil ?? account.lockedUntil,
  };
}

/**
 * Work whose cost would tell whether an account exists (an email to its owner),
 * started once the answer is complete (`afterResponse`, worker/index.ts), or
 * awaited where there is no answer to send first (services called directly).
 */
async function afterAnswer(
  deps: Pick<Deps, "waitUntil" | "afterResponse" | "traceId">,
  what: string,
  work: () => Promise<unknown>,
) {
  const logged = () =>
    work().then(
      () => undefined,
      (error) => {
        console.error(
          JSON.stringify({ level: "error", traceId: deps.traceId, msg: `${what} failed`, error: String(error) }),
        );
      },
    );
  if (deps.afterResponse) deps.afterResponse(logged);
  else if (deps.waitUntil) deps.waitUntil(logged());
  else await logged();
}

/** The claim's lock just began: tell the owner (once an hour at most), with a link that unlocks. */
async function announceLock(deps: Deps, user: typeof users.$inferSelect, lockedUntil: Date) {
  const locked = auditInsert(deps, {
    eventType: "account.locked",
    outcome: "info",
    subjectUserId: user.id,
    details: { until: lockedUntil.toISOString() },
  });
  const mail = await hitRateLimit(deps, `lock-mail:${user.id}`, LOCK_EMAILS);
  if (!mail.allowed) {
    await locked;
    return;
  }
  // The lock's audit event, the unlocking link's token and the email: one batch.
  const reset = newEmailToken(deps, user.id, "password_reset");
  const email = await outboxEmail(deps, {
    template: "account_locked",
    to: user.email,
    data: {
      firstName: user.firstName,
      lockedUntil: formatTime(lockedUntil),
      resetUrl: `${deps.env.PUBLIC_ORIGIN}/reset-password?token=${reset.token}`,
    },
  });
  await deps.db.batch([locked, reset.insert, outboxInsert(deps, email)]);
  await drainAfterWrite(deps, [email]);
}

/**
 * Step 2 of "Welcome to CMS Enterprise Portal": password plus, for any account
 * with a device, a security code. Every failure for a known or unknown User ID
 * looks the same (a right password with a wrong code too), and every attempt is
 * counted before the password is checked.
 */
export async function signIn(
  deps: Deps,
  input: { loginId: string; password: string; deviceType: SecondFactorType | null; code: string | null },
  client: ClientInfo,
): Promise<Result<SignInSuccess, SignInError>> {
  const loginId = input.loginId.trim().toUpperCase();
  const throttle = await hitRateLimit(deps, ipKey("signin", client.ip), LIMITS.signInPerIp);
  if (!throttle.allowed) {
    await recordAuditEvent(deps, {
      eventType: "signin.throttled",
      outcome: "failure",
      ip: client.ip,
      userAgent: client.userAgent,
    });
    return throttled(throttle.retryAfterSeconds);
  }

  const now = deps.now();
  const deviceHash = client.deviceToken ? hashToken(client.deviceToken) : null;
  const [userRows, devices, trusted] = await deps.db.batch([
    deps.db
      .select({ user: users, credential: passwordCredentials })
      .from(users)
      .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
      .where(eq(users.loginId, loginId)),
    deps.db
      .select({ id: mfaDevices.id })
      .from(mfaDevices)
      .innerJoin(users, eq(users.id, mfaDevices.userId))
      .where(and(eq(users.loginId, loginId), isNotNull(mfaDevices.confirmedAt))),
    deps.db
      .select({ userId: knownDevices.userId })
      .from(knownDevices)
      .innerJoin(users, eq(users.id, knownDevices.userId))
      .where(
        and(
          eq(users.loginId, loginId),
          eq(knownDevices.deviceHash, deviceHash ?? ""),
          isNotNull(knownDevices.trustedAt),
        ),
      ),
  ]);
  const row = userRows[0];
  const usable = row?.credential && row.user.status === "active" && !row.user.heldAt ? row : null;
  const audit = (eventType: string, outcome: "success" | "failure" | "info", details: Record<string, unknown> = {}) =>
    recordAuditEvent(deps, {
      eventType,
      outcome,
      subjectUserId: row?.user.id ?? null,
      actorUserId: row?.user.id ?? null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { ...loggedLoginId(deps.env, loginId, Boolean(row)), ...details },
    });

  const claim = await claimPasswordAttempt(deps, loginId, client, trusted.length > 0 ? deviceHash : null);
  if (!claim.allowed) {
    await audit("signin.failure", "failure", { reason: "locked" });
    return fail("locked", { detail: { until: claim.lockedUntil } });
  }
  const failed = async (reason: string) => {
    await audit("signin.failure", "failure", { reason });
    // One answer for every wrong User ID, password or code (the screen words it).
    if (!claim.lockedUntil) return fail("invalid");
    // Told after the answer: an account that exists must not take longer to say "locked".
    if (usable) await afterAnswer(deps, "lock announcement", () => announceLock(deps, usable.user, claim.lockedUntil!));
    return fail("locked", { detail: { until: claim.lockedUntil } });
  };

  if (!usable?.credential) {
    // Unknown, disabled and held accounts cost a password check and answer alike.
    await spendVerifyTime();
    return failed(row ? "unusable_account" : "unknown_user");
  }
  const { user, credential } = usable;
  if (!(await verifyPassword(input.password, credential.hash))) return failed("password");

  // Never the password alone for an account with a device.
  let secondFactor = "none";
  if (devices.length > 0) {
    const verified = await verifySecondFactor(deps, user, input.deviceType, input.code ?? "");
    // Locked codes answer like a wrong code: the screen must not confirm the password (the owner is emailed).
    if (!verified.ok) return failed(verified.code === "mfa_locked" ? "mfa_locked" : "second_factor");
    secondFactor = verified.value.kind;
  }

  if (credential.isTemporary && credential.expiresAt && credential.expiresAt <= now) {
    await audit("signin.failure", "failure", { reason: "temporary_password_expired" });
    return fail("temporary_expired");
  }

  await clearAttempts(deps, claim.keys);
  const finished = await finishSignIn(deps, user, client, secondFactor);
  if (credential.isTemporary) {
    // Single use, as its email says: first sign-in must now set a new password in this session.
    await deps.db.update(passwordCredentials).set({ expiresAt: now }).where(eq(passwordCredentials.userId, user.id));
  } else if (needsRehash(credential.hash)) {
    await deps.db
      .update(passwordCredentials)
      .set({ hash: await hashPassword(input.password) })
      .where(eq(passwordCredentials.userId, user.id));
  }
  return ok(finished);
}

/**
 * Success: record it and note the browser (with the "new device" email, if
 * any) in one batch, then start a new session of the strength the factor gives.
 */
async function finishSignIn(
  deps: Deps,
  user: typeof users.$inferSelect,
  client: ClientInfo,
  secondFactor: string,
): Promise<SignInSuccess> {
  const assurance = assuranceOf(secondFactor);
  const device = await noteDevice(deps, user, client, assurance === "strong");
  await deps.db.batch([
    auditInsert(deps, {
      eventType: "signin.success",
      outcome: "success",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { loginId: user.loginId, secondFactor, assurance, location: client.location },
    }),
    ...device.writes,
  ]);
  await drainAfterWrite(deps, device.emails);
  const session = await createSession(deps, {
    userId: user.id,
    ip: client.ip,
    userAgent: client.userAgent,
    location: client.location,
    assurance,
    amr: amrOfFactor(secondFactor),
  });
  return { userId: user.id, setCookie: session.setCookie, newDeviceToken: device.newDeviceToken };
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
  if (!throttle.allowed) return throttled(throttle.retryAfterSeconds);
  const verified = await verifyAuthentication(deps, assertion, null);
  if (!verified.ok) {
    await recordAuditEvent(deps, {
      eventType: "signin.failure",
      outcome: "failure",
      ip: client.ip,
      userAgent: client.userAgent,
      details: { reason: "passkey", code: verified.code },
    });
    return fail("invalid");
  }
  const user = await deps.db.select().from(users).where(eq(users.id, verified.value.userId)).get();
  // A passkey is phishing-resistant and proves both factors: a password lockout does not stop it.
  if (user?.status !== "active" || user.heldAt) return fail("invalid");
  return ok(await finishSignIn(deps, user, client, "passkey"));
}

/**
 * Remembers the browser (by a hashed long-lived cookie) and, when an account that
 * has signed in before is used from a browser it has not seen, emails its owner.
 * Returns the writes (and the email) for the sign-in's batch, and the cookie
 * value to set when the browser had none.
 */
async function noteDevice(
  deps: Deps,
  user: typeof users.$inferSelect,
  client: ClientInfo,
  strong: boolean,
): Promise<{ writes: BatchItem<"sqlite">[]; emails: OutboxEntry[]; newDeviceToken: string | null }> {
  const token = client.deviceToken ?? randomToken();
  const deviceHash = hashToken(token);
  const now = deps.now();
  const [known, any] = await deps.db.batch([
    deps.db
      .select()
      .from(knownDevices)
      .where(and(eq(knownDevices.userId, user.id), eq(knownDevices.deviceHash, deviceHash))),
    deps.db.select({ userId: knownDevices.userId }).from(knownDevices).where(eq(knownDevices.userId, user.id)).limit(1),
  ]);
  const newDeviceToken = client.deviceToken ? null : token;
  if (known.length > 0) {
    const seen = deps.db
      .update(knownDevices)
      .set(strong ? { lastSeenAt: now, trustedAt: now } : { lastSeenAt: now })
      .where(and(eq(knownDevices.userId, user.id), eq(knownDevices.deviceHash, deviceHash)));
    return { writes: [seen], emails: [], newDeviceToken };
  }
  const remembered = deps.db
    .insert(knownDevices)
    .values({ userId: user.id, deviceHash, firstSeenAt: now, lastSeenAt: now, trustedAt: strong ? now : null });
  if (any.length === 0) return { writes: [remembered], emails: [], newDeviceToken };
  const notMe = newEmailToken(deps, user.id, "not_me");
  const email = await outboxEmail(deps, {
    template: "new_device",
    to: user.email,
    data: {
      firstName: user.firstName,
      when: formatTime(now),
      device: describeUserAgent(client.userAgent),
      place: client.location ?? "an unknown place",
      notMeUrl: `${deps.env.PUBLIC_ORIGIN}/this-wasnt-me?token=${notMe.token}`,
    },
  });
  return { writes: [remembered, notMe.insert, outboxInsert(deps, email)], emails: [email], newDeviceToken };
}

/** "Chrome on Windows", good enough for an email and the sessions list. */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return "an unknown browser";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "a browser";
  const os = /Windows/.test(userAgent)
    ? "Windows"
    : /Android/.test(userAgent)
      ? "Android"
      : /iPhone|iPad/.test(userAgent)
        ? "iOS"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : "an unknown system";
  return `${browser} on ${os}`;
}

/**
 * The "Send" button of step 2 for MFA Device Type "Email". The answer is the same
 * whether or not the User ID exists or has an email device; each requester (a
 * client address or a known browser) has its own budget.
 */
export async function sendSignInEmailCode(
  deps: Deps,
  loginId: string,
  client: ClientInfo,
): Promise<Result<null, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!throttle.allowed) return throttled(throttle.retryAfterSeconds);
  // The user and whether they have an email device: one query, whatever the User ID.
  const [user] = await deps.db
    .select({ user: users, emailDevice: mfaDevices.id })
    .from(users)
    .leftJoin(
      mfaDevices,
      and(eq(mfaDevices.userId, users.id), eq(mfaDevices.kind, "email"), isNotNull(mfaDevices.confirmedAt)),
    )
    .where(eq(users.loginId, loginId.toUpperCase()))
    .limit(1)
    .then((rows) => rows.map((r) => (r.emailDevice ? r.user : null)));
  if (user?.status !== "active" || user.heldAt) return ok(null);
  const requester = client.deviceToken ? `device:${hashToken(client.deviceToken)}` : clientKey(client.ip);
  // Refusals stay silent here: the screen says the same for every User ID. The
  // code is made and sent after the answer, so its cost does not tell either.
  await afterAnswer(deps, "email code send", () =>
    sendEmailCode(deps, user, "email_mfa", { kind: "client", key: requester }),
  );
  return ok(null);
}
