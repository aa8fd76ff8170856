import { sql } from "drizzle-orm";
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamp } from "./common";

/**
 * Append-only: triggers in the migration refuse UPDATE and DELETE, so even a bug
 * in the application cannot rewrite history.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    occurredAt: timestamp("occurred_at").notNull(),
    eventType: text("event_type").notNull(),
    outcome: text("outcome", { enum: ["success", "failure", "info"] }).notNull(),
    actorUserId: text("actor_user_id"),
    subjectUserId: text("subject_user_id"),
    organizationId: integer("organization_id"),
    programId: integer("program_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    /** The trace id of the HTTP request, queue message or cron run that caused the event (the `X-Trace-Id` header). */
    traceId: text("trace_id"),
    /** The access request the event concerns, if any (audit pages filter by it). */
    accessRequestId: text("access_request_id"),
    detailsJson: text("details_json").notNull().default("{}"),
  },
  (t) => [
    index("audit_events_subject_idx").on(t.subjectUserId, t.occurredAt),
    index("audit_events_org_idx").on(t.organizationId, t.occurredAt),
    index("audit_events_time_idx").on(t.occurredAt),
    index("audit_events_access_request_idx").on(t.accessRequestId),
    index("audit_events_program_idx").on(t.programId, t.occurredAt),
  ],
);

/**
 * One row per email message (by idempotency key): the delivery record. It never
 * holds a body, which may carry a temporary password or a sign-in link.
 */
export const emailLog = sqliteTable(
  "email_log",
  {
    idempotencyKey: text("idempotency_key").primaryKey(),
    kind: text("kind").notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    status: text("status", { enum: ["sending", "sent", "retrying", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    claimedAt: timestamp("claimed_at"),
    sentAt: timestamp("sent_at"),
    createdAt: timestamp("created_at").notNull(),
    updatedAt: timestamp("updated_at").notNull(),
    /**
     * A dead-lettered message, sealed as in the outbox (bound to its key), so the
     * help desk can resend it from Administration; cleared once the email is sent.
     */
    sealed: blob("sealed", { mode: "buffer" }),
  },
  (t) => [index("email_log_created_idx").on(t.createdAt)],
);

/**
 * The outbox: an email is written here in the same D1 batch as the state change
 * and audit event that cause it, then handed to the queue (`drainOutbox`, right
 * after the batch and again from the cron). The message is sealed (AES-GCM,
 * bound to its key) and cleared once queued; the row stays as the record that
 * the email was caused, so a job that runs twice adds nothing.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    idempotencyKey: text("idempotency_key").notNull(),
    template: text("template").notNull(),
    /** Sealed JSON of the queue message; null once queued. */
    sealed: blob("sealed", { mode: "buffer" }),
    traceId: text("trace_id"),
    createdAt: timestamp("created_at").notNull(),
    /** A drain's claim; another drain takes the row only once the claim is stale. */
    claimedAt: timestamp("claimed_at"),
    attempts: integer("attempts").notNull().default(0),
    queuedAt: timestamp("queued_at"),
  },
  (t) => [
    uniqueIndex("outbox_idempotency_key_unique").on(t.idempotencyKey),
    index("outbox_unqueued_idx").on(t.id).where(sql`queued_at IS NULL`),
    index("outbox_queued_idx").on(t.queuedAt),
  ],
);

/**
 * What the development sandbox mailer "delivered": read at /_dev/mailbox.
 * Only the sandbox mailer writes here, and it is used only when ENVIRONMENT is
 * development.
 */
export const devMailbox = sqliteTable(
  "dev_mailbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    idempotencyKey: text("idempotency_key").notNull(),
    recipient: text("recipient").notNull(),
    sender: text("sender").notNull(),
    subject: text("subject").notNull(),
    bodyText: text("body_text").notNull(),
    bodyHtml: text("body_html").notNull(),
    deliveredAt: timestamp("delivered_at").notNull(),
  },
  (t) => [index("dev_mailbox_delivered_idx").on(t.deliveredAt)],
);
