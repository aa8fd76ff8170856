import type { MetaFunction } from "react-router";
import { Form, Link, useLoaderData } from "react-router";
import { loadPendingQueue } from "~/.server/access/decisions";
import { Pagination } from "~/components/ds-pagination";
import { formatDateUS } from "~/lib/access-request";
import { formatAge, formatTime } from "~/lib/format";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * "Role Requests" → "Pending Requests" (SPEC 2.6): the requests the signed-in
 * approver may decide, newest first, built for a phone. Filters are a GET
 * form, so they work without JavaScript and can be bookmarked.
 * Rule: `can(actor, "request.queue")` — a Security Official of an organization
 * or a help-desk approver, with a strong session; anyone else gets a 404. Each
 * row is also checked with `can(actor, "request.read")`.
 */

const COPY = {
  title: "Pending Requests - CMS.gov | QualityNet",
  section: "Role Requests",
  heading: "Pending Requests",
  lead: "Requests waiting for your decision, newest first. Open one to approve or reject it.",
  count: (n: number) => (n === 1 ? "1 request waiting" : `${n.toLocaleString("en-US")} requests waiting`),
  none: "No requests are waiting for your decision.",
  noneFiltered: "No requests match these filters.",
  filters: "Filter requests",
  organization: "Organization",
  program: "Program",
  all: "All",
  apply: "Filter",
  clear: "Clear filters",
  requester: "Requester",
  userId: "User ID",
  email: "Email",
  lastSignIn: "Last sign-in",
  never: "Never",
  role: "User Role",
  dates: "Dates",
  noEnd: "no end date",
  comments: "Comments",
  submitted: "Submitted",
  open: (id: string) => `Review request ${id}`,
  rosterLink: "Users at my organizations",
  auditLink: "Audit log",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

const positiveInt = (value: string | null) => {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 && n < 1e9 ? n : undefined;
};

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireCapability(context.deps, request, "request.queue");
  const url = new URL(request.url);
  const filters = {
    organizationId: positiveInt(url.searchParams.get("organization")),
    programId: positiveInt(url.searchParams.get("program")),
    page: Math.min(positiveInt(url.searchParams.get("page")) ?? 1, 400),
  };
  const queue = await loadPendingQueue(context.deps, session.actor, filters);
  return {
    ...queue,
    filters,
    now: context.deps.now().toISOString(),
    isSecurityOfficial: session.actor.roles.some((r) => r.isSecurityOfficial && r.organizationId != null),
  };
}

export default function PendingRequests() {
  const { rows, total, organizations, programs, filters, now, isSecurityOfficial } = useLoaderData<typeof loader>();
  const filtered = Boolean(filters.organizationId || filters.programId);
  const pages = Math.max(1, Math.ceil(total / 25));
  const query = (page: number) => {
    const params = new URLSearchParams();
    if (filters.organizationId) params.set("organization", String(filters.organizationId));
    if (filters.programId) params.set("program", String(filters.programId));
    params.set("page", String(page));
    return `?${params}`;
  };
  return (
    <>
      <p className="eyebrow">{COPY.section}</p>
      <h1>{COPY.heading}</h1>
      <p>{COPY.lead}</p>
      <p className="approver-links">
        {isSecurityOfficial ? <Link to="/role-requests/users">{COPY.rosterLink}</Link> : null}
        <Link to="/audit-log">{COPY.auditLink}</Link>
      </p>

      <Form method="get" className="queue-filters" aria-label={COPY.filters}>
        <FilterSelect
          name="organization"
          label={COPY.organization}
          value={filters.organizationId}
          options={organizations}
        />
        <FilterSelect name="program" label={COPY.program} value={filters.programId} options={programs} />
        <div className="actions">
          <button type="submit" className="ds-c-button">
            {COPY.apply}
          </button>
          {filtered ? <Link to="/role-requests">{COPY.clear}</Link> : null}
        </div>
      </Form>

      <h2 className="queue-count" aria-live="polite">
        {COPY.count(total)}
      </h2>
      {rows.length === 0 ? (
        <p>{filtered ? COPY.noneFiltered : COPY.none}</p>
      ) : (
        <ol className="request-cards">
          {rows.map((r) => (
            <li key={r.id} className="request-card">
              <h3 className="request-card__title">
                <Link to={`/role-requests/${r.id}`}>{r.roleName}</Link>
              </h3>
              <p className="request-card__org">
                {r.organizationName}
                <span className="request-card__program"> · {r.programName}</span>
              </p>
              <dl className="details-list request-card__facts">
                <dt>{COPY.requester}</dt>
                <dd>{r.requesterName}</dd>
                <dt>{COPY.userId}</dt>
                <dd>{r.requesterLoginId}</dd>
                <dt>{COPY.email}</dt>
                <dd className="breakable">{r.requesterEmail}</dd>
                <dt>{COPY.lastSignIn}</dt>
                <dd>{r.requesterLastSignInAt ? formatTime(new Date(r.requesterLastSignInAt)) : COPY.never}</dd>
                <dt>{COPY.dates}</dt>
                <dd>
                  {formatDateUS(r.startDate)} – {r.endDate ? formatDateUS(r.endDate) : COPY.noEnd}
                </dd>
                <dt>{COPY.submitted}</dt>
                <dd>
                  {formatTime(new Date(r.createdAt))} ({formatAge(new Date(r.createdAt), new Date(now))})
                </dd>
                {r.comments ? (
                  <>
                    <dt>{COPY.comments}</dt>
                    <dd className="prewrap clamp">{r.comments}</dd>
                  </>
                ) : null}
              </dl>
              <p className="request-card__id">
                <Link to={`/role-requests/${r.id}`} className="ds-c-button ds-c-button--small">
                  {COPY.open(r.id)}
                </Link>
              </p>
            </li>
          ))}
        </ol>
      )}
      {pages > 1 ? <Pagination currentPage={filters.page} totalPages={pages} renderHref={query} /> : null}
    </>
  );
}

/** One of the queue's filters: "All", or one of the organizations or programs that have requests waiting. */
function FilterSelect({
  name,
  label,
  value,
  options,
}: {
  name: string;
  label: string;
  value: number | undefined;
  options: { id: number; name: string }[];
}) {
  return (
    <div className="ds-c-field-wrapper">
      <label className="ds-c-label" htmlFor={`queue-${name}`}>
        {label}
      </label>
      <select id={`queue-${name}`} name={name} className="ds-c-field" defaultValue={value ?? ""}>
        <option value="">{COPY.all}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}
