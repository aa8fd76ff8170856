import { eq } from "drizzle-orm";
import { CHALLENGE_QUESTIONS, type ChallengeQuestionKey, normaliseAnswer } from "~/lib/challenge-questions";
import type { RecoverWithQuestionsInput } from "~/lib/sign-in-schemas";
import { recordAuditEvent } from "../audit/record";
import { challengeAnswers, users } from "../db/schema";
import type { Deps } from "../deps";
import { fail, type Result } from "../result";
import { keyedHash } from "./keyed-hash";
import { sendEmailCode } from "./mfa";
import { spendVerifyTime, verifyPassword } from "./password";
import { clientKey, hitRateLimit } from "./rate-limit";
import { loggedLoginId } from "./sign-in";

/** Issue 4: three tries at the challenge questions (per User ID, per day). */
export const CHALLENGE_TRIES = { limit: 3, windowMs: 24 * 60 * 60 * 1000 };

/**
 * The questions to ask for a User ID. An unknown one gets a fixed set derived
 * from the ID itself, so the screen does not say who is registered.
 */
export async function challengeQuestionsFor(
  deps: Pick<Deps, "db" | "env">,
  loginId: string,
): Promise<ChallengeQuestionKey[]> {
  const rows = await deps.db
    .select({ key: challengeAnswers.questionKey })
    .from(challengeAnswers)
    .innerJoin(users, eq(users.id, challengeAnswers.userId))
    .where(eq(users.loginId, loginId));
  if (rows.length > 0) return rows.map((r) => r.key as ChallengeQuestionKey).sort();
  const keys = Object.keys(CHALLENGE_QUESTIONS) as ChallengeQuestionKey[];
  // Keyed: without the portal's secret nobody can tell decoys from a real account's questions.
  const rank = (key: string) => keyedHash(deps.env, "decoy-questions", `${loginId}:${key}`);
  return [...keys]
    .sort((a, b) => rank(a).localeCompare(rank(b)))
    .slice(0, 3)
    .sort();
}

/**
 * "Unable to Access Security Code?": right answers to every question email a
 * One-Time Security Code to the address on the profile.
 */
export async function answerChallengeQuestions(
  deps: Deps,
  { loginId, answers }: RecoverWithQuestionsInput,
  client: { ip: string | null; userAgent: string | null },
): Promise<Result<null, "wrong" | "exhausted" | "throttled" | "throttled_today">> {
  // Per User ID and client: a stranger's wrong answers do not use up the owner's tries.
  const tries = await hitRateLimit(
    deps,
    `challenge:${keyedHash(deps.env, "login-id", loginId)}:${clientKey(client.ip)}`,
    CHALLENGE_TRIES,
  );
  if (!tries.allowed) return fail("exhausted", { detail: { limit: CHALLENGE_TRIES.limit } });
  const user = await deps.db.select().from(users).where(eq(users.loginId, loginId)).get();
  const stored = user ? await deps.db.select().from(challengeAnswers).where(eq(challengeAnswers.userId, user.id)) : [];
  let allRight = stored.length > 0;
  for (const row of stored) {
    // Every answer is checked, right or wrong, so timing says nothing.
    if (
      !(await verifyPassword(normaliseAnswer(answers[row.questionKey as ChallengeQuestionKey] ?? ""), row.answerHash))
    )
      allRight = false;
  }
  if (stored.length === 0) await spendVerifyTime(3);
  await recordAuditEvent(deps, {
    eventType: allRight ? "mfa.challenge_passed" : "mfa.challenge_failed",
    outcome: allRight ? "success" : "failure",
    subjectUserId: user?.id ?? null,
    ip: client.ip,
    userAgent: client.userAgent,
    details: loggedLoginId(deps.env, loginId, Boolean(user)),
  });
  if (!allRight || !user || user.status !== "active" || user.heldAt) return fail("wrong");
  // The code's own limits (per 15 minutes, per day) pass through.
  return sendEmailCode(deps, user, "challenge_recovery", { kind: "client", key: clientKey(client.ip) });
}
