import { and, desc, eq, gte, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import { type Actor, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { emailLog, outbox } from "../db/schema";
import type { Deps } from "../deps";
import { listFailedLogouts } from "../oidc/backchannel";
import { fail, ok, type Result, refused } from "../result";
import { drainAfterWrite, MAX_OUTBOX_ATTEMPTS, openEmailMessage } from "./outbox";

/**
 * Failed email (SPEC 2.8, Administration): what never reached its recipient,
 * and "Resend".
 *
 * Two kinds of failure:
 * - a dead letter: the queue gave up on the message after its retries; the
 *   dead-letter consumer (`recordDeadLetter`) marks its email_log row 'failed'
 *   and keeps the message sealed on that row;
 * - a retired outbox row: the outbox could not hand the message to the queue
 *   MAX_OUTBOX_ATTEMPTS times (`drainOutbox`) and stopped trying; the sealed
 *   message is still on the row.
 *
 * Resend is exactly once. It is one D1 batch (a transaction, and D1 runs one
 * at a time) whose statements are each guarded by the row still being failed,
 * and whose last statement moves it out of that state: of any number of
 * parallel Resends one batch does the work, the others change nothing. The
 * winner puts the message back in the outbox under its original idempotency
 * key (a dead letter: its email_log row goes from 'failed' to 'retrying', the
 * one state the consumer's claim takes again, once); the outbox drain queues
 * it, and the consumer's claim on email_log sends one email per key however
 * often the queue delivers it.
 */

export type FailedEmailSource = "dead_letter" | "outbox";

export interface FailedEmail {
  source: FailedEmailSource;
  idempotencyKey: string;
  template: string;
  /** A dead letter's recipient; a retired outbox row's, opened from its sealed message (null if unreadable). */
  recipient: string | null;
  subject: string | null;
  lastError: string | null;
  attempts: number;
  at: Date;
  /** Whether the message is still kept, so it can be resent. */
  resendable: boolean;
}

const retiredOutbox = and(isNull(outbox.queuedAt), gte(outbox.attempts, MAX_OUTBOX_ATTEMPTS));

/** How many emails wait for a person: for the Administration menu. */
export async function failedEmailCount(deps: Pick<Deps, "db">): Promise<number> {
  const [n] = await failedEmailCountStatement(deps);
  return n?.n ?? 0;
}

/**
 * The count as one statement, for a caller's batch (the session's, for the
 * Administration menu); `onlyIf` makes it 0 unless the condition holds.
 */
export function failedEmailCountStatement(deps: Pick<Deps, "db">, onlyIf: SQL = sql`1`) {
  return deps.db
    .select({
      n: sql<number>`(SELECT count(*) FROM ${emailLog} WHERE ${emailLog.status} = 'failed') + (SELECT count(*) FROM ${outbox} WHERE ${retiredOutbox})`,
    })
    .from(sql`(SELECT 1)`)
    .where(onlyIf);
}

/** The failed emails, newest first (at most `limit` of each kind). */
export async function listFailedEmail(
  deps: Pick<Deps, "db" | "env">,
  limit = 200,
): Promise<{
  deadLetters: FailedEmail[];
  retired: FailedEmail[];
  /** Back-channel logouts that failed every retry (the same screen, the same round trip). */
  logouts: Awaited<ReturnType<typeof listFailedLogouts>>;
}> {
  const [dead, stuck, logouts] = await deps.db.batch([
    deps.db
      .select({
        idempotencyKey: emailLog.idempotencyKey,
        kind: emailLog.kind,
        recipient: emailLog.recipient,
        subject: emailLog.subject,
        lastError: emailLog.lastError,
        attempts: emailLog.attempts,
        updatedAt: emailLog.updatedAt,
        kept: sql<number>`${emailLog.sealed} IS NOT NULL`,
      })
      .from(emailLog)
      .where(eq(emailLog.status, "failed"))
      .orderBy(desc(emailLog.updatedAt))
      .limit(limit),
    deps.db
      .select({
        idempotencyKey: outbox.idempotencyKey,
        template: outbox.template,
        sealed: outbox.sealed,
        attempts: outbox.attempts,
        createdAt: outbox.createdAt,
      })
      .from(outbox)
      .where(retiredOutbox)
      .orderBy(desc(outbox.createdAt))
      .limit(limit),
    listFailedLogouts(deps),
  ]);
  const retired: FailedEmail[] = [];
  for (const row of stuck) {
    // The recipient is sealed with the message: opened only to show who it was for.
    let recipient: string | null = null;
    if (row.sealed) {
      try {
        recipient = (await openEmailMessage(deps, row.idempotencyKey, new Uint8Array(row.sealed))).to;
      } catch {
        recipient = null;
      }
    }
    retired.push({
      source: "outbox",
      idempotencyKey: row.idempotencyKey,
      template: row.template,
      recipient,
      subject: null,
      lastError: recipient === null ? "The sealed message cannot be opened" : "Could not be handed to the queue",
      attempts: row.attempts,
      at: row.createdAt,
      resendable: row.sealed !== null,
    });
  }
  return {
    deadLetters: dead.map((r) => ({
      source: "dead_letter" as const,
      idempotencyKey: r.idempotencyKey,
      template: r.kind,
      recipient: r.recipient,
      subject: r.subject || null,
      lastError: r.lastError,
      attempts: r.attempts,
      at: r.updatedAt,
      resendable: Boolean(r.kept),
    })),
    retired,
    logouts,
  };
}

/**
 * Why a resend did nothing (besides `refused`: `can()` said no):
 * - `not_failed`: the email is no longer failed (someone resent it, or it was sent);
 * - `not_kept`: its message is not kept, so it cannot be resent (a dead letter from before messages were
 *   kept, or a retired outbox row whose message is gone).
 */
export type ResendError = "not_failed" | "not_kept";

/**
 * Resends one failed email (see the top of this module for why exactly once).
 * The caller has checked `admin.manage`; it is asked again here, as every
 * service that changes something does.
 */
export async function resendFailedEmail(
  deps: Deps,
  actor: Actor,
  input: { source: FailedEmailSource; idempotencyKey: string },
): Promise<Result<null, ResendError>> {
  const now = deps.now();
  const decision = can(actor, "admin.manage", {}, now);
  if (!decision.ok) return refused(decision);
  const key = input.idempotencyKey;

  if (input.source === "dead_letter") {
    const row = await deps.db
      .select({ kind: emailLog.kind, status: emailLog.status, kept: isNotNull(emailLog.sealed) })
      .from(emailLog)
      .where(eq(emailLog.idempotencyKey, key))
      .get();
    if (row?.status !== "failed") return fail("not_failed");
    if (!row.kept) return fail("not_kept");
    const stillFailed = sql`EXISTS (SELECT 1 FROM ${emailLog} WHERE ${emailLog.idempotencyKey} = ${key} AND ${emailLog.status} = 'failed' AND ${emailLog.sealed} IS NOT NULL)`;
    const results = await deps.db.batch([
      auditInsert(
        deps,
        {
          eventType: "email.resent",
          outcome: "info",
          actorUserId: actor.userId,
          details: { template: row.kind, idempotencyKey: key, source: "dead_letter" },
        },
        stillFailed,
      ),
      // Back into the outbox under the same key: a new row, or the one that first queued it, unqueued again.
      deps.db
        .insert(outbox)
        .select(
          sql`SELECT NULL, ${emailLog.idempotencyKey}, ${emailLog.kind}, ${emailLog.sealed}, ${deps.traceId}, ${now.getTime()}, NULL, 0, NULL FROM ${emailLog} WHERE ${emailLog.idempotencyKey} = ${key} AND ${emailLog.status} = 'failed' AND ${emailLog.sealed} IS NOT NULL`,
        )
        .onConflictDoUpdate({
          target: outbox.idempotencyKey,
          set: { sealed: sql`excluded.sealed`, claimedAt: null, attempts: 0, queuedAt: null },
        }),
      // Last: out of 'failed', into the one state the consumer's claim takes again.
      deps.db
        .update(emailLog)
        .set({ status: "retrying", lastError: "Resent from Administration", updatedAt: now })
        .where(and(eq(emailLog.idempotencyKey, key), eq(emailLog.status, "failed"), isNotNull(emailLog.sealed)))
        .returning({ key: emailLog.idempotencyKey }),
    ]);
    if ((results.at(-1) as { key: string }[]).length === 0) return fail("not_failed");
    await drainAfterWrite(deps, [key]);
    return ok(null);
  }

  const row = await deps.db
    .select({ template: outbox.template, kept: isNotNull(outbox.sealed) })
    .from(outbox)
    .where(and(eq(outbox.idempotencyKey, key), retiredOutbox))
    .get();
  if (!row) return fail("not_failed");
  if (!row.kept) return fail("not_kept");
  const stillRetired = sql`EXISTS (SELECT 1 FROM ${outbox} WHERE ${outbox.idempotencyKey} = ${key} AND ${outbox.queuedAt} IS NULL AND ${outbox.attempts} >= ${MAX_OUTBOX_ATTEMPTS})`;
  const results = await deps.db.batch([
    auditInsert(
      deps,
      {
        eventType: "email.resent",
        outcome: "info",
        actorUserId: actor.userId,
        details: { template: row.template, idempotencyKey: key, source: "outbox" },
      },
      stillRetired,
    ),
    deps.db
      .update(outbox)
      .set({ attempts: 0, claimedAt: null })
      .where(and(eq(outbox.idempotencyKey, key), retiredOutbox))
      .returning({ key: outbox.idempotencyKey }),
  ]);
  if ((results.at(-1) as { key: string }[]).length === 0) return fail("not_failed");
  await drainAfterWrite(deps, [key]);
  return ok(null);
}
