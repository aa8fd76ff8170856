import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { loadOrganizationRoster, type RosterEntry } from "~/.server/access/decisions";
import { RoleActionOutcome, RoleActions } from "~/components/role-actions";
import { formatDateUS } from "~/lib/access-request";
import { formatTime, todayEastern } from "~/lib/format";
import { requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import { handleRoleAction } from "~/web/.server/role-actions";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * "Users at My Organizations" (Security Official tools): for each organization
 * the signed-in user is a Security Official of, everyone holding a role there,
 * their last sign-in, and "Revoke" with a reason (emailed and audited).
 * Rules: the page is `can(actor, "organization_roster.read")` (a Security
 * Official, strong session); "Revoke" is `can(actor, "role.revoke")` for that
 * role (Security Official of its organization, never one's own role, a strong
 * factor from the last 15 minutes, else step-up and back). Another
 * organization's role id is a 404.
 */

const COPY = {
  title: "Users at My Organizations - CMS.gov | QualityNet",
  section: "Role Requests",
  heading: "Users at My Organizations",
  lead: "Everyone who holds a role at the organizations you are a Security Official for.",
  back: "Back to Pending Requests",
  count: (n: number) => (n === 1 ? "1 role" : `${n} roles`),
  nobody: "Nobody else holds a role here.",
  you: "(you)",
  userId: "User ID",
  email: "Email",
  role: "User Role",
  program: "Program",
  dates: "Dates",
  noEnd: "no end date",
  lastSignIn: "Last sign-in",
  never: "Never",
  recertifyBy: "Recertify by",
};

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireCapability(context.deps, request, "organization_roster.read");
  const organizations = await loadOrganizationRoster(context.deps, session.actor);
  return { organizations, me: session.user.id };
}

export async function action({ request, context }: ActionArgs) {
  const session = await requireCapability(context.deps, request, "organization_roster.read");
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  return handleRoleAction(
    context.deps,
    request,
    session.actor,
    form,
    await getClient(context, request),
    "/role-requests/users",
  );
}

export default function Roster() {
  const { organizations, me } = useLoaderData<typeof loader>();
  return (
    <>
      <p className="eyebrow">{COPY.section}</p>
      <h1>{COPY.heading}</h1>
      <p>{COPY.lead}</p>
      <p>
        <Link to="/role-requests">{COPY.back}</Link>
      </p>
      <RoleActionOutcome />
      {organizations.map((org) => (
        <section key={org.id} aria-labelledby={`org-${org.id}`} className="roster">
          <h2 id={`org-${org.id}`}>{org.name}</h2>
          <p className="ds-c-hint">{COPY.count(org.entries.length)}</p>
          {org.entries.filter((e) => e.userId !== me).length === 0 ? <p>{COPY.nobody}</p> : null}
          <ul className="request-cards">
            {org.entries.map((e) => (
              <RosterCard key={e.userRoleId} entry={e} me={me} />
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function RosterCard({ entry: e, me }: { entry: RosterEntry & { grantedAt: Date | string }; me: string }) {
  const certifiedAt = new Date(e.recertifiedAt ?? e.grantedAt);
  return (
    <li className="request-card">
      <h3 className="request-card__title">
        {e.name} {e.userId === me ? <span className="ds-c-hint">{COPY.you}</span> : null}
      </h3>
      <dl className="details-list request-card__facts">
        <dt>{COPY.role}</dt>
        <dd>{e.roleName}</dd>
        {e.programName ? (
          <>
            <dt>{COPY.program}</dt>
            <dd>{e.programName}</dd>
          </>
        ) : null}
        <dt>{COPY.userId}</dt>
        <dd>{e.loginId}</dd>
        <dt>{COPY.email}</dt>
        <dd className="breakable">{e.email}</dd>
        <dt>{COPY.lastSignIn}</dt>
        <dd>{e.lastSignInAt ? formatTime(new Date(e.lastSignInAt)) : COPY.never}</dd>
        <dt>{COPY.dates}</dt>
        <dd>
          {formatDateUS(e.startDate) || formatDateUS(todayEastern(new Date(e.grantedAt)))} –{" "}
          {e.endDate ? formatDateUS(e.endDate) : COPY.noEnd}
        </dd>
        {e.recertifiable ? (
          <>
            <dt>{COPY.recertifyBy}</dt>
            <dd>{formatDateUS(todayEastern(new Date(certifiedAt.getTime() + YEAR_MS)))}</dd>
          </>
        ) : null}
      </dl>
      <RoleActions
        target={{
          userRoleId: e.userRoleId,
          roleName: e.roleName,
          holderName: e.name,
          mayRecertify: e.mayRecertify,
          mayRevoke: e.mayRevoke,
        }}
      />
    </li>
  );
}
