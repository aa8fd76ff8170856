import { and, count, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type AuditLogFilters, auditLogFilterSchema } from "~/lib/audit-log";
import { startOfEasternDay } from "~/lib/format";
import type { AuditScope } from "../access/authorize";
import { parseRequestId } from "../access/request-id";
import { grantsReachSql } from "../access/scope";
import { auditEvents, organizations, programs, users } from "../db/schema";
import type { Deps } from "../deps";

/**
 * Reading the audit log within a reader's scope (`auditScope` in
 * app/.server/access/authorize.ts decides the scope; this module only turns it
 * into SQL). The page and the CSV ask the same two functions, so they never
 * show different events for the same filters. They take filters already read
 * (`readAuditFilters` in app/web/.server/audit-filters.ts reads the form).
 */

/** One event as the Audit Log shows it: people by User ID, places by name. */
export interface AuditLogRow {
  id: number;
  occurredAt: Date;
  eventType: string;
  outcome: "success" | "failure" | "info";
  actorLoginId: string | null;
  subjectLoginId: string | null;
  organizationName: string | null;
  programName: string | null;
  accessRequestId: string | null;
  traceId: string | null;
}

/** The filter schema as the server runs it: Request IDs checked by the access module's own rule. */
export const AuditLogFilterSchema = auditLogFilterSchema((value) => parseRequestId(value));

/** The scope as a condition on audit_events (the "audit" rule of scope.ts); undefined for everything (administrators). */
export function scopeCondition(scope: AuditScope): SQL | undefined {
  if (scope.all) return undefined;
  return grantsReachSql("audit", scope.grants, {
    programId: auditEvents.programId,
    organizationId: auditEvents.organizationId,
  });
}

/** The day after an ISO date: "To" includes its whole Eastern day. */
function nextDay(isoDate: string): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

function filterConditions(filters: AuditLogFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.userId) {
    // The person the event is about or the one who did it; User IDs are stored upper case.
    const person = sql`(SELECT ${users.id} FROM ${users} WHERE ${users.loginId} = ${filters.userId})`;
    conditions.push(or(eq(auditEvents.subjectUserId, person), eq(auditEvents.actorUserId, person))!);
  }
  if (filters.requestId) conditions.push(eq(auditEvents.accessRequestId, filters.requestId));
  if (filters.type) conditions.push(eq(auditEvents.eventType, filters.type));
  if (filters.from) conditions.push(gte(auditEvents.occurredAt, startOfEasternDay(filters.from)));
  if (filters.to) conditions.push(lt(auditEvents.occurredAt, startOfEasternDay(nextDay(filters.to))));
  return conditions;
}

const actor = alias(users, "actor");
const subject = alias(users, "subject");

function selectRows(deps: Pick<Deps, "db">, where: SQL | undefined) {
  return deps.db
    .select({
      id: auditEvents.id,
      occurredAt: auditEvents.occurredAt,
      eventType: auditEvents.eventType,
      outcome: auditEvents.outcome,
      // Named apart: D1 answers a batch with rows keyed by column name, and two `login_id`s
      // (or two `name`s) would collide.
      actorLoginId: sql<string | null>`${actor.loginId}`.as("actor_login_id"),
      subjectLoginId: sql<string | null>`${subject.loginId}`.as("subject_login_id"),
      organizationName: sql<string | null>`${organizations.name}`.as("organization_name"),
      programName: sql<string | null>`${programs.name}`.as("program_name"),
      accessRequestId: auditEvents.accessRequestId,
      traceId: auditEvents.traceId,
    })
    .from(auditEvents)
    .leftJoin(actor, eq(actor.id, auditEvents.actorUserId))
    .leftJoin(subject, eq(subject.id, auditEvents.subjectUserId))
    .leftJoin(organizations, eq(organizations.id, auditEvents.organizationId))
    .leftJoin(programs, eq(programs.id, auditEvents.programId))
    .where(where)
    .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id));
}

export interface AuditLogPage {
  rows: AuditLogRow[];
  /** Every event that matches, not only this page's. */
  total: number;
  page: number;
  pageCount: number;
}

/** One page of the events in scope that match the filters, newest first. */
export async function searchAuditLog(
  deps: Pick<Deps, "db">,
  scope: AuditScope,
  filters: AuditLogFilters,
  options: { page: number; pageSize: number },
): Promise<AuditLogPage> {
  const where = and(scopeCondition(scope), ...filterConditions(filters));
  const offset = (page: number) => (page - 1) * options.pageSize;
  const [[{ total }], rows] = await deps.db.batch([
    deps.db.select({ total: count() }).from(auditEvents).where(where),
    selectRows(deps, where).limit(options.pageSize).offset(offset(options.page)),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / options.pageSize));
  // Past the last page (an old link, a hand-typed number): the last page instead.
  if (options.page > pageCount && total > 0) {
    const last = await selectRows(deps, where).limit(options.pageSize).offset(offset(pageCount));
    return { rows: last, total, page: pageCount, pageCount };
  }
  return { rows, total, page: Math.min(options.page, pageCount), pageCount };
}

/** The newest `limit` events in scope that match the filters, and whether there were more. */
export async function exportAuditLog(
  deps: Pick<Deps, "db">,
  scope: AuditScope,
  filters: AuditLogFilters,
  limit: number,
): Promise<{ rows: AuditLogRow[]; truncated: boolean }> {
  const rows = await selectRows(deps, and(scopeCondition(scope), ...filterConditions(filters))).limit(limit + 1);
  return { rows: rows.slice(0, limit), truncated: rows.length > limit };
}
