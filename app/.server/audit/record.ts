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

export function auditInsert(deps: Pick<Deps, "db" | "now" | "traceId">, input: AuditInput) {
  return deps.db.insert(auditEvents).values({
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
  });
}

/** Appends one event to the audit log (append-only; see migration 0001). */
export async function recordAuditEvent(deps: Pick<Deps, "db" | "now" | "traceId">, input: AuditInput) {
  await auditInsert(deps, input);
}
