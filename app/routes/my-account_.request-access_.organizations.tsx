import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, type MetaFunction, useActionData, useLoaderData } from "react-router";
import { hitRateLimit } from "~/.server/auth/rate-limit";
import type { Deps } from "~/.server/deps";
import { orgTypeNames } from "~/.server/organizations/admin";
import { searchOrganizations } from "~/.server/organizations/search";
import { ErrorSummary } from "~/components/fields";
import {
  Pager,
  ResultsTable,
  SEARCH_COPY,
  SEARCH_FORM_ID,
  SearchFields,
  type SearchLoaderData,
  useSearchForm,
} from "~/components/organization-search";
import { AccessRequestSchema } from "~/lib/access-request";
import { replyWithoutSecrets } from "~/lib/forms";
import { OrganizationSearchSchema } from "~/lib/organization-search";
import { requireCapability } from "~/web/.server/guards";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * "Search Organizations". With JavaScript the request form's dialog calls the
 * loader (GET, JSON for the fetcher). Without it, the request form posts its
 * draft here (intent `open`); the page carries the draft along as one hidden
 * field while the user searches and pages, and "OK" / "Cancel" post it back to
 * the request form with the chosen organization.
 */

export const meta: MetaFunction = () => [{ title: "Search Organizations - CMS.gov | QualityNet" }];

const REQUEST_FORM = "/my-account/request-access";
/** The request form's own fields: all the draft may carry. */
const DRAFT_FIELDS = new Set(Object.keys(AccessRequestSchema.shape));
const DRAFT_MAX = 16_000;

/** Searches per user: a person pages and refines; a script hammering the directory does not get far. */
const SEARCHES_PER_USER = { limit: 120, windowMs: 10 * 60 * 1000 } as const;

async function runSearch(
  deps: Deps,
  userId: string,
  input: FormData | URLSearchParams,
): Promise<Omit<SearchLoaderData, "orgTypes">> {
  const submission = parseWithZod(input, { schema: OrganizationSearchSchema });
  if (submission.status !== "success")
    return { formId: SEARCH_FORM_ID, result: replyWithoutSecrets(submission), outcome: null };
  const budget = await hitRateLimit(deps, `org-search:user:${userId}`, SEARCHES_PER_USER);
  if (!budget.allowed)
    return {
      formId: SEARCH_FORM_ID,
      result: replyWithoutSecrets(submission, {
        formErrors: [`Too many searches. Try again in ${Math.ceil(budget.retryAfterSeconds / 60)} minutes.`],
      }),
      outcome: null,
    };
  const found = await searchOrganizations(deps, submission.value);
  return {
    formId: SEARCH_FORM_ID,
    result: submission.reply(),
    outcome: { hits: found.hits, total: found.total, more: found.more, page: found.page, pageCount: found.pageCount },
  };
}

export async function loader({ request, context }: LoaderArgs) {
  const { user } = await requireCapability(
    context.deps,
    request,
    "organization.search",
    {},
    { returnTo: REQUEST_FORM },
  );
  const params = new URL(request.url).searchParams;
  const [orgTypes, searched] = await Promise.all([
    orgTypeNames(context.deps),
    params.has("name") ? runSearch(context.deps, user.id, params) : Promise.resolve(null),
  ]);
  return {
    formId: SEARCH_FORM_ID,
    orgTypes,
    outcome: searched?.outcome ?? null,
    result: searched?.result,
  } satisfies SearchLoaderData;
}

/** The request form's fields, kept as they were typed, without the search's own. */
function draftFrom(form: FormData): string {
  const carried = form.get("draft");
  if (typeof carried === "string") {
    try {
      const parsed = JSON.parse(carried);
      if (parsed && typeof parsed === "object" && carried.length <= DRAFT_MAX) return carried;
    } catch {
      // A damaged draft starts the request form afresh.
    }
    return "{}";
  }
  const draft: Record<string, string> = {};
  for (const [key, value] of form.entries()) if (typeof value === "string" && DRAFT_FIELDS.has(key)) draft[key] = value;
  return JSON.stringify(draft).slice(0, DRAFT_MAX);
}

export async function action({ request, context }: ActionArgs) {
  const { user } = await requireCapability(
    context.deps,
    request,
    "organization.search",
    {},
    { returnTo: REQUEST_FORM },
  );
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const draft = draftFrom(form);
  const orgTypes = await orgTypeNames(context.deps);
  if (form.get("intent") === "open") return { draft, orgTypes, formId: SEARCH_FORM_ID, outcome: null };
  const searched = await runSearch(context.deps, user.id, form);
  return data({ draft, orgTypes, ...searched }, { status: searched.outcome ? 200 : 400 });
}

export default function SearchOrganizationsPage() {
  const loaded = useLoaderData<typeof loader>();
  const posted = useActionData<typeof action>();
  const view: SearchLoaderData & { draft?: string } = posted ?? loaded;
  const [form, fields] = useSearchForm(view);
  const outcome = view.outcome;
  return (
    <div className="form-page form-page--wide">
      <h1>{SEARCH_COPY.heading}</h1>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="draft" value={view.draft ?? "{}"} />
        <SearchFields fields={fields} orgTypes={view.orgTypes} />
        <div className="actions">
          <button type="submit" name="intent" value="search" className="ds-c-button ds-c-button--solid">
            {SEARCH_COPY.search}
          </button>
          <button
            type="submit"
            name="intent"
            value="refresh"
            formAction={REQUEST_FORM}
            formNoValidate
            className="ds-c-button ds-c-button--ghost"
          >
            {SEARCH_COPY.cancel}
          </button>
        </div>
        {outcome ? (
          <>
            <ResultsTable outcome={outcome} idPrefix="page" />
            <Pager outcome={outcome} />
            {outcome.hits.length > 0 ? (
              <div className="actions">
                <button
                  type="submit"
                  name="intent"
                  value="refresh"
                  formAction={REQUEST_FORM}
                  formNoValidate
                  className="ds-c-button ds-c-button--solid"
                >
                  {SEARCH_COPY.ok}
                </button>
              </div>
            ) : null}
          </>
        ) : null}
      </Form>
    </div>
  );
}
