import { Link, type MetaFunction, useLoaderData } from "react-router";
import { listClients } from "~/.server/oidc/registration";
import { Table, type TableColumn } from "~/components/ds-table";
import { LinkButton } from "~/components/ui";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration › Applications (SPEC 2.9): the programs' applications, the
 * OpenID Connect clients that sign users in through the portal, with their
 * program, Client ID and status; a link to register another.
 * Rule: the page, `can(actor, "admin.read")` (Help Desk Administrator, strong
 * session); registering, editing, disabling or enabling, `can(actor,
 * "application.manage")` (a strong factor from the last 15 minutes).
 */

const COPY = {
  title: "Applications - Administration - CMS.gov | QualityNet",
  heading: "Applications",
  intro:
    "The programs' applications that sign users in through the portal. A program's application with an Initiate Login URI is where \"Choose Your QualityNet Destination\" sends that program's users.",
  register: "Register an Application",
  caption: (n: number) => (n === 1 ? "1 application" : `${n} applications`),
  none: "No applications are registered.",
  name: "Application Name",
  program: "Program",
  clientId: "Client ID",
  status: "Status",
  statuses: { active: "Active", disabled: "Disabled" } as Record<string, string>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  return { clients: await listClients(context.deps) };
}

type Row = ReturnType<typeof useLoaderData<typeof loader>>["clients"][number];

const columns: TableColumn<Row>[] = [
  {
    key: "name",
    header: COPY.name,
    rowHeader: true,
    cell: (c) => <Link to={`/admin/applications/${encodeURIComponent(c.id)}`}>{c.name}</Link>,
  },
  { key: "program", header: COPY.program, cell: (c) => c.programName },
  { key: "clientId", header: COPY.clientId, cell: (c) => <code className="breakable">{c.id}</code> },
  { key: "status", header: COPY.status, cell: (c) => COPY.statuses[c.status] ?? c.status },
];

export default function AdminApplications() {
  const { clients } = useLoaderData<typeof loader>();
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      <div className="actions">
        <LinkButton to="/admin/applications/new" variant="secondary">
          {COPY.register}
        </LinkButton>
      </div>
      <Table
        id="admin-applications"
        caption={COPY.caption(clients.length)}
        columns={columns}
        rows={clients}
        rowKey={(c) => c.id}
        emptyMessage={COPY.none}
        compact
      />
    </div>
  );
}
