import { and, desc, eq } from "drizzle-orm";
import { formatTime } from "~/lib/format";
import type { Deps } from "../deps";
import { auditEvents, challengeAnswers, passwordCredentials, users } from "../db/schema";
import { auditInsert } from "../audit/record";
import { enqueueEmail } from "../mail/messages";
import { fail, ok, type Result } from "../result";
import { CHALLENGE_QUESTIONS, CHALLENGE_QUESTION_COUNT, normaliseAnswer, type ChallengeQuestionKey } from "~/lib/challenge-questions";
import { checkPasswordShape } from "~/lib/password-policy";
import { isCommonPassword } from "./common-passwords";
import { consumeEmailToken, createEmailToken, peekEmailToken } from "./email-tokens";
import { hashPassword, verifyPassword } from "./password";
import { hitRateLimit, ipKey, LIMITS, throttled } from "./rate-limit";
import { createSession, endOtherSessions } from "./session";
import { confirmedKinds, verifySecondFactor } from "./mfa";

type User = typeof users.$inferSelect;
type Client = { ip: string | null; userAgent: string | null };


/** All of NIST 800-63B's checks: length, not common, not the User ID or name. */
export async function checkNewPassword(password: string, user: Pick<User, "loginId" | "firstName" | "lastName">): Promise<string | null> {
  const shape = checkPasswordShape(password, user);
  if (shape) return shape;
  if (await isCommonPassword(password)) return "That password is too common and easy to guess. Choose a different one, such as a few unrelated words.";
  return null;
}

async function setPassword(deps: Deps, user: User, password: string, client: Client, eventType: string) {
  const now = deps.now();
  await deps.db.batch([
    deps.db
      .update(passwordCredentials)
      .set({ hash: await hashPassword(password), isTemporary: false, expiresAt: null, changedAt: now })
      .where(eq(passwordCredentials.userId, user.id)),
    deps.db.update(users).set({ failedSignIns: 0, lockedUntil: null, updatedAt: now }).where(eq(users.id, user.id)),
    auditInsert(deps, { eventType, outcome: "success", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, userAgent: client.userAgent }),
  ]);
}

function parseAnswers(form: Record<string, string>): Result<{ key: ChallengeQuestionKey; answer: string }[]> {
  const fieldErrors: Record<string, string[]> = {};
  const chosen: { key: ChallengeQuestionKey; answer: string }[] = [];
  for (let i = 1; i <= CHALLENGE_QUESTION_COUNT; i++) {
    const key = form[`question${i}`];
    const answer = form[`answer${i}`] ?? "";
    if (!key || !(key in CHALLENGE_QUESTIONS)) fieldErrors[`question${i}`] = ["Choose a question."];
    else if (chosen.some((c) => c.key === key)) fieldErrors[`question${i}`] = ["Choose a different question for each answer."];
    if (normaliseAnswer(answer).length < 2) fieldErrors[`answer${i}`] = ["Enter an answer of at least 2 letters or digits."];
    else if (answer.length > 100) fieldErrors[`answer${i}`] = ["Keep the answer under 100 characters."];
    if (key in CHALLENGE_QUESTIONS) chosen.push({ key: key as ChallengeQuestionKey, answer });
  }
  if (Object.keys(fieldErrors).length > 0) return fail("invalid", { fieldErrors });
  return ok(chosen);
}

async function answerStatements(deps: Deps, userId: string, answers: { key: ChallengeQuestionKey; answer: string }[]) {
  const now = deps.now();
  const rows = await Promise.all(
    answers.map(async (a) => ({ id: crypto.randomUUID(), userId, questionKey: a.key, answerHash: await hashPassword(normaliseAnswer(a.answer)), createdAt: now })),
  );
  return [deps.db.delete(challengeAnswers).where(eq(challengeAnswers.userId, userId)), deps.db.insert(challengeAnswers).values(rows)] as const;
}

/**
 * First sign-in (SPEC 2.3): replace the temporary password and choose challenge
 * questions, in one step; the session id changes afterwards.
 */
export async function completeFirstSignIn(
  deps: Deps,
  user: User,
  form: Record<string, string>,
  client: Client & { location: string | null },
  needs: { password: boolean; questions: boolean },
): Promise<Result<{ setCookie: string }>> {
  const fieldErrors: Record<string, string[]> = {};
  if (needs.password) {
    const newPassword = form.newPassword ?? "";
    const problem = await checkNewPassword(newPassword, user);
    if (problem) fieldErrors.newPassword = [problem];
    else if (newPassword !== form.confirmPassword) fieldErrors.confirmPassword = ["The two passwords do not match."];
    else {
      const credential = await deps.db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, user.id)).get();
      if (credential && (await verifyPassword(newPassword, credential.hash))) fieldErrors.newPassword = ["Choose a new password, not your temporary one."];
    }
  }
  const answers = needs.questions ? parseAnswers(form) : ok([]);
  if (!answers.ok) Object.assign(fieldErrors, answers.fieldErrors);
  if (Object.keys(fieldErrors).length > 0 || !answers.ok) return fail("invalid", { fieldErrors });

  if (needs.password) await setPassword(deps, user, form.newPassword, client, "password.set_at_first_sign_in");
  if (needs.questions) {
    await deps.db.batch([
      ...(await answerStatements(deps, user.id, answers.value)),
      auditInsert(deps, { eventType: "challenge_questions.set", outcome: "success", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, userAgent: client.userAgent }),
    ]);
  }
  // Privilege changed: a new session id, and no other session survives.
  await endOtherSessions(deps, user.id, null);
  const session = await createSession(deps, { userId: user.id, ...client });
  return ok({ setCookie: session.setCookie });
}

/** Profile: change the password (current one required); other sessions end. */
export async function changePassword(
  deps: Deps,
  user: User,
  form: Record<string, string>,
  client: Client & { location: string | null },
): Promise<Result<{ setCookie: string }>> {
  const credential = await deps.db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, user.id)).get();
  if (!credential || !(await verifyPassword(form.currentPassword ?? "", credential.hash))) {
    await auditInsert(deps, { eventType: "password.change_failed", outcome: "failure", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, userAgent: client.userAgent });
    return fail("invalid", { fieldErrors: { currentPassword: ["Your current password is not correct."] } });
  }
  const problem = await checkNewPassword(form.newPassword ?? "", user);
  if (problem) return fail("invalid", { fieldErrors: { newPassword: [problem] } });
  if (form.newPassword !== form.confirmPassword) return fail("invalid", { fieldErrors: { confirmPassword: ["The two passwords do not match."] } });
  await setPassword(deps, user, form.newPassword, client, "password.changed");
  await endOtherSessions(deps, user.id, null);
  const session = await createSession(deps, { userId: user.id, ...client });
  await enqueueEmail(deps, { template: "password_changed", to: user.email, data: { firstName: user.firstName, when: formatTime(deps.now()) } });
  return ok({ setCookie: session.setCookie });
}

/** Profile: replace the challenge questions (current password required). */
export async function changeChallengeQuestions(deps: Deps, user: User, form: Record<string, string>, client: Client): Promise<Result<null>> {
  const credential = await deps.db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, user.id)).get();
  const answers = parseAnswers(form);
  const fieldErrors: Record<string, string[]> = answers.ok ? {} : { ...answers.fieldErrors };
  if (!credential || !(await verifyPassword(form.currentPassword ?? "", credential.hash))) fieldErrors.currentPassword = ["Your current password is not correct."];
  if (Object.keys(fieldErrors).length > 0 || !answers.ok) return fail("invalid", { fieldErrors });
  await deps.db.batch([
    ...(await answerStatements(deps, user.id, answers.value)),
    auditInsert(deps, { eventType: "challenge_questions.changed", outcome: "success", subjectUserId: user.id, actorUserId: user.id, ip: client.ip, userAgent: client.userAgent }),
  ]);
  return ok(null);
}

export async function getChallengeQuestionKeys(deps: Pick<Deps, "db">, userId: string) {
  const rows = await deps.db.select({ key: challengeAnswers.questionKey }).from(challengeAnswers).where(eq(challengeAnswers.userId, userId));
  return rows.map((r) => r.key as ChallengeQuestionKey);
}

/** "Forgot User ID?": the same answer whether or not the address is registered. */
export async function remindUserId(deps: Deps, email: string, client: Client): Promise<Result<null, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!throttle.allowed) return throttled("requests", throttle.retryAfterSeconds);
  const user = await deps.db.select().from(users).where(eq(users.email, email)).get();
  await auditInsert(deps, { eventType: "user_id.reminder_requested", outcome: "info", subjectUserId: user?.id ?? null, ip: client.ip, userAgent: client.userAgent });
  if (user) await enqueueEmail(deps, { template: "user_id_reminder", to: user.email, data: { firstName: user.firstName, loginId: user.loginId } });
  return ok(null);
}

/** Forgot password: a one-hour single-use link, only when User ID and email match. Same answer either way. */
export async function requestPasswordReset(deps: Deps, input: { loginId: string; email: string }, client: Client): Promise<Result<null, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!throttle.allowed) return throttled("requests", throttle.retryAfterSeconds);
  const user = await deps.db.select().from(users).where(and(eq(users.loginId, input.loginId), eq(users.email, input.email))).get();
  await auditInsert(deps, { eventType: "password.reset_requested", outcome: "info", subjectUserId: user?.id ?? null, ip: client.ip, userAgent: client.userAgent, details: { loginId: input.loginId } });
  if (user) {
    const token = await createEmailToken(deps, user.id, "password_reset");
    await enqueueEmail(deps, { template: "password_reset", to: user.email, data: { firstName: user.firstName, resetUrl: `${deps.env.PUBLIC_ORIGIN}/reset-password?token=${token}` } });
  }
  return ok(null);
}

/** What the reset screen needs: the user, and whether a second factor is required. */
export async function getPasswordResetContext(deps: Deps, token: string | null) {
  const row = await peekEmailToken(deps, token, "password_reset");
  if (!row) return null;
  const user = await deps.db.select().from(users).where(eq(users.id, row.userId)).get();
  if (!user) return null;
  return { user, deviceKinds: await confirmedKinds(deps, user.id) };
}

/**
 * Completes a reset: the link plus, when the account has a device, a second
 * factor. The account is unlocked and every session ends.
 */
export async function resetPassword(deps: Deps, token: string, form: Record<string, string>, client: Client): Promise<Result<null, "invalid" | "expired">> {
  const context = await getPasswordResetContext(deps, token);
  if (!context) return fail("expired", { message: "This reset link has expired or was already used. Ask for a new one." });
  const { user, deviceKinds } = context;
  const problem = await checkNewPassword(form.newPassword ?? "", user);
  if (problem) return fail("invalid", { fieldErrors: { newPassword: [problem] } });
  if (form.newPassword !== form.confirmPassword) return fail("invalid", { fieldErrors: { confirmPassword: ["The two passwords do not match."] } });
  if (deviceKinds.length > 0) {
    const verified = await verifySecondFactor(deps, user, form.deviceType || deviceKinds[0], form.code ?? "");
    if (!verified.ok) {
      await auditInsert(deps, { eventType: "password.reset_second_factor_failed", outcome: "failure", subjectUserId: user.id, ip: client.ip, userAgent: client.userAgent });
      return fail("invalid", { fieldErrors: { code: [verified.message ?? "The security code is not correct. Enter a current code from your device."] } });
    }
  }
  if (!(await consumeEmailToken(deps, token, "password_reset"))) return fail("expired", { message: "This reset link has expired or was already used. Ask for a new one." });
  await setPassword(deps, user, form.newPassword, client, "password.reset");
  await endOtherSessions(deps, user.id, null);
  await enqueueEmail(deps, { template: "password_changed", to: user.email, data: { firstName: user.firstName, when: formatTime(deps.now()) } });
  return ok(null);
}

/** "This wasn't me": every session ends and a password reset starts. */
export async function reportNotMe(deps: Deps, token: string, client: Client): Promise<Result<{ resetToken: string }, "expired">> {
  const userId = await consumeEmailToken(deps, token, "not_me");
  if (!userId) return fail("expired", { message: "This link has expired or was already used." });
  await endOtherSessions(deps, userId, null);
  await auditInsert(deps, { eventType: "account.reported_not_me", outcome: "info", subjectUserId: userId, ip: client.ip, userAgent: client.userAgent });
  return ok({ resetToken: await createEmailToken(deps, userId, "password_reset") });
}

/** Recent security events for the profile, newest first. */
export async function recentSecurityEvents(deps: Pick<Deps, "db">, userId: string, limit = 20) {
  return deps.db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, userId)).orderBy(desc(auditEvents.id)).limit(limit);
}
