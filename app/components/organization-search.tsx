import { getFormProps } from "@conform-to/react";
import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import { useFetcher } from "react-router";
import type { FormReply } from "~/lib/forms";
import { useSchemaForm } from "~/lib/forms";
import { MAX_RESULTS, type OrganizationHit, OrganizationSearchSchema } from "~/lib/organization-search";
import { STATES } from "~/lib/states";
import { Dialog } from "./ds";
import { Pagination } from "./ds-pagination";
import { breakableIfLong } from "./ds-table";
import { ErrorSummary, SelectField, TextField } from "./fields";

/**
 * "Search Organizations" (SPEC 2.5): the fields, the results table and the
 * pager, shared by the dialog (with JavaScript) and the search page (without).
 */

export const SEARCH_COPY = {
  heading: "Search Organizations",
  name: "Org Name",
  zip: "Org Zip Code",
  ccn: "CCN",
  orgType: "Org Type",
  city: "Org City",
  npi: "NPI",
  state: "Org State",
  country: "Org Country",
  tin: "TIN",
  search: "Search",
  cancel: "Cancel",
  close: "Close",
  ok: "OK",
  any: "Any",
  none: "Search returned with no results.",
  tooMany: (most: number) =>
    `More than ${most.toLocaleString("en-US")} organizations match. Add more of the name, or an Org Zip Code, Org City or Org State, to narrow the search.`,
  caption: (total: number, page: number, pages: number) =>
    `${total.toLocaleString("en-US")} organization${total === 1 ? "" : "s"} found${pages > 1 ? `, page ${page} of ${pages}` : ""}`,
  select: "Select",
  pick: (name: string) => `Select ${name}`,
  cannotPick: "Inactive organizations cannot be selected.",
  columns: [
    "Org Status",
    "Org Name",
    "Org Type",
    "Org Address 1",
    "Org Address 2",
    "Org City",
    "Org State",
    "Org Zip Code",
    "Org Country",
  ],
  previous: "Previous",
  next: "Next",
  pageLabel: (n: number) => `Page ${n}`,
  pickFirst: "Select an organization in the results, then OK.",
};

export interface SearchOutcome {
  hits: OrganizationHit[];
  total: number;
  /** More than `MAX_RESULTS` match: none are listed. */
  more: boolean;
  page: number;
  pageCount: number;
}

export const SEARCH_FORM_ID = "org-search";

/** The search form's Conform state; `actionData` is the search page's or the dialog fetcher's answer. */
export function useSearchForm(actionData: unknown) {
  return useSchemaForm({ id: SEARCH_FORM_ID, schema: OrganizationSearchSchema, actionData });
}

type SearchForm = ReturnType<typeof useSearchForm>;

/** The nine search fields, in the original portal's order. */
export function SearchFields({ fields, orgTypes }: { fields: SearchForm[1]; orgTypes: string[] }) {
  return (
    <div className="search-grid">
      <TextField field={fields.name} label={SEARCH_COPY.name} autoComplete="off" />
      <TextField field={fields.zip} label={SEARCH_COPY.zip} inputMode="numeric" autoComplete="off" />
      <TextField field={fields.ccn} label={SEARCH_COPY.ccn} autoComplete="off" />
      <SelectField
        field={fields.orgType}
        label={SEARCH_COPY.orgType}
        placeholder={SEARCH_COPY.any}
        options={orgTypes.map((t) => ({ value: t, label: t }))}
      />
      <TextField field={fields.city} label={SEARCH_COPY.city} autoComplete="off" />
      <TextField field={fields.npi} label={SEARCH_COPY.npi} inputMode="numeric" autoComplete="off" />
      <SelectField
        field={fields.state}
        label={SEARCH_COPY.state}
        placeholder={SEARCH_COPY.any}
        options={STATES.map(([code, name]) => ({ value: code, label: `${code} - ${name}` }))}
      />
      <TextField field={fields.country} label={SEARCH_COPY.country} autoComplete="off" />
      <TextField field={fields.tin} label={SEARCH_COPY.tin} inputMode="numeric" autoComplete="off" />
    </div>
  );
}

/** More than `MAX_RESULTS` match: none are listed, and the person is asked to narrow the search. */
export function TooManyResults() {
  return (
    <p className="no-results" role="status">
      {SEARCH_COPY.tooMany(MAX_RESULTS)}
    </p>
  );
}

/**
 * The results as a table whose first column picks the row (a radio button);
 * inactive organizations show their status and cannot be picked. Stacked on a
 * phone, so nothing scrolls sideways.
 */
export function ResultsTable({
  outcome,
  picked,
  onPick,
  idPrefix,
}: {
  outcome: SearchOutcome;
  picked?: number | null;
  onPick?: (hit: OrganizationHit) => void;
  idPrefix: string;
}) {
  if (outcome.more) return <TooManyResults />;
  if (outcome.hits.length === 0)
    return (
      <p className="no-results" role="status">
        {SEARCH_COPY.none}
      </p>
    );
  return (
    <div className="table-wrap">
      {/* Announced when a search in the dialog finishes; the caption names the table. */}
      <p className="ds-u-visibility--screen-reader" role="status">
        {SEARCH_COPY.caption(outcome.total, outcome.page, outcome.pageCount)}
      </p>
      {/* The design system's table, stacked below 1024 px: ten columns do not fit a narrower screen. */}
      <table className="ds-c-table ds-c-table--compact ds-c-lg-table--stacked results-table">
        <caption className="ds-c-table__caption">
          {SEARCH_COPY.caption(outcome.total, outcome.page, outcome.pageCount)}
        </caption>
        <thead>
          <tr>
            <th scope="col">{SEARCH_COPY.select}</th>
            {SEARCH_COPY.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {outcome.hits.map((hit) => {
            const id = `${idPrefix}-org-${hit.id}`;
            const cells = [
              hit.status,
              hit.name,
              hit.orgType,
              hit.address1,
              hit.address2,
              hit.city,
              hit.state,
              hit.zip,
              hit.country,
            ];
            return (
              <tr key={hit.id} className={hit.status === "Active" ? undefined : "is-inactive"}>
                <td data-title={SEARCH_COPY.select}>
                  <input
                    type="radio"
                    name="organizationId"
                    className="ds-c-choice ds-c-choice--small"
                    value={hit.id}
                    id={id}
                    disabled={hit.status !== "Active"}
                    aria-label={SEARCH_COPY.pick(hit.name)}
                    aria-describedby={hit.status === "Active" ? undefined : `${idPrefix}-inactive-note`}
                    checked={onPick ? picked === hit.id : undefined}
                    onChange={onPick ? () => onPick(hit) : undefined}
                  />
                </td>
                {cells.map((value, i) => (
                  <td
                    key={SEARCH_COPY.columns[i]}
                    data-title={SEARCH_COPY.columns[i]}
                    className={breakableIfLong(value)}
                  >
                    {i === 1 ? <label htmlFor={id}>{value}</label> : value}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p id={`${idPrefix}-inactive-note`} className="ds-c-hint">
        {SEARCH_COPY.cannotPick}
      </p>
    </div>
  );
}

/**
 * The design system's pagination. Its pages are submit buttons (`page`), so
 * paging posts the search again and works the same with and without JavaScript
 * (the search page posts its draft along).
 */
export function Pager({ outcome, form }: { outcome: SearchOutcome; form?: string }) {
  return (
    <Pagination
      currentPage={outcome.page}
      totalPages={outcome.pageCount}
      submit={{ name: "page", form }}
      ariaLabel="Results pages"
    />
  );
}

export interface SearchLoaderData {
  formId: string;
  result?: FormReply;
  outcome: SearchOutcome | null;
  orgTypes: string[];
}

/**
 * With JavaScript: "Search Organizations" opens the design system's modal
 * dialog. Focus moves into it (to "Org Name") and returns to the button on
 * close; Escape closes it.
 * The search runs through the search page's loader; "OK" hands the picked row
 * to the request form.
 */
export function OrganizationSearchDialog({
  label,
  onChoose,
}: {
  label: string;
  onChoose: (hit: OrganizationHit) => void;
}) {
  const [isOpen, setOpen] = useState(false);
  const fetcher = useFetcher<SearchLoaderData>();
  const types = useFetcher<SearchLoaderData>();
  const [picked, setPicked] = useState<OrganizationHit | null>(null);
  const [needPick, setNeedPick] = useState(false);
  const [form, fields] = useSearchForm(fetcher.data);
  const outcome = fetcher.data?.outcome ?? null;
  const orgTypes = fetcher.data?.orgTypes ?? types.data?.orgTypes ?? [];

  useEffect(() => {
    if (types.state === "idle" && !types.data) types.load("/my-account/request-access/organizations");
  }, [types]);

  function open() {
    setNeedPick(false);
    setOpen(true);
  }
  function close() {
    setOpen(false);
  }

  return (
    <>
      <button type="button" className="ds-c-button" onClick={open}>
        {label}
      </button>
      {/*
        Outside the request form, in the page and in React's tree of events: the search form
        must not be a form inside a form, and its submits must not reach the request form.
      */}
      {createPortal(
        <div onSubmit={(event) => event.stopPropagation()}>
          <Dialog
            id={`${SEARCH_FORM_ID}-dialog`}
            heading={SEARCH_COPY.heading}
            size="full"
            isOpen={isOpen}
            onExit={close}
            closeLabel={SEARCH_COPY.close}
            initialFocusId={fields.name.id}
            actions={
              outcome && outcome.hits.length > 0 ? (
                <>
                  {needPick ? (
                    <p className="ds-c-inline-error" role="alert">
                      {SEARCH_COPY.pickFirst}
                    </p>
                  ) : null}
                  <button
                    type="button"
                    className="ds-c-button ds-c-button--solid"
                    onClick={() => {
                      if (!picked) return setNeedPick(true);
                      onChoose(picked);
                      close();
                    }}
                  >
                    {SEARCH_COPY.ok}
                  </button>
                  <button type="button" className="ds-c-button" onClick={close}>
                    {SEARCH_COPY.cancel}
                  </button>
                </>
              ) : null
            }
          >
            <ErrorSummary form={form} />
            <fetcher.Form method="get" action="/my-account/request-access/organizations" {...getFormProps(form)}>
              <SearchFields fields={fields} orgTypes={orgTypes} />
              <div className="actions">
                <button type="submit" className="ds-c-button ds-c-button--solid">
                  {SEARCH_COPY.search}
                </button>
                <button type="button" className="ds-c-button" onClick={close}>
                  {SEARCH_COPY.cancel}
                </button>
              </div>
              {outcome ? (
                <>
                  <ResultsTable
                    outcome={outcome}
                    idPrefix="dialog"
                    picked={picked?.id ?? null}
                    onPick={(hit) => {
                      setPicked(hit);
                      setNeedPick(false);
                    }}
                  />
                  <Pager outcome={outcome} />
                </>
              ) : null}
            </fetcher.Form>
          </Dialog>
        </div>,
        document.body,
      )}
    </>
  );
}
