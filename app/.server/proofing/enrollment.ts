import { and, count, desc, eq, gt, isNotNull } from "drizzle-orm";
import type { Deps } from "../deps";
import { identityVerifications, manualProofingRequests, mfaDevices, recoveryCodes, users } from "../db/schema";
import { auditInsert } from "../audit/record";
import { enqueueEmail } from "../mail/messages";
import { fail, ok, type Result } from "../result";
import { createProofingProvider } from "./sandbox";
import { can, helpDeskEmails, type Actor } from "../access/authorize";
import type { Applicant, KbaQuestion } from "./provider";

type User = typeof users.$inferSelect;

import { ATTEMPT_WINDOW_MS, MAX_ATTEMPTS, STEPS } from "~/lib/enrollment";

/** What has been entered so far; never SSN digits (they go to the provider and are forgotten). */
export interface ProofingData {
  consentAt?: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  dateOfBirth?: string;
  address?: Applicant["address"];
  phone?: string;
  ssnLast4Provided?: boolean;
  questions?: KbaQuestion[];
}

export interface EnrollmentState {
  identityVerified: boolean;
  hasDevice: boolean;
  hasRecoveryCodes: boolean;
  completed: boolean;
  attempt: { id: string; step: number; status: string; data: ProofingData } | null;
  failedAttempts: number;
  attemptsLeft: number;
  manualRequest: { status: string; createdAt: Date } | null;
}

export async function getEnrollmentState(deps: Pick<Deps, "db" | "now">, user: User): Promise<EnrollmentState> {
  const since = new Date(deps.now().getTime() - ATTEMPT_WINDOW_MS);
  const [latest, failed, devices, codes, manual] = await deps.db.batch([
    deps.db.select().from(identityVerifications).where(eq(identityVerifications.userId, user.id)).orderBy(desc(identityVerifications.startedAt)).limit(1),
    deps.db
      .select({ n: count() })
      .from(identityVerifications)
      .where(and(eq(identityVerifications.userId, user.id), eq(identityVerifications.status, "failed"), gt(identityVerifications.startedAt, since))),
    deps.db.select({ n: count() }).from(mfaDevices).where(and(eq(mfaDevices.userId, user.id), isNotNull(mfaDevices.confirmedAt))),
    deps.db.select({ n: count() }).from(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    deps.db.select().from(manualProofingRequests).where(eq(manualProofingRequests.userId, user.id)).orderBy(desc(manualProofingRequests.createdAt)).limit(1),
  ]);
  const row = latest[0];
  const failedAttempts = failed[0]?.n ?? 0;
  return {
    identityVerified: user.identityVerifiedAt !== null,
    hasDevice: (devices[0]?.n ?? 0) > 0,
    hasRecoveryCodes: (codes[0]?.n ?? 0) > 0,
    completed: user.enrollmentCompletedAt !== null,
    attempt: row ? { id: row.id, step: row.step, status: row.status, data: JSON.parse(row.dataJson) as ProofingData } : null,
    failedAttempts,
    attemptsLeft: Math.max(0, MAX_ATTEMPTS - failedAttempts),
    manualRequest: manual[0] ? { status: manual[0].status, createdAt: manual[0].createdAt } : null,
  };
}

/** Where enrollment resumes. */
export function nextPath(state: EnrollmentState): string {
  if (state.completed) return "/welcome";
  if (!state.identityVerified) {
    if (state.attempt?.status === "in_progress") return `/enrollment/step/${STEPS[state.attempt.step - 1]}`;
    if (state.attempt?.status === "failed" || state.attempt?.status === "manual_review") return "/enrollment/step/result";
    return "/enrollment/step/consent";
  }
  if (!state.hasDevice) return "/enrollment/mfa";
  return "/enrollment/finish";
}

/** Step 1: consent starts an attempt (if any are left today). */
export async function startAttempt(deps: Deps, user: User, client: { ip: string | null }): Promise<Result<null, "exhausted">> {
  const state = await getEnrollmentState(deps, user);
  if (state.attemptsLeft <= 0) return fail("exhausted", { message: `You have used all ${MAX_ATTEMPTS} attempts in the last 24 hours.` });
  const now = deps.now();
  await deps.db.batch([
    // Abandon an unfinished attempt: it never counted as a failure.
    deps.db
      .update(identityVerifications)
      .set({ status: "failed", completedAt: now, step: 6 })
      .where(and(eq(identityVerifications.userId, user.id), eq(identityVerifications.status, "in_progress"))),
    deps.db.insert(identityVerifications).values({
      id: crypto.randomUUID(),
      userId: user.id,
      provider: createProofingProvider().name,
      status: "in_progress",
      step: 2,
      dataJson: JSON.stringify({ consentAt: now.toISOString() } satisfies ProofingData),
      startedAt: now,
    }),
    auditInsert(deps, { eventType: "proofing.started", outcome: "info", subjectUserId: user.id, actorUserId: user.id, ip: client.ip }),
  ]);
  return ok(null);
}

/** Steps 2 and 3: saves what was entered and moves on. */
export async function saveStep(deps: Deps, user: User, attemptId: string, step: 2 | 3, patch: ProofingData) {
  const row = await deps.db.select().from(identityVerifications).where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.userId, user.id))).get();
  if (!row || row.status !== "in_progress") return;
  const data = { ...(JSON.parse(row.dataJson) as ProofingData), ...patch };
  await deps.db
    .update(identityVerifications)
    .set({ dataJson: JSON.stringify(data), step: Math.max(row.step, step + 1) })
    .where(eq(identityVerifications.id, attemptId));
}

async function finishAttempt(deps: Deps, user: User, attemptId: string, verified: boolean, data: ProofingData, client: { ip: string | null }) {
  const now = deps.now();
  await deps.db.batch([
    deps.db
      .update(identityVerifications)
      .set({ status: verified ? "verified" : "failed", step: 6, completedAt: now, dataJson: JSON.stringify({ ...data, questions: undefined }) })
      .where(eq(identityVerifications.id, attemptId)),
    deps.db.update(users).set(verified ? { identityVerifiedAt: now, updatedAt: now } : { updatedAt: now }).where(eq(users.id, user.id)),
    auditInsert(deps, { eventType: verified ? "proofing.verified" : "proofing.failed", outcome: verified ? "success" : "failure", subjectUserId: user.id, actorUserId: user.id, ip: client.ip }),
  ]);
}

/**
 * Step 4: phone and SSN last four complete the applicant, who goes to the
 * provider. Found: questions for step 5. Not found: the attempt fails.
 */
export async function submitApplicant(
  deps: Deps,
  user: User,
  attemptId: string,
  input: { phone: string; ssnLast4: string },
  client: { ip: string | null },
): Promise<Result<{ found: boolean }>> {
  const row = await deps.db.select().from(identityVerifications).where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.userId, user.id))).get();
  if (!row || row.status !== "in_progress") return fail("not_in_progress");
  const data = JSON.parse(row.dataJson) as ProofingData;
  if (!data.firstName || !data.lastName || !data.dateOfBirth || !data.address) return fail("incomplete");
  const result = await createProofingProvider().startVerification({
    firstName: data.firstName,
    middleName: data.middleName ?? "",
    lastName: data.lastName,
    dateOfBirth: data.dateOfBirth,
    address: data.address,
    phone: input.phone,
    ssnLast4: input.ssnLast4,
  });
  const next: ProofingData = { ...data, phone: input.phone, ssnLast4Provided: true };
  if (!result.found) {
    await finishAttempt(deps, user, attemptId, false, next, client);
    return ok({ found: false });
  }
  await deps.db
    .update(identityVerifications)
    .set({ dataJson: JSON.stringify({ ...next, questions: result.questions }), providerReference: result.reference, step: 5 })
    .where(eq(identityVerifications.id, attemptId));
  return ok({ found: true });
}

/** Step 5: the provider scores the answers; step 6 shows the result. */
export async function submitAnswers(deps: Deps, user: User, attemptId: string, answers: Record<string, string>, client: { ip: string | null }): Promise<Result<{ verified: boolean }>> {
  const row = await deps.db.select().from(identityVerifications).where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.userId, user.id))).get();
  if (!row || row.status !== "in_progress" || !row.providerReference) return fail("not_in_progress");
  const data = JSON.parse(row.dataJson) as ProofingData;
  const missing = (data.questions ?? []).filter((q) => !answers[q.id]);
  if (missing.length > 0) return fail("invalid", { fieldErrors: Object.fromEntries(missing.map((q) => [q.id, ["Choose an answer."]])) });
  const { verified } = await createProofingProvider().scoreAnswers(row.providerReference, answers);
  await finishAttempt(deps, user, attemptId, verified, data, client);
  return ok({ verified });
}


/** After 3 failed attempts: ask the help desk to verify the applicant by hand. */
export async function requestManualProofing(deps: Deps, user: User, note: string): Promise<Result<null, "not_eligible" | "already_open">> {
  const state = await getEnrollmentState(deps, user);
  if (state.identityVerified || state.attemptsLeft > 0) return fail("not_eligible", { message: "Manual proofing is offered after 3 unsuccessful attempts." });
  if (state.manualRequest?.status === "open") return fail("already_open", { message: "Your request is already with the help desk." });
  await deps.db.batch([
    deps.db.insert(manualProofingRequests).values({ id: crypto.randomUUID(), userId: user.id, note: note.slice(0, 500), createdAt: deps.now() }),
    auditInsert(deps, { eventType: "proofing.manual_requested", outcome: "info", subjectUserId: user.id, actorUserId: user.id }),
  ]);
  for (const to of await helpDeskEmails(deps)) {
    await enqueueEmail(deps, {
      template: "manual_proofing_requested",
      to,
      data: { firstName: "", loginId: user.loginId, name: `${user.firstName} ${user.lastName}` },
    });
  }
  return ok(null);
}

export async function listManualProofingRequests(deps: Pick<Deps, "db">) {
  return deps.db
    .select({ id: manualProofingRequests.id, status: manualProofingRequests.status, note: manualProofingRequests.note, createdAt: manualProofingRequests.createdAt, loginId: users.loginId, firstName: users.firstName, lastName: users.lastName, email: users.email, phone: users.phone })
    .from(manualProofingRequests)
    .innerJoin(users, eq(users.id, manualProofingRequests.userId))
    .where(eq(manualProofingRequests.status, "open"))
    .orderBy(desc(manualProofingRequests.createdAt));
}

/**
 * A help-desk user records the outcome of a manual verification (a proofing
 * review). `can(actor, "proofing_review.decide", { ownerUserId })` decides who
 * may; the decision itself is one conditional update, so two deciders cannot
 * both win.
 */
export async function decideManualProofing(deps: Deps, actor: Actor, requestId: string, verified: boolean): Promise<Result<null, "not_found" | "forbidden" | "step_up" | "already_decided">> {
  const now = deps.now();
  const pending = await deps.db.select().from(manualProofingRequests).where(eq(manualProofingRequests.id, requestId)).get();
  if (!pending) return fail("not_found", { message: "No such request." });
  const decision = can(actor, "proofing_review.decide", { ownerUserId: pending.userId }, now);
  if (!decision.ok) {
    // Nobody verifies themselves.
    if (pending.userId === actor.userId) return fail("forbidden", { message: "You cannot decide your own request." });
    return fail(decision.reason === "forbidden" ? "forbidden" : "step_up", { message: "Confirm it is you with a code from your authenticator app first." });
  }
  const helpDesk = { id: actor.userId };
  const [request] = await deps.db
    .update(manualProofingRequests)
    .set({ status: verified ? "verified" : "rejected", decidedAt: now, decidedByUserId: helpDesk.id })
    .where(and(eq(manualProofingRequests.id, requestId), eq(manualProofingRequests.status, "open")))
    .returning({ userId: manualProofingRequests.userId });
  if (!request) return fail("already_decided", { message: "Someone already decided this request." });
  await deps.db.batch([
    auditInsert(deps, { eventType: verified ? "proofing.manual_verified" : "proofing.manual_rejected", outcome: verified ? "success" : "failure", subjectUserId: request.userId, actorUserId: helpDesk.id }),
    ...(verified ? [deps.db.update(users).set({ identityVerifiedAt: now, updatedAt: now }).where(eq(users.id, request.userId))] : []),
  ]);
  if (verified) {
    const person = await deps.db.select().from(users).where(eq(users.id, request.userId)).get();
    if (person) await enqueueEmail(deps, { template: "identity_verified", to: person.email, data: { firstName: person.firstName } });
  }
  return ok(null);
}

/** The last piece: identity verified, a device proven, recovery codes issued. */
export async function completeEnrollment(deps: Deps, user: User) {
  if (user.enrollmentCompletedAt) return;
  await deps.db.batch([
    deps.db.update(users).set({ enrollmentCompletedAt: deps.now(), updatedAt: deps.now() }).where(eq(users.id, user.id)),
    auditInsert(deps, { eventType: "enrollment.completed", outcome: "success", subjectUserId: user.id, actorUserId: user.id }),
  ]);
}

