import { and, count, desc, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type Actor, administratorEmails, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { reenrollmentLink } from "../auth/reenrollment";
import { auditEvents, identityVerifications, mfaDevices, proofingReviews, recoveryCodes, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, type OutboxEntry, outboxEmail, outboxInsert } from "../mail/outbox";
import { fail, ok, type Result, refused } from "../result";
import { decidedProofingData, openProofingData, type ProofingData, sealProofingData } from "./attempt-data";
import { sameLegalName } from "./names";

type User = typeof users.$inferSelect;
type Client = { ip: string | null };

import type { AdminProofingDecisionInput } from "~/lib/admin-schemas";
import { ATTEMPT_WINDOW_MS, MAX_ATTEMPTS, STEPS } from "~/lib/enrollment";
import type {
  AddressInput,
  IdentityInput,
  KbaAnswersInput,
  ManualProofingInput,
  PhoneSsnInput,
} from "~/lib/enrollment-schemas";

export type { ProofingData } from "./attempt-data";

/**
 * Attempts that count toward the daily limit: failed ones, and ones being
 * checked right now (they may fail; counting them keeps a parallel start from
 * slipping past the limit).
 */
const COUNTED_STATUSES = ["failed", "checking"] as const;

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

export async function getEnrollmentState(deps: Pick<Deps, "db" | "now" | "env">, user: User): Promise<EnrollmentState> {
  const since = new Date(deps.now().getTime() - ATTEMPT_WINDOW_MS);
  const [latest, failed, devices, codes, manual] = await deps.db.batch([
    deps.db
      .select()
      .from(identityVerifications)
      .where(eq(identityVerifications.userId, user.id))
      .orderBy(desc(identityVerifications.startedAt))
      .limit(1),
    deps.db
      .select({ n: count() })
      .from(identityVerifications)
      .where(
        and(
          eq(identityVerifications.userId, user.id),
          inArray(identityVerifications.status, [...COUNTED_STATUSES]),
          gt(identityVerifications.startedAt, since),
        ),
      ),
    deps.db
      .select({ n: count() })
      .from(mfaDevices)
      .where(and(eq(mfaDevices.userId, user.id), isNotNull(mfaDevices.confirmedAt))),
    deps.db.select({ n: count() }).from(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    deps.db
      .select()
      .from(proofingReviews)
      .where(eq(proofingReviews.userId, user.id))
      .orderBy(desc(proofingReviews.createdAt))
      .limit(1),
  ]);
  const row = latest[0];
  const failedAttempts = failed[0]?.n ?? 0;
  return {
    identityVerified: user.identityVerifiedAt !== null,
    hasDevice: (devices[0]?.n ?? 0) > 0,
    hasRecoveryCodes: (codes[0]?.n ?? 0) > 0,
    completed: user.enrollmentCompletedAt !== null,
    attempt: row
      ? { id: row.id, step: row.step, status: row.status, data: await openProofingData(deps.env, row.id, row.dataJson) }
      : null,
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
    if (
      state.attempt?.status === "failed" ||
      state.attempt?.status === "manual_review" ||
      state.attempt?.status === "checking"
    )
      return "/enrollment/step/result";
    return "/enrollment/step/consent";
  }
  if (!state.hasDevice) return "/enrollment/mfa";
  return "/enrollment/finish";
}

/**
 * Step 1: consent starts an attempt, if fewer than 3 were used in 24 hours and
 * none is open. One conditional INSERT … SELECT … WHERE decides, so parallel
 * consent posts cannot start more than the limit (or more than one attempt).
 */
export async function startAttempt(
  deps: Deps,
  user: User,
  client: Client,
): Promise<Result<{ started: boolean }, "exhausted">> {
  const now = deps.now();
  const since = new Date(now.getTime() - ATTEMPT_WINDOW_MS);
  const id = crypto.randomUUID();
  const dataJson = await sealProofingData(deps.env, id, { consentAt: now.toISOString() });
  const iv = identityVerifications;
  // Identity is proven once: a verified account never starts another attempt (a session that
  // completes proofing may bind a first device, so re-proofing would be a way around Reset MFA's link).
  const openOrOverLimit = sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${user.id} AND ${users.identityVerifiedAt} IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM ${iv} WHERE ${iv.userId} = ${user.id} AND ${iv.status} = 'in_progress')
      AND (SELECT count(*) FROM ${iv} WHERE ${iv.userId} = ${user.id} AND ${iv.status} IN ('failed', 'checking') AND ${iv.startedAt} > ${since.getTime()}) < ${MAX_ATTEMPTS}`;
  const [inserted] = await deps.db.batch([
    deps.db
      .insert(iv)
      // Every column, in table order: id, user, provider, status, step, data, reference, started, completed.
      .select(
        sql`SELECT ${id}, ${user.id}, ${deps.proofing.name}, 'in_progress', 2, ${dataJson}, NULL, ${now.getTime()}, NULL WHERE ${openOrOverLimit}`,
      )
      .returning({ id: iv.id }),
    // The audit event exists only if the attempt does.
    deps.db.insert(auditEvents).select(
      sql`SELECT NULL, ${now.getTime()}, 'proofing.started', 'info', ${user.id}, ${user.id}, NULL, NULL, ${client.ip}, NULL, ${deps.traceId}, NULL, '{}'
            WHERE EXISTS (SELECT 1 FROM ${iv} WHERE ${iv.id} = ${id})`,
    ),
  ]);
  if (inserted.length > 0) return ok({ started: true });
  const state = await getEnrollmentState(deps, user);
  // An open attempt (a second click on consent, say) simply continues.
  if (state.attempt?.status === "in_progress") return ok({ started: false });
  return fail("exhausted", { detail: { limit: MAX_ATTEMPTS } });
}

/** Steps 2 and 3: saves what was entered (sealed) and moves on. */
export async function saveStep(
  deps: Deps,
  user: User,
  attemptId: string,
  ...[step, patch]: [2, IdentityInput] | [3, { address: AddressInput }]
) {
  const row = await deps.db
    .select()
    .from(identityVerifications)
    .where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.userId, user.id)))
    .get();
  if (row?.status !== "in_progress" || row.step > 4) return;
  const data = { ...(await openProofingData(deps.env, row.id, row.dataJson)), ...patch };
  await deps.db
    .update(identityVerifications)
    .set({ dataJson: await sealProofingData(deps.env, row.id, data), step: Math.max(row.step, step + 1) })
    // Not once the attempt has gone to the provider.
    .where(
      and(
        eq(identityVerifications.id, attemptId),
        eq(identityVerifications.status, "in_progress"),
        eq(identityVerifications.step, row.step),
      ),
    );
}

/**
 * Moves an attempt from `in_progress` at `step` to `checking` in one conditional
 * statement: exactly one request wins it and may consult the provider.
 */
async function claimAttempt(
  deps: Deps,
  user: User,
  attemptId: string,
  step: 4 | 5,
): Promise<Result<typeof identityVerifications.$inferSelect, "already_checking" | "not_in_progress">> {
  const [claimed] = await deps.db
    .update(identityVerifications)
    .set({ status: "checking" })
    .where(
      and(
        eq(identityVerifications.id, attemptId),
        eq(identityVerifications.userId, user.id),
        eq(identityVerifications.status, "in_progress"),
        eq(identityVerifications.step, step),
      ),
    )
    .returning();
  if (claimed) return ok(claimed);
  const row = await deps.db
    .select({ status: identityVerifications.status })
    .from(identityVerifications)
    .where(eq(identityVerifications.id, attemptId))
    .get();
  if (row?.status === "checking") return fail("already_checking");
  return fail("not_in_progress");
}

/** Gives a claimed attempt back, unchanged, when the provider could not be asked. */
async function releaseAttempt(deps: Deps, attemptId: string) {
  await deps.db
    .update(identityVerifications)
    .set({ status: "in_progress" })
    .where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.status, "checking")));
}

/** Records a claimed attempt's outcome; a verified identity binds to the account (its legal name). */
async function finishAttempt(
  deps: Deps,
  user: User,
  attemptId: string,
  verified: boolean,
  data: ProofingData,
  providerReference: string | null,
  client: Client,
) {
  const now = deps.now();
  const legalName =
    data.firstName && data.lastName ? { firstName: data.firstName.trim(), lastName: data.lastName.trim() } : null;
  // The account is the proven person: a different legal name (middle names aside) replaces the account's.
  const renamed = verified && legalName && !sameLegalName(legalName, user) ? legalName : null;
  await deps.db.batch([
    deps.db
      .update(identityVerifications)
      .set({
        status: verified ? "verified" : "failed",
        step: 6,
        completedAt: now,
        providerReference,
        dataJson: decidedProofingData({
          consentAt: data.consentAt,
          outcome: verified ? "verified" : "failed",
          provider: deps.proofing.name,
          providerReference,
          legalName,
        }),
      })
      .where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.status, "checking"))),
    deps.db
      .update(users)
      .set(verified ? { identityVerifiedAt: now, updatedAt: now, ...(renamed ?? {}) } : { updatedAt: now })
      .where(eq(users.id, user.id)),
    auditInsert(deps, {
      eventType: verified ? "proofing.verified" : "proofing.failed",
      outcome: verified ? "success" : "failure",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
    }),
    ...(renamed
      ? [
          auditInsert(deps, {
            eventType: "account.name_changed",
            outcome: "info",
            subjectUserId: user.id,
            actorUserId: user.id,
            ip: client.ip,
            details: {
              reason: "identity_proofing",
              oldName: { firstName: user.firstName, lastName: user.lastName },
              newName: renamed,
            },
          }),
        ]
      : []),
  ]);
}

/**
 * Step 4: phone and SSN last four complete the applicant, who goes to the
 * provider. Found: questions for step 5. Not found: the attempt fails. The
 * attempt is claimed first, so parallel posts cannot try many last fours.
 */
export async function submitApplicant(
  deps: Deps,
  user: User,
  attemptId: string,
  input: PhoneSsnInput,
  client: Client,
): Promise<Result<{ found: boolean }, "already_checking" | "not_in_progress" | "incomplete">> {
  const claimed = await claimAttempt(deps, user, attemptId, 4);
  if (!claimed.ok) return claimed;
  const row = claimed.value;
  const data = await openProofingData(deps.env, row.id, row.dataJson);
  if (!data.firstName || !data.lastName || !data.dateOfBirth || !data.address) {
    await releaseAttempt(deps, attemptId);
    return fail("incomplete");
  }
  let result: Awaited<ReturnType<Deps["proofing"]["startVerification"]>>;
  try {
    result = await deps.proofing.startVerification({
      firstName: data.firstName,
      middleName: data.middleName ?? "",
      lastName: data.lastName,
      dateOfBirth: data.dateOfBirth,
      address: data.address,
      phone: input.phone,
      ssnLast4: input.ssnLast4,
    });
  } catch (error) {
    await releaseAttempt(deps, attemptId);
    throw error;
  }
  const next: ProofingData = { ...data, phone: input.phone, ssnLast4Provided: true };
  if (!result.found) {
    await finishAttempt(deps, user, attemptId, false, next, null, client);
    return ok({ found: false });
  }
  await deps.db.batch([
    deps.db
      .update(identityVerifications)
      .set({
        status: "in_progress",
        dataJson: await sealProofingData(deps.env, row.id, { ...next, questions: result.questions }),
        providerReference: result.reference,
        step: 5,
      })
      .where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.status, "checking"))),
    auditInsert(deps, {
      eventType: "proofing.applicant_found",
      outcome: "info",
      subjectUserId: user.id,
      actorUserId: user.id,
      ip: client.ip,
    }),
  ]);
  return ok({ found: true });
}

/**
 * Step 5: the provider scores the answers; step 6 shows the result. One answer
 * set per attempt: the attempt is claimed before the provider is asked.
 */
export async function submitAnswers(
  deps: Deps,
  user: User,
  attemptId: string,
  answers: KbaAnswersInput,
  client: Client,
): Promise<Result<{ verified: boolean }, "already_checking" | "not_in_progress" | "unanswered">> {
  const row = await deps.db
    .select()
    .from(identityVerifications)
    .where(and(eq(identityVerifications.id, attemptId), eq(identityVerifications.userId, user.id)))
    .get();
  if (row?.status === "checking") return fail("already_checking");
  if (row?.status !== "in_progress" || row.step !== 5 || !row.providerReference) return fail("not_in_progress");
  const data = await openProofingData(deps.env, row.id, row.dataJson);
  const missing = (data.questions ?? []).filter((q) => !answers[q.id]);
  // The first question left out, and all of them (`questions`, a JSON list of ids).
  if (missing.length > 0)
    return fail("unanswered", {
      field: missing[0].id,
      detail: { questions: JSON.stringify(missing.map((q) => q.id)) },
    });
  const claimed = await claimAttempt(deps, user, attemptId, 5);
  if (!claimed.ok) return claimed;
  const reference = claimed.value.providerReference ?? row.providerReference;
  let verified: boolean;
  try {
    ({ verified } = await deps.proofing.scoreAnswers(reference, answers));
  } catch (error) {
    await releaseAttempt(deps, attemptId);
    throw error;
  }
  await finishAttempt(deps, user, attemptId, verified, data, reference, client);
  return ok({ verified });
}

/** After 3 failed attempts: ask the help desk to verify the applicant by hand. */
export async function requestManualProofing(
  deps: Deps,
  user: User,
  { note }: Pick<ManualProofingInput, "note">,
): Promise<Result<null, "not_eligible" | "already_open">> {
  const state = await getEnrollmentState(deps, user);
  if (state.identityVerified || state.attemptsLeft > 0)
    return fail("not_eligible", { detail: { after: MAX_ATTEMPTS } });
  if (state.manualRequest?.status === "open") return fail("already_open");
  const reviewId = crypto.randomUUID();
  const emails: OutboxEntry[] = [];
  for (const [n, to] of (await administratorEmails(deps)).entries()) {
    emails.push(
      await outboxEmail(deps, {
        template: "manual_proofing_requested",
        to,
        idempotencyKey: `manual_proofing_requested:${reviewId}:${n}`,
        data: { firstName: "", loginId: user.loginId, name: `${user.firstName} ${user.lastName}` },
      }),
    );
  }
  // The request, its audit event and the help desk's emails: one batch.
  await deps.db.batch([
    deps.db
      .insert(proofingReviews)
      .values({ id: reviewId, userId: user.id, note: note.slice(0, 500), createdAt: deps.now() }),
    auditInsert(deps, {
      eventType: "proofing.manual_requested",
      outcome: "info",
      subjectUserId: user.id,
      actorUserId: user.id,
    }),
    ...emails.map((e) => outboxInsert(deps, e)),
  ]);
  await drainAfterWrite(deps, emails);
  return ok(null);
}

/** The query (await it, or put it in a batch). */
export function listManualProofingRequests(deps: Pick<Deps, "db">) {
  return deps.db
    .select({
      id: proofingReviews.id,
      status: proofingReviews.status,
      note: proofingReviews.note,
      createdAt: proofingReviews.createdAt,
      loginId: users.loginId,
      firstName: users.firstName,
      lastName: users.lastName,
      email: users.email,
      phone: users.phone,
    })
    .from(proofingReviews)
    .innerJoin(users, eq(users.id, proofingReviews.userId))
    .where(eq(proofingReviews.status, "open"))
    .orderBy(desc(proofingReviews.createdAt));
}

const decider = alias(users, "decider");

/** The latest decisions, with the evidence checked or the reason for a denial. */
/** The query (await it, or put it in a batch). */
export function listRecentProofingDecisions(deps: Pick<Deps, "db">, limit = 20) {
  return deps.db
    .select({
      id: proofingReviews.id,
      status: proofingReviews.status,
      decidedAt: proofingReviews.decidedAt,
      evidenceType: proofingReviews.evidenceType,
      evidenceLast4: proofingReviews.evidenceLast4,
      denialReason: proofingReviews.denialReason,
      loginId: users.loginId,
      firstName: users.firstName,
      lastName: users.lastName,
      deciderLoginId: decider.loginId,
    })
    .from(proofingReviews)
    .innerJoin(users, eq(users.id, proofingReviews.userId))
    .leftJoin(decider, eq(decider.id, proofingReviews.decidedByUserId))
    .where(isNotNull(proofingReviews.decidedAt))
    .orderBy(desc(proofingReviews.decidedAt))
    .limit(limit);
}

/**
 * A Help Desk Administrator records the outcome of a manual verification (a
 * proofing review), in Administration (SPEC 2.8). `can(actor, "admin.manage")`
 * decides who may, and nobody decides their own review. Approval records the
 * evidence checked (document type and the last four characters of its number;
 * who and when are the decider and the time of the decision); a denial records
 * its reason and emails it to the person. The decision, its audit event and the
 * email are one batch guarded by the review still being open, so two deciders
 * cannot both win.
 */
export async function decideManualProofing(
  deps: Deps,
  actor: Actor,
  input: AdminProofingDecisionInput,
): Promise<Result<null, "not_found" | "own_request" | "already_decided">> {
  const { reviewId, verified } = input;
  const now = deps.now();
  const pending = await deps.db.select().from(proofingReviews).where(eq(proofingReviews.id, reviewId)).get();
  if (!pending) return fail("not_found");
  // Nobody verifies themselves.
  if (pending.userId === actor.userId) return fail("own_request");
  const decision = can(actor, "admin.manage", {}, now);
  if (!decision.ok) return refused(decision);
  const person = await deps.db.select().from(users).where(eq(users.id, pending.userId)).get();
  // One batch decides: everything before the update is written only while the
  // review is still open, that is, only if this batch's update wins.
  const stillOpen = sql`EXISTS (SELECT 1 FROM ${proofingReviews} WHERE ${proofingReviews.id} = ${reviewId} AND ${proofingReviews.status} = 'open')`;
  // Verified by the help desk, not in a session of the person's: the email carries the
  // re-enrollment link that lets their next session bind the first device.
  const link =
    person && input.verified
      ? await reenrollmentLink(
          deps,
          person,
          {
            template: "identity_verified",
            idempotencyKey: `identity_verified:${reviewId}`,
            data: { firstName: person.firstName },
          },
          stillOpen,
        )
      : null;
  const email = !person
    ? null
    : input.verified
      ? (link?.email ?? null)
      : await outboxEmail(deps, {
          template: "identity_not_verified",
          to: person.email,
          idempotencyKey: `identity_not_verified:${reviewId}`,
          data: { firstName: person.firstName, reason: input.denialReason },
        });
  const results = await deps.db.batch([
    auditInsert(
      deps,
      {
        eventType: verified ? "proofing.manual_verified" : "proofing.manual_rejected",
        outcome: verified ? "success" : "failure",
        subjectUserId: pending.userId,
        actorUserId: actor.userId,
        details: input.verified
          ? { evidenceType: input.evidence.type, evidenceLast4: input.evidence.last4 }
          : { reason: input.denialReason },
      },
      stillOpen,
    ),
    ...(verified
      ? [
          deps.db
            .update(users)
            .set({ identityVerifiedAt: now, updatedAt: now })
            .where(and(eq(users.id, pending.userId), stillOpen)),
        ]
      : []),
    ...(link ? [link.insert] : []),
    ...(email ? [outboxInsert(deps, email, stillOpen)] : []),
    deps.db
      .update(proofingReviews)
      .set({
        status: verified ? "verified" : "rejected",
        decidedAt: now,
        decidedByUserId: actor.userId,
        evidenceType: input.verified ? input.evidence.type : null,
        evidenceLast4: input.verified ? input.evidence.last4 : null,
        denialReason: input.verified ? null : input.denialReason,
      })
      .where(and(eq(proofingReviews.id, reviewId), eq(proofingReviews.status, "open")))
      .returning({ userId: proofingReviews.userId }),
  ]);
  const decided = results.at(-1) as { userId: string }[];
  if (decided.length === 0) return fail("already_decided");
  if (email) await drainAfterWrite(deps, [email]);
  return ok(null);
}

/** The last piece: identity verified, a device proven, recovery codes issued. */
export async function completeEnrollment(deps: Deps, user: User) {
  if (user.enrollmentCompletedAt) return;
  await deps.db.batch([
    deps.db
      .update(users)
      .set({ enrollmentCompletedAt: deps.now(), updatedAt: deps.now() })
      .where(eq(users.id, user.id)),
    auditInsert(deps, {
      eventType: "enrollment.completed",
      outcome: "success",
      subjectUserId: user.id,
      actorUserId: user.id,
    }),
  ]);
}
