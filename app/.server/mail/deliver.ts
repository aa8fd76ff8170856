import { and, eq, sql } from "drizzle-orm";
import { recordAuditEvent } from "../audit/record";
import { emailLog } from "../db/schema";
import type { Deps } from "../deps";
import type { Mailer } from "./mailer";
import type { EmailQueueMessage } from "./messages";
import { sealEmailMessage } from "./outbox";
import { renderEmail } from "./templates";

/**
 * A claim older than this is taken to belong to a consumer that died mid-send;
 * the message may then be sent again (at-least-once beats never).
 */
export const STALE_CLAIM_MS = 5 * 60 * 1000;

/** Delay before retry n (1-based): 10 s, 20 s, 40 s, 80 s, 160 s, capped at 1 h. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(10 * 2 ** Math.max(0, attempt - 1), 3600);
}

export type DeliveryOutcome = "sent" | "duplicate" | "retry";

/**
 * Renders and sends one queued email exactly once per idempotency key. The row in
 * email_log is claimed with a single conditional upsert, so two deliveries of the
 * same message (or two consumers) cannot both send it.
 */
export async function deliverEmail(
  deps: Pick<Deps, "db" | "env" | "now" | "traceId">,
  mailer: Mailer,
  message: EmailQueueMessage,
): Promise<{ outcome: DeliveryOutcome; error?: string }> {
  const now = deps.now();
  const rendered = renderEmail(message.template, message.data, { origin: deps.env.PUBLIC_ORIGIN });
  const staleBefore = now.getTime() - STALE_CLAIM_MS;

  const claimed = await deps.db
    .insert(emailLog)
    .values({
      idempotencyKey: message.idempotencyKey,
      kind: message.template,
      recipient: message.to,
      subject: rendered.subject,
      status: "sending",
      attempts: 1,
      claimedAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: emailLog.idempotencyKey,
      set: { status: "sending", attempts: sql`${emailLog.attempts} + 1`, claimedAt: now, updatedAt: now },
      setWhere: sql`${emailLog.status} = 'retrying' OR (${emailLog.status} = 'sending' AND ${emailLog.claimedAt} < ${staleBefore})`,
    })
    .returning({ key: emailLog.idempotencyKey });

  if (claimed.length === 0) return { outcome: "duplicate" };

  try {
    await mailer.send({
      from: deps.env.MAIL_FROM,
      to: message.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      idempotencyKey: message.idempotencyKey,
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    await deps.db
      .update(emailLog)
      .set({ status: "retrying", lastError: text.slice(0, 500), updatedAt: deps.now() })
      .where(eq(emailLog.idempotencyKey, message.idempotencyKey));
    return { outcome: "retry", error: text };
  }

  await deps.db
    .update(emailLog)
    // A resent dead letter no longer needs its sealed copy.
    .set({ status: "sent", sentAt: deps.now(), updatedAt: deps.now(), lastError: null, sealed: null })
    .where(and(eq(emailLog.idempotencyKey, message.idempotencyKey), eq(emailLog.status, "sending")));
  return { outcome: "sent" };
}

/**
 * Called for each message that exhausted its retries: the failure is recorded in
 * email_log and the audit log, so nothing is lost silently. The message is kept
 * sealed with it, so the help desk can resend it (Administration, Failed email).
 */
export async function recordDeadLetter(deps: Pick<Deps, "db" | "env" | "now" | "traceId">, message: EmailQueueMessage) {
  const now = deps.now();
  const sealed = await sealEmailMessage(deps, message);
  await deps.db
    .insert(emailLog)
    .values({
      idempotencyKey: message.idempotencyKey,
      kind: message.template,
      recipient: message.to,
      subject: "",
      status: "failed",
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      lastError: "Never delivered: no attempt was recorded",
      sealed: Buffer.from(sealed),
    })
    .onConflictDoUpdate({
      target: emailLog.idempotencyKey,
      set: { status: "failed", updatedAt: now, sealed: Buffer.from(sealed) },
      setWhere: sql`${emailLog.status} <> 'sent'`,
    });
  await recordAuditEvent(deps, {
    eventType: "email.dead_lettered",
    outcome: "failure",
    details: { template: message.template, idempotencyKey: message.idempotencyKey },
  });
}
