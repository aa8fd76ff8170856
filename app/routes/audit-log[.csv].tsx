import { auditScope } from "~/.server/access/authorize";
import { csvLine } from "~/.server/audit/csv";
import { exportAuditLog } from "~/.server/audit/query";
import { recordAuditEvent } from "~/.server/audit/record";
import { AUDIT_CSV_ROW_LIMIT, AUDIT_OUTCOME_LABELS } from "~/lib/audit-log";
import { todayEastern } from "~/lib/format";
import { readAuditFilters } from "~/web/.server/audit-filters";
import { requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * /audit-log.csv: the Audit Log's "Download CSV", with the page's filters and
 * the same scope.
 * Rule: as the Audit Log page, `can(actor, "audit.read")` with a strong
 * session (a weak one steps up and returns to the page), the reader's scope
 * from `auditScope`, anyone else a 404. At most AUDIT_CSV_ROW_LIMIT events,
 * newest first; a last line says when there were more. Every download is
 * itself recorded in the audit log.
 */

const HEADER = [
  "When (UTC)",
  "Event",
  "Outcome",
  "Actor (User ID)",
  "Subject (User ID)",
  "Organization",
  "Program",
  "Request ID",
  "Trace ID",
];

const truncatedNote = (limit: number) =>
  `Only the newest ${limit.toLocaleString("en-US")} events are included. Narrow the filters to download the rest.`;

export async function loader({ request, context }: LoaderArgs) {
  const url = new URL(request.url);
  // Rule: as /audit-log; after a step-up the reader lands back on the page with the same filters.
  const session = await requireCapability(
    context.deps,
    request,
    "audit.read",
    {},
    { returnTo: `/audit-log${url.search}` },
  );
  const scope = auditScope(session.actor);
  if (!scope) throw new Response("Not Found", { status: 404 });
  const submission = readAuditFilters(url.searchParams);
  if (submission.status !== "success") {
    const messages = Object.values(submission.error ?? {}).flatMap((m) => m ?? []);
    return new Response(`${messages.join("\n")}\n`, {
      status: 400,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const { rows, truncated } = await exportAuditLog(context.deps, scope, submission.value, AUDIT_CSV_ROW_LIMIT);
  const client = await getClient(context, request);
  await recordAuditEvent(context.deps, {
    eventType: "audit_log.exported",
    outcome: "success",
    actorUserId: session.user.id,
    ip: client.ip,
    userAgent: client.userAgent,
    details: { filters: submission.value, rows: rows.length, truncated },
  });

  const lines = [csvLine(HEADER)];
  for (const r of rows)
    lines.push(
      csvLine([
        r.occurredAt.toISOString(),
        r.eventType,
        AUDIT_OUTCOME_LABELS[r.outcome] ?? r.outcome,
        r.actorLoginId,
        r.subjectLoginId,
        r.organizationName,
        r.programName,
        r.accessRequestId,
        r.traceId,
      ]),
    );
  if (truncated) lines.push(csvLine([truncatedNote(AUDIT_CSV_ROW_LIMIT)]));
  return new Response(lines.join(""), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-log-${todayEastern(context.deps.now())}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
