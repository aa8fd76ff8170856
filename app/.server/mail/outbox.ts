import { and, asc, eq, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { openSecret, sealSecret } from "../auth/secret-box";
import { outbox } from "../db/schema";
import type { Deps } from "../deps";
import type { EmailQueueMessage } from "./messages";
import type { TemplateData, TemplateName } from "./templates";

/**
 * The outbox (SPEC 2.7, docs/decisions/2026-11-23-outbox-and-approvals.md).
 *
 * A service that changes state and emails about it builds the email with
 * `outboxEmail` before its batch, puts `outboxInsert(deps, entry, onlyIf?)` in
 * the same `db.batch()` as the state change and its audit event, and calls
 * `drainAfterWrite(deps, [entry])` after it. The cron drains whatever a crash left.
 * The consumer's idempotency key (email_log) makes a row queued twice send once.
 */

/** A drain that claimed a row and died is presumed dead after this; the next drain takes the row. */
export const OUTBOX_CLAIM_MS = 60 * 1000;
/** Queued rows are kept this long as the record that an email was caused (jobs key reminders on them). */
export const OUTBOX_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;
/**
 * A row that could not be queued this many times stays (unqueued, for a person
 * to look at) instead of being retried forever.
 */
export const MAX_OUTBOX_ATTEMPTS = 10;
/** Queues.sendBatch takes at most 100 messages. */
const DRAIN_LIMIT = 100;

export interface OutboxEntry {
  idempotencyKey: string;
  template: TemplateName;
  sealed: Uint8Array;
}

export interface OutboxInput<T extends TemplateName> {
  template: T;
  to: string;
  data: TemplateData[T];
  /** Deterministic for anything a job or a retry could cause twice, e.g. `request_decided:QR-…`. */
  idempotencyKey?: string;
}

const associatedData = (key: string) => `outbox:${key}`;

/**
 * Seals a queue message bound to its idempotency key: the outbox keeps messages
 * this way, and so does email_log for a dead-lettered one (to resend it).
 */
export function sealEmailMessage(deps: Pick<Deps, "env">, message: EmailQueueMessage): Promise<Uint8Array> {
  return sealSecret(
    deps.env.TOTP_ENCRYPTION_KEY,
    new TextEncoder().encode(JSON.stringify(message)),
    associatedData(message.idempotencyKey),
  );
}

/** Opens what `sealEmailMessage` sealed under `key` (throws if it was sealed under another). */
export async function openEmailMessage(
  deps: Pick<Deps, "env">,
  key: string,
  sealed: Uint8Array | ArrayBuffer,
): Promise<EmailQueueMessage> {
  const plain = await openSecret(deps.env.TOTP_ENCRYPTION_KEY, new Uint8Array(sealed), associatedData(key));
  return JSON.parse(new TextDecoder().decode(plain)) as EmailQueueMessage;
}

/** Seals one email for the outbox (the message holds an address and maybe a code or a link). */
export async function outboxEmail<T extends TemplateName>(
  deps: Pick<Deps, "env" | "traceId">,
  input: OutboxInput<T>,
): Promise<OutboxEntry> {
  const idempotencyKey = input.idempotencyKey ?? `${input.template}:${crypto.randomUUID()}`;
  const message: EmailQueueMessage = {
    type: "email",
    template: input.template,
    to: input.to,
    data: input.data,
    idempotencyKey,
    traceId: deps.traceId,
  } as EmailQueueMessage;
  const sealed = await sealEmailMessage(deps, message);
  return { idempotencyKey, template: input.template, sealed };
}

/**
 * The statement that writes an entry, for the caller's batch. `onlyIf` (an SQL
 * condition on the state the batch just wrote) makes the email exist only if
 * the change does; a key already in the outbox adds nothing.
 */
export function outboxInsert(deps: Pick<Deps, "db" | "now" | "traceId">, entry: OutboxEntry, onlyIf?: SQL) {
  return deps.db
    .insert(outbox)
    .select(
      sql`SELECT NULL, ${entry.idempotencyKey}, ${entry.template}, ${entry.sealed}, ${deps.traceId}, ${deps.now().getTime()}, NULL, 0, NULL WHERE ${onlyIf ?? sql`1`}`,
    )
    .onConflictDoNothing();
}

/**
 * Hands unqueued outbox rows to the queue: claims them with one conditional
 * update (so two drains never take the same row), sends them in one
 * `sendBatch`, then marks them queued and drops the sealed message. A failure
 * leaves the rows claimed; after OUTBOX_CLAIM_MS any drain (the cron) retries.
 * With `keys`, only those rows (the ones a request just wrote).
 */
export async function drainOutbox(
  deps: Pick<Deps, "db" | "env" | "now" | "enqueue">,
  keys?: readonly (string | OutboxEntry)[],
): Promise<number> {
  const only = keys?.map((k) => (typeof k === "string" ? k : k.idempotencyKey));
  if (only && only.length === 0) return 0;
  let total = 0;
  for (;;) {
    const now = deps.now();
    const candidates = deps.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          isNull(outbox.queuedAt),
          or(isNull(outbox.claimedAt), lt(outbox.claimedAt, new Date(now.getTime() - OUTBOX_CLAIM_MS))),
          lt(outbox.attempts, MAX_OUTBOX_ATTEMPTS),
          only ? inArray(outbox.idempotencyKey, only) : undefined,
        ),
      )
      .orderBy(asc(outbox.id))
      .limit(DRAIN_LIMIT);
    const claimed = await deps.db
      .update(outbox)
      .set({ claimedAt: now, attempts: sql`${outbox.attempts} + 1` })
      .where(
        and(
          inArray(outbox.id, candidates),
          isNull(outbox.queuedAt),
          or(isNull(outbox.claimedAt), lt(outbox.claimedAt, new Date(now.getTime() - OUTBOX_CLAIM_MS))),
        ),
      )
      .returning({ id: outbox.id, idempotencyKey: outbox.idempotencyKey, sealed: outbox.sealed });
    if (claimed.length === 0) return total;

    const messages: EmailQueueMessage[] = [];
    const opened: number[] = [];
    for (const row of claimed) {
      try {
        messages.push(await openEmailMessage(deps, row.idempotencyKey, new Uint8Array(row.sealed ?? [])));
        opened.push(row.id);
      } catch (error) {
        // One unreadable row (a rotated key, say) must not hold up the others: it stays
        // claimed, is tried again later, and after MAX_OUTBOX_ATTEMPTS waits for a person.
        console.error(
          JSON.stringify({ level: "error", msg: "outbox row unreadable", id: row.id, error: String(error) }),
        );
      }
    }
    if (messages.length > 0) {
      await deps.enqueue(messages);
      await deps.db
        .update(outbox)
        .set({ queuedAt: deps.now(), sealed: null })
        .where(and(inArray(outbox.id, opened), eq(outbox.claimedAt, now)));
    }
    total += opened.length;
    if (only || claimed.length < DRAIN_LIMIT) return total;
  }
}

/**
 * Drains after a request's batch without failing the request: the state change
 * is already written, and the cron will queue whatever this could not. In a
 * Worker request it runs after the response (`waitUntil`), so whether an email
 * was caused never shows in the response's timing.
 */
export async function drainAfterWrite(
  deps: Pick<Deps, "db" | "env" | "now" | "enqueue" | "traceId" | "waitUntil">,
  entries: readonly (string | OutboxEntry)[],
): Promise<void> {
  const work = drainOutbox(deps, entries).then(
    () => undefined,
    (error) => {
      console.error(
        JSON.stringify({
          level: "warn",
          traceId: deps.traceId,
          msg: "outbox drain deferred to cron",
          error: String(error),
        }),
      );
    },
  );
  if (deps.waitUntil) deps.waitUntil(work);
  else await work;
}

/** Housekeeping: queued rows past OUTBOX_RETENTION_MS, and stuck ones as old. */
export function purgeOutbox(deps: Pick<Deps, "db" | "now">) {
  const before = new Date(deps.now().getTime() - OUTBOX_RETENTION_MS);
  return deps.db
    .delete(outbox)
    .where(or(lt(outbox.queuedAt, before), and(isNull(outbox.queuedAt), lt(outbox.createdAt, before))));
}

/**
 * For a service whose only state change is the email itself (a reminder, "your
 * User ID"): write it and drain it at once.
 */
export async function sendThroughOutbox<T extends TemplateName>(
  deps: Pick<Deps, "db" | "env" | "now" | "enqueue" | "traceId">,
  input: OutboxInput<T>,
): Promise<string> {
  const entry = await outboxEmail(deps, input);
  await outboxInsert(deps, entry);
  await drainAfterWrite(deps, [entry]);
  return entry.idempotencyKey;
}
