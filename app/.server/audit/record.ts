import { type SQL, sql } from "drizzle-orm";
import { auditEvents } from "../db/schema";
import type { Deps } from "../deps";

export interface AuditInput {
  eventType: string;
  outcome: "success" | "failure" | "info";
  actorUserId?: string | null;
  subjectUserId?: string | null;
  organizationId?: number | null;
  programId?: number | null;
  accessRequestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

/**
 * The statement that appends one event, for the caller's batch. `onlyIf` (an
 * SQL condition on the state the batch writes) makes the event exist only if
 * the change it records does.
 */
export function auditInsert(deps: Pick<Deps, "db" | "now" | "traceId">, input: AuditInput, onlyIf?: SQL) {
  const row = {
    occurredAt: deps.now(),
    eventType: input.eventType,
    outcome: input.outcome,
    actorUserId: input.actorUserId ?? null,
    subjectUserId: input.subjectUserId ?? null,
    organizationId: input.organizationId ?? null,
    programId: input.programId ?? null,
    ip: input.ip ?? null,
    userAgent: input.userAgent ? input.userAgent.slice(0, 256) : null,
    traceId: deps.traceId,
    accessRequestId: input.accessRequestId ?? null,
    detailsJson: JSON.stringify(input.details ?? {}),
  };
  if (!onlyIf) return deps.db.insert(auditEvents).values(row);
  // Every column, in table order (the id is assigned by SQLite).
  return deps.db
    .insert(auditEvents)
    .select(
      sql`SELECT NULL, ${row.occurredAt.getTime()}, ${row.eventType}, ${row.outcome}, ${row.actorUserId}, ${row.subjectUserId}, ${row.organizationId}, ${row.programId}, ${row.ip}, ${row.userAgent}, ${row.traceId}, ${row.accessRequestId}, ${row.detailsJson} WHERE ${onlyIf}`,
    );
}

/** Appends one event to the audit log (append-only; see migration 0001). */
export async function recordAuditEvent(deps: Pick<Deps, "db" | "now" | "traceId">, input: AuditInput) {
  await auditInsert(deps, input);
}
