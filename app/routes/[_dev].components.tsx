import { useState } from "react";
import type { MetaFunction } from "react-router";
import { Form, Link, useLoaderData } from "react-router";
import { isDevelopment } from "~/.server/env";
import { Dialog } from "~/components/ds";
import { DateField } from "~/components/ds-date-field";
import { Pagination } from "~/components/ds-pagination";
import { Table, type TableColumn } from "~/components/ds-table";
import { Button } from "~/components/ui";
import { parseDateField } from "~/lib/dates";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * /_dev/components: the design-system components the screens build on, with
 * made-up data, for developers and the end-to-end tests (keyboard, screen
 * reader names, axe, 360 px, JavaScript on and off). Development only.
 */
const COPY = {
  title: "Components - CMS.gov | QualityNet",
  heading: "Design system components",
  intro: "Development only: the CMS Design System components the portal's screens use, with made-up data.",
  dialogHeading: "Dialog",
  open: "Search Organizations",
  dialogTitle: "Search Organizations",
  orgName: "Org Name",
  orgNameHint: "Enter 3 or more characters.",
  search: "Search",
  cancel: "Cancel",
  tableHeading: "Table and pagination",
  caption: (page: number, total: number) => `Organizations, page ${page} of ${total}`,
  dateHeading: "Date field",
  startDate: "Start Date",
  dateError: "Enter a real date as mm/dd/yyyy, for example 03/12/2026.",
  check: "Check date",
  dateOk: (iso: string) => `Read as ${iso}.`,
};

const PAGE_SIZE = 5;
const CITIES = [
  ["Baltimore", "MD", "21244"],
  ["Columbus", "OH", "43215"],
  ["Atlanta", "GA", "30303"],
  ["Denver", "CO", "80202"],
  ["Seattle", "WA", "98104"],
] as const;

interface Org {
  id: string;
  status: string;
  name: string;
  type: string;
  address1: string;
  address2: string;
  city: string;
  state: string;
  zip: string;
  country: string;
}

/** Made-up organizations: nothing here is real. */
const ORGS: Org[] = Array.from({ length: 58 }, (_, i) => {
  const [city, state, zip] = CITIES[i % CITIES.length];
  return {
    id: `ORG${String(i + 1).padStart(3, "0")}`,
    status: i % 7 === 3 ? "Inactive" : "Active",
    name: `Example Regional Health Partners ${i + 1}`,
    type: i % 2 ? "QARM Org Security" : "Provider",
    address1: `${100 + i * 7} Example Avenue`,
    address2: i % 3 ? "" : `Suite ${200 + i}`,
    city,
    state,
    zip,
    country: "USA",
  };
});

const COLUMNS: TableColumn<Org>[] = [
  { key: "status", header: "Org Status", cell: (o) => o.status },
  { key: "name", header: "Org Name", cell: (o) => o.name, rowHeader: true },
  { key: "type", header: "Org Type", cell: (o) => o.type },
  { key: "address1", header: "Org Address 1", cell: (o) => o.address1 },
  { key: "address2", header: "Org Address 2", cell: (o) => o.address2 },
  { key: "city", header: "Org City", cell: (o) => o.city },
  { key: "state", header: "Org State", cell: (o) => o.state },
  { key: "zip", header: "Org Zip Code", cell: (o) => o.zip },
  { key: "country", header: "Org Country", cell: (o) => o.country },
];

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  if (!isDevelopment(context.deps.env)) throw new Response(null, { status: 404 });
  const url = new URL(request.url);
  const totalPages = Math.ceil(ORGS.length / PAGE_SIZE);
  const page = Math.min(Math.max(1, Number(url.searchParams.get("page")) || 1), totalPages);
  const startDate = url.searchParams.get("startDate");
  return {
    page,
    totalPages,
    rows: ORGS.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    dialogOpen: url.searchParams.get("dialog") === "open",
    startDate,
    startDateIso: startDate === null ? null : parseDateField(startDate),
  };
}

export default function Components() {
  const data = useLoaderData<typeof loader>();
  const [dialogOpen, setDialogOpen] = useState(data.dialogOpen);
  const dateError = data.startDate !== null && !data.startDateIso ? COPY.dateError : null;
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>

      <h2>{COPY.dialogHeading}</h2>
      {/* Without JavaScript the link asks the server for the page with the dialog open. */}
      <Link
        to="?dialog=open"
        className="ds-c-button"
        onClick={(event) => {
          event.preventDefault();
          setDialogOpen(true);
        }}
      >
        {COPY.open}
      </Link>
      <Dialog
        id="org-search"
        heading={COPY.dialogTitle}
        isOpen={dialogOpen}
        onExit={() => setDialogOpen(false)}
        actions={
          <>
            <Button form="org-search-form">{COPY.search}</Button>
            {/* Submits the dialog's own method="dialog" form: closes it with or without JavaScript. */}
            <Button form="org-search__close" variant="secondary">
              {COPY.cancel}
            </Button>
          </>
        }
      >
        <Form id="org-search-form" method="get">
          <label className="ds-c-label" htmlFor="gallery-org-name">
            {COPY.orgName}
          </label>
          <p className="ds-c-hint" id="gallery-org-name-hint">
            {COPY.orgNameHint}
          </p>
          <input
            id="gallery-org-name"
            name="orgName"
            className="ds-c-field"
            aria-describedby="gallery-org-name-hint"
            minLength={3}
            required
          />
        </Form>
      </Dialog>

      <h2>{COPY.tableHeading}</h2>
      <Table
        id="orgs"
        caption={COPY.caption(data.page, data.totalPages)}
        columns={COLUMNS}
        rows={data.rows}
        rowKey={(o) => o.id}
        stackableBreakpoint="lg"
        striped
      />
      <Pagination
        currentPage={data.page}
        totalPages={data.totalPages}
        renderHref={(n) => `?page=${n}`}
        ariaLabel="Organizations"
      />

      <h2>{COPY.dateHeading}</h2>
      <Form method="get" className="form-page">
        <DateField
          label={COPY.startDate}
          name="startDate"
          defaultValue={data.startDate ?? undefined}
          error={dateError}
        />
        {data.startDateIso ? <p role="status">{COPY.dateOk(data.startDateIso)}</p> : null}
        <div className="actions">
          <Button>{COPY.check}</Button>
        </div>
      </Form>
    </>
  );
}
