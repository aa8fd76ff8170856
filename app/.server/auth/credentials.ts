import { and, desc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type {
  ChangePasswordInput,
  ChangeQuestionsInput,
  ChosenAnswer,
  FirstSignInInput,
  ResetPasswordInput,
} from "~/lib/account-schemas";
import { type ChallengeQuestionKey, normaliseAnswer } from "~/lib/challenge-questions";
import { formatTime } from "~/lib/format";
import { type PasswordProblem, passwordShapeProblem } from "~/lib/password-policy";
import type { ForgotPasswordInput, ForgotUserIdInput, NotMeInput } from "~/lib/schemas";
import { type Action, type Actor, type Assurance, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { auditEvents, challengeAnswers, passwordCredentials, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, type OutboxEntry, outboxEmail, outboxInsert } from "../mail/outbox";
import { fail, ok, type Refused, type Result, refused } from "../result";
import { isCommonPassword } from "./common-passwords";
import { consumeEmailToken, createEmailToken, newEmailToken, peekEmailToken } from "./email-tokens";
import { confirmedKinds, strongFactorsOf, verifySecondFactor } from "./mfa";
import { hashPassword, verifyPassword } from "./password";
import {
  clearAttempts,
  clearAttemptsWithPrefix,
  hitRateLimit,
  hitRecipientLimit,
  ipKey,
  LIMITS,
  throttled,
} from "./rate-limit";
import { createSession, endOtherSessions } from "./session";
import { claimPasswordAttempt, signInLockPrefix } from "./sign-in";

type User = typeof users.$inferSelect;
type Client = { ip: string | null; userAgent: string | null };

/** All of NIST 800-63B's checks: length, not common, not the User ID or name. */
export async function checkNewPassword(
  password: string,
  user: Pick<User, "loginId" | "firstName" | "lastName">,
): Promise<PasswordProblem | null> {
  const shape = passwordShapeProblem(password, user);
  if (shape) return shape;
  if (await isCommonPassword(password)) return "password_common";
  return null;
}

/** A new password's problem, next to its field. */
const newPasswordFailure = (problem: PasswordProblem) => fail(problem, { field: "newPassword" });

/** Sets the password and records it; `also` joins the same batch (the emails about it, say). */
async function setPassword(
  deps: Deps,
  user: User,
  password: string,
  client: Client,
  eventType: string,
  also: BatchItem<"sqlite">[] = [],
) {
  const now = deps.now();
  await deps.db.batch([
    deps.db
      .update(passwordCredentials)
      .set({ hash: await hashPassword(password), isTemporary: false, expiresAt: null, changedAt: now })
      .where(eq(passwordCredentials.userId, user.id)),
    deps.db.update(users).set({ updatedAt: now }).where(eq(users.id, user.id)),
    auditInsert(deps, {
      eventType,
      outcome: "success",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
    }),
    ...also,
  ]);
}

async function answerStatements(deps: Deps, userId: string, answers: ChosenAnswer[]) {
  const now = deps.now();
  const rows = await Promise.all(
    answers.map(async (a) => ({
      id: crypto.randomUUID(),
      userId,
      questionKey: a.key,
      answerHash: await hashPassword(normaliseAnswer(a.answer)),
      createdAt: now,
    })),
  );
  return [
    deps.db.delete(challengeAnswers).where(eq(challengeAnswers.userId, userId)),
    deps.db.insert(challengeAnswers).values(rows),
  ] as const;
}

/**
 * First sign-in (SPEC 2.3): replace the temporary password and choose challenge
 * questions, in one step; the session id changes afterwards.
 */
export async function completeFirstSignIn(
  deps: Deps,
  user: User,
  input: FirstSignInInput,
  client: Client & { location: string | null },
  needs: { password: boolean; questions: boolean },
  session: { assurance: Assurance },
): Promise<Result<{ setCookie: string }, PasswordProblem | "same_as_temporary" | "questions_missing">> {
  const newPassword = input.newPassword ?? "";
  if (needs.password) {
    const problem = await checkNewPassword(newPassword, user);
    if (problem) return newPasswordFailure(problem);
    const credential = await deps.db
      .select()
      .from(passwordCredentials)
      .where(eq(passwordCredentials.userId, user.id))
      .get();
    if (credential && (await verifyPassword(newPassword, credential.hash)))
      return fail("same_as_temporary", { field: "newPassword" });
  }
  const answers = input.answers ?? [];
  if (needs.questions && answers.length === 0) return fail("questions_missing");

  if (needs.password) await setPassword(deps, user, newPassword, client, "password.set_at_first_sign_in");
  if (needs.questions) {
    await deps.db.batch([
      ...(await answerStatements(deps, user.id, answers)),
      auditInsert(deps, {
        eventType: "challenge_questions.set",
        outcome: "success",
        subjectUserId: user.id,
        actorUserId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
      }),
    ]);
  }
  // Privilege changed: a new session id, and no other session survives.
  await endOtherSessions(deps, user.id, null);
  const next = await createSession(deps, {
    userId: user.id,
    ...client,
    assurance: session.assurance === "strong" ? "weak" : session.assurance,
  });
  return ok({ setCookie: next.setCookie });
}

/** Why the current password on a signed-in form was not accepted (a `field: "currentPassword"` failure). */
type CurrentPasswordCode = "throttled" | "locked" | "wrong_password";

/**
 * The current password on a signed-in form: throttled per account, and a wrong
 * one counts toward the sign-in lockout like a wrong one at sign-in (a stolen
 * session must not become a free password oracle).
 */
async function checkCurrentPassword(
  deps: Deps,
  user: User,
  password: string,
  client: Client,
  failureEvent: string,
): Promise<Result<null, CurrentPasswordCode>> {
  const field = "currentPassword";
  const throttle = await hitRateLimit(deps, `password-forms:${user.id}`, LIMITS.passwordFormsPerUser);
  if (!throttle.allowed) return fail("throttled", { field, detail: { retryAfterSeconds: throttle.retryAfterSeconds } });
  const claim = await claimPasswordAttempt(deps, user.loginId, client, null);
  if (!claim.allowed) return fail("locked", { field, detail: { until: claim.lockedUntil } });
  const credential = await deps.db
    .select()
    .from(passwordCredentials)
    .where(eq(passwordCredentials.userId, user.id))
    .get();
  if (!credential || !(await verifyPassword(password, credential.hash))) {
    await auditInsert(deps, {
      eventType: failureEvent,
      outcome: "failure",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    // The wrong password that reached the lock says so.
    return claim.lockedUntil
      ? fail("locked", { field, detail: { until: claim.lockedUntil } })
      : fail("wrong_password", { field });
  }
  await clearAttempts(deps, claim.keys);
  return ok(null);
}

/** Asks `can()` for a change to the user's own credentials (the door asked too: defence in depth). */
function refusal(deps: Deps, actor: Actor, action: Action, user: User): Refused | null {
  const decision = can(actor, action, { ownerUserId: user.id }, deps.now());
  return decision.ok ? null : refused(decision);
}

/**
 * Profile: change the password (current one required, and a strong factor from
 * the last 15 minutes: `can(actor, "password.change")`); other sessions end.
 */
export async function changePassword(
  deps: Deps,
  actor: Actor,
  user: User,
  { currentPassword, newPassword }: ChangePasswordInput,
  client: Client & { location: string | null },
  was: { assurance: Assurance },
): Promise<Result<{ setCookie: string }, CurrentPasswordCode | PasswordProblem>> {
  const refused = refusal(deps, actor, "password.change", user);
  if (refused) return refused;
  const current = await checkCurrentPassword(deps, user, currentPassword, client, "password.change_failed");
  if (!current.ok) return current;
  const problem = await checkNewPassword(newPassword, user);
  if (problem) return newPasswordFailure(problem);
  const email = await outboxEmail(deps, {
    template: "password_changed",
    to: user.email,
    data: { firstName: user.firstName, when: formatTime(deps.now()) },
  });
  await setPassword(deps, user, newPassword, client, "password.changed", [outboxInsert(deps, email)]);
  await endOtherSessions(deps, user.id, null);
  // A new id, as strong as the one it replaces (the strong factor's clock restarts: it was not re-proven).
  const session = await createSession(deps, {
    userId: user.id,
    ...client,
    assurance: was.assurance === "strong" ? "weak" : was.assurance,
  });
  await drainAfterWrite(deps, [email]);
  return ok({ setCookie: session.setCookie });
}

/**
 * Profile: replace the challenge questions (current password required, and a
 * strong factor from the last 15 minutes: `can(actor, "challenge_questions.change")`).
 */
export async function changeChallengeQuestions(
  deps: Deps,
  actor: Actor,
  user: User,
  { answers, currentPassword }: ChangeQuestionsInput,
  client: Client,
): Promise<Result<null, CurrentPasswordCode>> {
  const refused = refusal(deps, actor, "challenge_questions.change", user);
  if (refused) return refused;
  const current = await checkCurrentPassword(deps, user, currentPassword, client, "challenge_questions.change_failed");
  if (!current.ok) return current;
  await deps.db.batch([
    ...(await answerStatements(deps, user.id, answers)),
    auditInsert(deps, {
      eventType: "challenge_questions.changed",
      outcome: "success",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
    }),
  ]);
  return ok(null);
}

export async function getChallengeQuestionKeys(deps: Pick<Deps, "db">, userId: string) {
  return (await challengeQuestionKeysQuery(deps, userId)).map((r) => r.key as ChallengeQuestionKey);
}

/** The query behind {@link getChallengeQuestionKeys}, for a batch. */
export function challengeQuestionKeysQuery(deps: Pick<Deps, "db">, userId: string) {
  return deps.db
    .select({ key: challengeAnswers.questionKey })
    .from(challengeAnswers)
    .where(eq(challengeAnswers.userId, userId));
}

/** "Forgot User ID?": the same answer whether or not the address is registered. */
export async function remindUserId(
  deps: Deps,
  { email }: ForgotUserIdInput,
  client: Client,
): Promise<Result<null, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!throttle.allowed) return throttled(throttle.retryAfterSeconds);
  // Over the address's cap the request is answered as any other, and nothing is sent.
  const mayEmail = await hitRecipientLimit(deps, email);
  const user = await deps.db.select().from(users).where(eq(users.email, email)).get();
  const reminder =
    user && mayEmail
      ? await outboxEmail(deps, {
          template: "user_id_reminder",
          to: user.email,
          data: { firstName: user.firstName, loginId: user.loginId },
        })
      : null;
  // The request's audit event and its email (if the address is registered) in one write.
  await deps.db.batch([
    auditInsert(deps, {
      eventType: "user_id.reminder_requested",
      outcome: "info",
      subjectUserId: user?.id ?? null,
      ip: client.ip,
      userAgent: client.userAgent,
      ...(mayEmail ? {} : { details: { emailSuppressed: "recipient_limit" } }),
    }),
    ...(reminder ? [outboxInsert(deps, reminder)] : []),
  ]);
  if (reminder) await drainAfterWrite(deps, [reminder]);
  return ok(null);
}

/** Forgot password: a one-hour single-use link, only when User ID and email match. Same answer either way. */
export async function requestPasswordReset(
  deps: Deps,
  input: ForgotPasswordInput,
  client: Client,
): Promise<Result<null, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!throttle.allowed) return throttled(throttle.retryAfterSeconds);
  // Over the address's cap the request is answered as any other, and no link is made or sent.
  const mayEmail = await hitRecipientLimit(deps, input.email);
  const user = await deps.db
    .select()
    .from(users)
    .where(and(eq(users.loginId, input.userId), eq(users.email, input.email)))
    .get();
  // The link's token and its email exist together, with the request's audit event.
  let link: OutboxEntry | null = null;
  let linkWrites: BatchItem<"sqlite">[] = [];
  if (user && mayEmail) {
    const reset = newEmailToken(deps, user.id, "password_reset");
    link = await outboxEmail(deps, {
      template: "password_reset",
      to: user.email,
      data: { firstName: user.firstName, resetUrl: `${deps.env.PUBLIC_ORIGIN}/reset-password?token=${reset.token}` },
    });
    linkWrites = [reset.insert, outboxInsert(deps, link)];
  }
  await deps.db.batch([
    auditInsert(deps, {
      eventType: "password.reset_requested",
      outcome: "info",
      subjectUserId: user?.id ?? null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { loginId: input.userId, ...(mayEmail ? {} : { emailSuppressed: "recipient_limit" }) },
    }),
    ...linkWrites,
  ]);
  if (link) await drainAfterWrite(deps, [link]);
  return ok(null);
}

/** What the reset screen needs: the user, and whether a second factor is required. */
export async function getPasswordResetContext(deps: Deps, token: string | null) {
  const row = await peekEmailToken(deps, token, "password_reset");
  if (!row) return null;
  const user = await deps.db.select().from(users).where(eq(users.id, row.userId)).get();
  if (user?.status !== "active" || user.heldAt) return null;
  const [kinds, strong] = await Promise.all([confirmedKinds(deps, user.id), strongFactorsOf(deps, user.id)]);
  // Every strong factor counts, security keys and passkeys too (the screen's script asks the key):
  // an account with one never resets with the link alone. The key is offered last, so the choice
  // a page without JavaScript starts on is one it can use.
  const strongTypes = [...strong.filter((t) => t !== "webauthn"), ...strong.filter((t) => t === "webauthn")];
  return {
    user,
    deviceKinds: kinds,
    strongTypes,
    // No strong factor (only emailed codes, or no device at all, as after Reset MFA): the link
    // alone resets, under the weak-reset rules (everyone on file told, 24 hours restricted).
    weakOnly: strongTypes.length === 0,
  };
}

/**
 * Why a reset did not happen: the link, the new password, the security key's
 * missing answer (`strongTypes`: what else the account has), the second factor.
 */
type ResetPasswordCode =
  | "throttled"
  | "expired"
  | PasswordProblem
  | "key_needs_script"
  | "key_not_verified"
  | "wrong_code"
  | "mfa_locked";

/** A reset proven only by the emailed link: sensitive changes stay closed this long (Login.gov's account reset). */
export const WEAK_RESET_RESTRICTION_MS = 24 * 60 * 60 * 1000;
/** The reset form's own throttle, per client. */
const RESET_FORM_PER_IP = { limit: 20, windowMs: 15 * 60 * 1000 };

/**
 * Completes a reset: the link plus a strong factor (authenticator app, security
 * key or passkey, recovery code) when the account has one; a security key
 * answers with an assertion to a single-use challenge bound to the link's user. An account whose only factors are
 * weak (email) may still reset with the link, but then every address on file is
 * told and for 24 hours nothing sensitive can change; "This wasn't me" in that
 * email holds the account for the help desk. Sign-in locks end; every session ends.
 */
export async function resetPassword(
  deps: Deps,
  { token, newPassword, deviceType, code, assertion }: ResetPasswordInput,
  client: Client,
): Promise<Result<null, ResetPasswordCode>> {
  const throttle = await hitRateLimit(deps, ipKey("reset", client.ip), RESET_FORM_PER_IP);
  if (!throttle.allowed) return throttled(throttle.retryAfterSeconds);
  const context = await getPasswordResetContext(deps, token);
  if (!context) return fail("expired");
  const { user, strongTypes, weakOnly } = context;
  const problem = await checkNewPassword(newPassword, user);
  if (problem) return newPasswordFailure(problem);
  if (strongTypes.length > 0) {
    const type = deviceType || strongTypes[0];
    // No answer from a security key (the script did not run): nothing was tried, so nothing is counted.
    if (type === "webauthn" && strongTypes.includes("webauthn") && !assertion?.trim())
      return fail("key_needs_script", { field: "deviceType", detail: { strongTypes: strongTypes.join(",") } });
    const answer = type === "webauthn" ? (assertion ?? "") : code;
    const verified = await verifySecondFactor(deps, user, type, answer, { allowed: strongTypes });
    if (!verified.ok) {
      await auditInsert(deps, {
        eventType: "password.reset_second_factor_failed",
        outcome: "failure",
        subjectUserId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
      });
      // Next to what was used: the typed code, or the choice of the security key.
      const field = type === "webauthn" ? "deviceType" : "code";
      if (verified.code === "mfa_locked") return fail("mfa_locked", { field, detail: verified.detail });
      return fail(type === "webauthn" ? "key_not_verified" : "wrong_code", { field });
    }
  }
  if (!(await consumeEmailToken(deps, token, "password_reset"))) return fail("expired");
  const now = deps.now();
  // The new password, the restriction after a weak reset (with its "This
  // wasn't me" token), their audit events and the emails: one batch.
  let emails: OutboxEntry[];
  let also: BatchItem<"sqlite">[];
  if (weakOnly) {
    const until = new Date(now.getTime() + WEAK_RESET_RESTRICTION_MS);
    const notMe = newEmailToken(deps, user.id, "weak_reset_not_me");
    emails = [];
    for (const to of await addressesOnFile(deps, user)) {
      emails.push(
        await outboxEmail(deps, {
          template: "weak_reset_notice",
          to,
          data: {
            firstName: user.firstName,
            when: formatTime(now),
            restrictedUntil: formatTime(until),
            notMeUrl: `${deps.env.PUBLIC_ORIGIN}/this-wasnt-me?token=${notMe.token}`,
          },
        }),
      );
    }
    also = [
      deps.db.update(users).set({ restrictedUntil: until, updatedAt: now }).where(eq(users.id, user.id)),
      auditInsert(deps, {
        eventType: "account.restricted",
        outcome: "info",
        subjectUserId: user.id,
        ip: client.ip,
        details: { until: until.toISOString(), reason: "weak_reset" },
      }),
      notMe.insert,
      ...emails.map((e) => outboxInsert(deps, e)),
    ];
  } else {
    emails = [
      await outboxEmail(deps, {
        template: "password_changed",
        to: user.email,
        data: { firstName: user.firstName, when: formatTime(now) },
      }),
    ];
    also = emails.map((e) => outboxInsert(deps, e));
  }
  await setPassword(deps, user, newPassword, client, "password.reset", also);
  await endOtherSessions(deps, user.id, null);
  await clearAttemptsWithPrefix(deps, signInLockPrefix(deps.env, user.loginId));
  await drainAfterWrite(deps, emails);
  return ok(null);
}

/** Every address the account has (today: the profile email; later, any secondary address). */
async function addressesOnFile(_deps: Deps, user: User): Promise<string[]> {
  return [user.email];
}

/** "This wasn't me": every session ends and a password reset starts. */
export async function reportNotMe(
  deps: Deps,
  { token }: NotMeInput,
  client: Client,
): Promise<Result<{ resetToken: string } | { held: true }, "expired">> {
  const afterWeakReset = await consumeEmailToken(deps, token, "weak_reset_not_me");
  if (afterWeakReset) return ok(await holdForHelpDesk(deps, afterWeakReset, client));
  const userId = await consumeEmailToken(deps, token, "not_me");
  if (!userId) return fail("expired");
  await endOtherSessions(deps, userId, null);
  await auditInsert(deps, {
    eventType: "account.reported_not_me",
    outcome: "info",
    subjectUserId: userId,
    ip: client.ip,
    userAgent: client.userAgent,
  });
  return ok({ resetToken: await createEmailToken(deps, userId, "password_reset") });
}

/**
 * "This wasn't me" after a weak reset: the reset's password stops working
 * (the account is held), every session ends, and only the help desk can
 * release it after verifying the person.
 */
async function holdForHelpDesk(deps: Deps, userId: string, client: Client): Promise<{ held: true }> {
  const now = deps.now();
  const user = await deps.db.select().from(users).where(eq(users.id, userId)).get();
  const email = user
    ? await outboxEmail(deps, { template: "account_held", to: user.email, data: { firstName: user.firstName } })
    : null;
  // The email exists only if this batch put the account on hold.
  const heldNow = sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId} AND ${users.heldAt} = ${now.getTime()})`;
  await deps.db.batch([
    deps.db
      .update(users)
      .set({ heldAt: now, heldReason: "reported_not_me", updatedAt: now })
      .where(eq(users.id, userId)),
    auditInsert(deps, {
      eventType: "account.held",
      outcome: "info",
      subjectUserId: userId,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { reason: "reported_not_me" },
    }),
    ...(email ? [outboxInsert(deps, email, heldNow)] : []),
  ]);
  await endOtherSessions(deps, userId, null);
  if (email) await drainAfterWrite(deps, [email]);
  return { held: true };
}

/** Recent security events for the profile, newest first. */
/** The query (await it, or put it in a batch). */
export function recentSecurityEvents(deps: Pick<Deps, "db">, userId: string, limit = 20) {
  return deps.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.subjectUserId, userId))
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}
