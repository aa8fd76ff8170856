import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, type MetaFunction, useLoaderData } from "react-router";
import { searchUsers } from "~/.server/admin/users";
import { Pagination } from "~/components/ds-pagination";
import { ErrorSummary, TextField } from "~/components/fields";
import { Button } from "~/components/ui";
import { ADMIN_SEARCH_MAX, ADMIN_USERS_PAGE_SIZE, UserSearchSchema } from "~/lib/admin-users";
import { readPage } from "~/lib/audit-log";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration → Users (SPEC 2.8): find an account by User ID (exact), name
 * (the start of the first or last name, or both) or email (exact), 25 a page;
 * each result opens the account page. The search travels in the address (GET).
 * Rule: `can(actor, "admin.read")` — the Help Desk Administrator role with a
 * strong session (a weak one steps up and comes back); anyone else gets the
 * 404 of an unknown page.
 */

const COPY = {
  title: "Users - Administration - CMS.gov | QualityNet",
  heading: "Users",
  lead: "Find an account to see its devices, roles, requests and recent events, and to unlock it, reset its MFA or deactivate it.",
  q: "User ID, name or email",
  qHint: "A User ID or email address exactly, or the start of a first or last name (or both).",
  search: "Search",
  found: (n: number) => (n === 1 ? "1 account found" : `${n.toLocaleString("en-US")} accounts found`),
  none: "No account matches.",
  userId: "User ID",
  email: "Email",
  status: "Status",
  lastSignIn: "Last sign-in",
  never: "Never",
  active: "Active",
  disabled: "Deactivated",
  held: "Held for the help desk",
  pagination: "Search result pages",
};

const FORM_ID = "user-search";

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read (Help Desk Administrator, strong session).
  await requireCapability(context.deps, request, "admin.read");
  const params = new URL(request.url).searchParams;
  const submission = parseWithZod(params, { schema: UserSearchSchema });
  if (submission.status !== "success")
    return data({ formId: FORM_ID, result: submission.reply(), q: "", outcome: null }, { status: 400 });
  const q = submission.value.q;
  const outcome = q ? await searchUsers(context.deps, q, readPage(params.get("page")), ADMIN_USERS_PAGE_SIZE) : null;
  return { formId: FORM_ID, result: submission.reply(), q, outcome };
}

export default function AdminUsers() {
  const loaded = useLoaderData<typeof loader>();
  const [form, fields] = useSchemaForm({ id: FORM_ID, schema: UserSearchSchema, actionData: loaded });
  const outcome = loaded.outcome;
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p>{COPY.lead}</p>
      <Form method="get" {...getFormProps(form)} role="search" aria-label={COPY.heading}>
        <ErrorSummary form={form} />
        <TextField field={fields.q} label={COPY.q} hint={COPY.qHint} type="search" maxLength={ADMIN_SEARCH_MAX} />
        <div className="actions">
          <Button>{COPY.search}</Button>
        </div>
      </Form>
      {outcome ? (
        <section aria-labelledby="user-results">
          <h2 id="user-results">{outcome.total === 0 ? COPY.none : COPY.found(outcome.total)}</h2>
          <ul className="request-cards">
            {outcome.rows.map((u) => (
              <li key={u.id} className="request-card">
                <h3 className="request-card__title">
                  <Link to={`/admin/users/${u.id}`}>
                    {u.lastName}, {u.firstName}
                  </Link>
                </h3>
                <dl className="details-list">
                  <dt>{COPY.userId}</dt>
                  <dd>{u.loginId}</dd>
                  <dt>{COPY.email}</dt>
                  <dd className="breakable">{u.email}</dd>
                  <dt>{COPY.status}</dt>
                  <dd>{u.status === "disabled" ? COPY.disabled : u.held ? COPY.held : COPY.active}</dd>
                  <dt>{COPY.lastSignIn}</dt>
                  <dd>{u.lastSignInAt ? formatTime(new Date(u.lastSignInAt)) : COPY.never}</dd>
                </dl>
              </li>
            ))}
          </ul>
          <Pagination
            currentPage={outcome.page}
            totalPages={outcome.pageCount}
            ariaLabel={COPY.pagination}
            renderHref={(n) => `?${new URLSearchParams({ q: loaded.q, page: String(n) })}`}
          />
        </section>
      ) : null}
    </>
  );
}
