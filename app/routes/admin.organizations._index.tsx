import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, Link, useLoaderData } from "react-router";
import { orgTypeNames } from "~/.server/organizations/admin";
import { searchOrganizations } from "~/.server/organizations/search";
import { Pagination } from "~/components/ds-pagination";
import { Table } from "~/components/ds-table";
import { ErrorSummary } from "~/components/fields";
import {
  SEARCH_COPY,
  SEARCH_FORM_ID,
  SearchFields,
  TooManyResults,
  useSearchForm,
} from "~/components/organization-search";
import { LinkButton } from "~/components/ui";
import { replyWithoutSecrets } from "~/lib/forms";
import { type OrganizationHit, OrganizationSearchSchema } from "~/lib/organization-search";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration › Organizations (SPEC 2.8): find an organization to edit,
 * active or inactive, with the fields of "Search Organizations"; add one, or
 * import many from a CSV file.
 * Rule: `can(actor, "admin.read")` — the Help Desk Administrator role, strong
 * session (a weak one steps up and comes back); anyone else gets a 404.
 */

export const meta: MetaFunction = () => [{ title: "Organizations - Administration - CMS.gov | QualityNet" }];

const COPY = {
  heading: "Organizations",
  intro: "Search the directory by name; inactive organizations are listed too. Choose Edit to change one.",
  add: "Add an organization",
  import: "Import from a CSV file",
  edit: "Edit",
  editLabel: (name: string) => `Edit ${name}`,
  results: "Results",
};

export async function loader({ request, context }: LoaderArgs) {
  await requireCapability(context.deps, request, "admin.read");
  const params = new URL(request.url).searchParams;
  const orgTypes = await orgTypeNames(context.deps);
  if (!params.has("name")) return { formId: SEARCH_FORM_ID, orgTypes, outcome: null, result: undefined, search: "" };
  const submission = parseWithZod(params, { schema: OrganizationSearchSchema });
  if (submission.status !== "success")
    return { formId: SEARCH_FORM_ID, orgTypes, outcome: null, result: replyWithoutSecrets(submission), search: "" };
  const found = await searchOrganizations(context.deps, submission.value);
  const search = new URLSearchParams(params);
  search.delete("page");
  return {
    formId: SEARCH_FORM_ID,
    orgTypes,
    result: submission.reply(),
    outcome: { hits: found.hits, total: found.total, more: found.more, page: found.page, pageCount: found.pageCount },
    search: search.toString(),
  };
}

const columns = [
  { key: "status", header: "Org Status", cell: (h: OrganizationHit) => h.status },
  { key: "name", header: "Org Name", cell: (h: OrganizationHit) => h.name, rowHeader: true },
  { key: "type", header: "Org Type", cell: (h: OrganizationHit) => h.orgType },
  { key: "city", header: "Org City", cell: (h: OrganizationHit) => h.city },
  { key: "state", header: "Org State", cell: (h: OrganizationHit) => h.state },
  { key: "zip", header: "Org Zip Code", cell: (h: OrganizationHit) => h.zip },
  {
    key: "edit",
    header: COPY.edit,
    cell: (h: OrganizationHit) => (
      <Link to={`/admin/organizations/${h.id}`} aria-label={COPY.editLabel(h.name)}>
        {COPY.edit}
      </Link>
    ),
  },
];

export default function AdminOrganizations() {
  const data = useLoaderData<typeof loader>();
  const [form, fields] = useSearchForm(data);
  const outcome = data.outcome;
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      <div className="actions">
        <LinkButton to="/admin/organizations/new" variant="secondary">
          {COPY.add}
        </LinkButton>
        <LinkButton to="/admin/organizations/import" variant="secondary">
          {COPY.import}
        </LinkButton>
      </div>
      <ErrorSummary form={form} />
      <Form method="get" {...getFormProps(form)}>
        <SearchFields fields={fields} orgTypes={data.orgTypes} />
        <div className="actions">
          <button type="submit" className="ds-c-button ds-c-button--solid">
            {SEARCH_COPY.search}
          </button>
        </div>
      </Form>
      {outcome?.more ? (
        <TooManyResults />
      ) : outcome ? (
        <>
          <Table
            id="admin-organizations"
            caption={SEARCH_COPY.caption(outcome.total, outcome.page, outcome.pageCount)}
            columns={columns}
            rows={outcome.hits}
            rowKey={(h) => String(h.id)}
            emptyMessage={SEARCH_COPY.none}
            stackableBreakpoint="lg"
            compact
          />
          <Pagination
            currentPage={outcome.page}
            totalPages={outcome.pageCount}
            renderHref={(n) => `/admin/organizations?${data.search}&page=${n}`}
          />
        </>
      ) : null}
    </div>
  );
}
