import { getFormProps } from "@conform-to/react";
import { data, Form, Link, type MetaFunction, useLoaderData } from "react-router";
import { auditScope } from "~/.server/access/authorize";
import { type AuditLogRow, searchAuditLog } from "~/.server/audit/query";
import { DateField } from "~/components/ds-date-field";
import { Pagination } from "~/components/ds-pagination";
import { Table, type TableColumn } from "~/components/ds-table";
import { ErrorSummary, firstError, SelectField, TextField } from "~/components/fields";
import { Button } from "~/components/ui";
import {
  AUDIT_CSV_ROW_LIMIT,
  AUDIT_EVENT_TYPES,
  AUDIT_FILTER_FIELDS,
  AUDIT_OUTCOME_LABELS,
  AUDIT_PAGE_SIZE,
  readPage,
} from "~/lib/audit-log";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { readAuditFilters } from "~/web/.server/audit-filters";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * The Audit Log (SPEC: every security-relevant event goes to an append-only
 * audit log that approvers and admins can read within their scope).
 * Rule: `can(actor, "audit.read")` with a strong session (a weak one steps up
 * and comes back); administrators read every event, help-desk approvers the
 * events of their programs, Security Officials those of
 * their organizations (`auditScope`); anyone else gets the 404 of an unknown
 * page. Filters travel in the address (GET), so it works without JavaScript.
 */

const COPY = {
  title: "Audit Log - CMS.gov | QualityNet",
  heading: "Audit Log",
  intro: {
    all: "Security events across the portal, newest first. As an administrator you see every event.",
    programs: "Security events of the programs you are help desk for, newest first.",
    organizations: "Security events of the programs at the organizations you approve for, newest first.",
    both: "Security events of the programs and organizations you approve for, newest first.",
  },
  filters: "Filter events",
  userId: "User ID",
  userIdHint: "Who the event is about, or who did it.",
  requestId: "Request ID",
  requestIdHint: "For example QR-7K3M9P2X.",
  type: "Event type",
  anyType: "Any",
  from: "From",
  to: "To",
  apply: "Apply Filters",
  clear: "Clear Filters",
  download: "Download CSV",
  downloadHint: (limit: string) => `The newest ${limit} events that match the filters.`,
  fixFilters: "Correct the filters above to see events.",
  caption: (total: number, page: number, pages: number) =>
    `${total.toLocaleString("en-US")} event${total === 1 ? "" : "s"} found${pages > 1 ? `, page ${page} of ${pages}` : ""}`,
  none: "No events match these filters.",
  empty: "None",
  pagination: "Audit Log pages",
};

const FORM_ID = "audit-filters";

export const meta: MetaFunction = () => [{ title: COPY.title }];

/** The filters as typed (blank ones left out), to carry to other pages and the CSV. */
function filterQuery(params: URLSearchParams): string {
  const kept = new URLSearchParams();
  for (const name of AUDIT_FILTER_FIELDS) {
    const value = params.get(name)?.trim();
    if (value) kept.set(name, value);
  }
  return kept.toString();
}

export async function loader({ request, context }: LoaderArgs) {
  // Rule: an approver or administrator (audit.read), strong session; the scope comes from their roles.
  const session = await requireCapability(context.deps, request, "audit.read");
  const scope = auditScope(session.actor);
  if (!scope) throw new Response("Not Found", { status: 404 });
  const params = new URL(request.url).searchParams;
  const submission = readAuditFilters(params);
  const typed = submission.status === "success" ? submission.value.type : undefined;
  const known: readonly string[] = AUDIT_EVENT_TYPES;
  const base = {
    formId: FORM_ID,
    result: submission.reply(),
    reach: scope.all
      ? ("all" as const)
      : !scope.grants.some((g) => g.isSecurityOfficial)
        ? ("programs" as const)
        : scope.grants.some((g) => g.isHelpDesk)
          ? ("both" as const)
          : ("organizations" as const),
    query: filterQuery(params),
    // The known types, and one from the address that the list does not have yet.
    eventTypes: typed && !known.includes(typed) ? [...known, typed] : [...known],
  };
  // A filter that cannot be read shows its message by the field; no events rather than the wrong ones.
  if (submission.status !== "success") return data({ ...base, outcome: null }, { status: 400 });
  const found = await searchAuditLog(context.deps, scope, submission.value, {
    page: readPage(params.get("page")),
    pageSize: AUDIT_PAGE_SIZE,
  });
  return {
    ...base,
    outcome: {
      total: found.total,
      page: found.page,
      pageCount: found.pageCount,
      rows: found.rows.map(toView),
    },
  };
}

/** What a row shows; times in Eastern time, as everywhere in the portal. */
function toView(row: AuditLogRow) {
  return {
    id: String(row.id),
    when: formatTime(row.occurredAt),
    eventType: row.eventType,
    outcome: AUDIT_OUTCOME_LABELS[row.outcome] ?? row.outcome,
    actor: row.actorLoginId,
    subject: row.subjectLoginId,
    organization: row.organizationName,
    program: row.programName,
    requestId: row.accessRequestId,
    traceId: row.traceId,
  };
}

type EventView = ReturnType<typeof toView>;

const orNone = (value: string | null) => value ?? COPY.empty;

const COLUMNS: TableColumn<EventView>[] = [
  { key: "when", header: "When", cell: (e) => e.when, rowHeader: true },
  { key: "event", header: "Event", cell: (e) => e.eventType },
  { key: "outcome", header: "Outcome", cell: (e) => e.outcome },
  { key: "actor", header: "Actor (User ID)", cell: (e) => orNone(e.actor) },
  { key: "subject", header: "Subject (User ID)", cell: (e) => orNone(e.subject) },
  { key: "organization", header: "Organization", cell: (e) => orNone(e.organization) },
  { key: "program", header: "Program", cell: (e) => orNone(e.program) },
  { key: "request", header: "Request ID", cell: (e) => orNone(e.requestId) },
  { key: "trace", header: "Trace ID", cell: (e) => orNone(e.traceId) },
];

export default function AuditLog() {
  const loaded = useLoaderData<typeof loader>();
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/audit-log").then((m) => m.auditLogFilterSchema()),
    actionData: loaded,
  });
  const { outcome, query } = loaded;
  const withQuery = (path: string, extra = "") => {
    const search = [query, extra].filter(Boolean).join("&");
    return search ? `${path}?${search}` : path;
  };
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro[loaded.reach]}</p>
      <ErrorSummary form={form} />
      <Form method="get" {...getFormProps(form)} aria-labelledby={`${FORM_ID}-heading`}>
        <h2 id={`${FORM_ID}-heading`}>{COPY.filters}</h2>
        <div className="search-grid">
          <TextField
            field={fields.userId}
            label={COPY.userId}
            hint={COPY.userIdHint}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
          />
          <TextField
            field={fields.requestId}
            label={COPY.requestId}
            hint={COPY.requestIdHint}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
          />
          <SelectField
            field={fields.type}
            label={COPY.type}
            placeholder={COPY.anyType}
            options={loaded.eventTypes.map((t) => ({ value: t, label: t }))}
          />
          <DateField
            key={fields.from.key}
            id={fields.from.id}
            name={fields.from.name}
            label={COPY.from}
            defaultValue={fields.from.initialValue as string | undefined}
            error={firstError(fields.from)}
          />
          <DateField
            key={fields.to.key}
            id={fields.to.id}
            name={fields.to.name}
            label={COPY.to}
            defaultValue={fields.to.initialValue as string | undefined}
            error={firstError(fields.to)}
          />
        </div>
        <div className="actions">
          <Button>{COPY.apply}</Button>
          <Link to="/audit-log" className="ds-c-button ds-c-button--ghost">
            {COPY.clear}
          </Link>
        </div>
      </Form>

      {outcome ? (
        <>
          <p className="actions">
            {/* A file, not a screen: a plain link, so the browser downloads it. */}
            <a href={withQuery("/audit-log.csv")} className="ds-c-button" aria-describedby="audit-csv-hint">
              {COPY.download}
            </a>
            <span className="ds-c-hint" id="audit-csv-hint">
              {COPY.downloadHint(AUDIT_CSV_ROW_LIMIT.toLocaleString("en-US"))}
            </span>
          </p>
          <Table
            id="audit-events"
            caption={COPY.caption(outcome.total, outcome.page, outcome.pageCount)}
            columns={COLUMNS}
            rows={outcome.rows}
            rowKey={(e) => e.id}
            emptyMessage={COPY.none}
            // Nine columns fit a wide screen only; below 1024 px each event is a list of "column: value".
            stackableBreakpoint="lg"
            compact
          />
          <Pagination
            currentPage={outcome.page}
            totalPages={outcome.pageCount}
            renderHref={(n) => withQuery("/audit-log", `page=${n}`)}
            ariaLabel={COPY.pagination}
          />
        </>
      ) : (
        <p role="status">{COPY.fixFilters}</p>
      )}
    </>
  );
}
