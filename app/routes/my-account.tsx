import type { MetaFunction } from "react-router";
import { Form, Link, useActionData, useLoaderData } from "react-router";
import { can } from "~/.server/access/authorize";
import { parseRequestId } from "~/.server/access/request-id";
import { cancelMyRequest, loadMyTasks, removeMyRole } from "~/.server/access/requests";
import { Alert } from "~/components/ui";
import { formatDateUS, REQUEST_STATUS_LABELS } from "~/lib/access-request";
import { formatTime } from "~/lib/format";
import { requireCapability, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * "My Account": "Quality Report Systems: My Tasks" (SPEC 2.5) with the group
 * "Manage My Access" — "Request My Access", "My Requests" and "My Roles" — and
 * the account's own details and security settings.
 * Rule: any signed-in user sees their own; cancelling and removing act on the
 * user's own rows only (another user's id changes nothing and reveals nothing).
 */

const COPY = {
  title: "My Account - CMS.gov | QualityNet",
  heading: "Quality Report Systems: My Tasks",
  manage: "Manage My Access",
  requestMyAccess: "Request My Access",
  requestHint: "Ask for a role in a program for your organization.",
  myRequests: "My Requests",
  noRequests: "You have not requested any access yet.",
  myRoles: "My Roles",
  noRoles: "You do not hold any roles yet.",
  requestColumns: ["Request ID", "Program", "Organization", "User Role", "Approver", "Status", "Submitted", "Decided"],
  roleColumns: ["User Role", "Program", "Organization", "Start Date", "End Date", ""],
  cancel: "Cancel",
  cancelLabel: (id: string) => `Cancel request ${id}`,
  remove: "Remove",
  removeLabel: (role: string) => `Remove my role ${role}`,
  removeConfirm: (role: string, org: string | null) =>
    `Remove your ${role} role${org ? ` at ${org}` : ""}? You would need to request it again.`,
  removeYes: "Yes, remove this role",
  none: "None",
  notApplicable: "Not Applicable",
  cancelled: (id: string) => `Request ${id} was cancelled.`,
  notPending: (id: string) => `Request ${id} is no longer pending, so it cannot be cancelled.`,
  removed: "The role was removed.",
  details: "Account details",
  userId: "User ID",
  name: "Name",
  email: "Email",
  phone: "Phone",
  profileHeading: "Profile and security",
  links: [
    { to: "/profile/devices", label: "MFA devices and recovery codes" },
    { to: "/profile#password", label: "Change password" },
    { to: "/profile#questions", label: "Change challenge questions" },
    { to: "/profile#sessions", label: "Active sessions" },
    { to: "/profile#events", label: "Recent security events" },
    { to: "/profile/applications", label: "Connected Applications" },
  ],
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireSession(context.deps, request);
  const { user } = session;
  const tasks = await loadMyTasks(context.deps, user.id);
  const mayRequest = can(session.actor, "request.create", {}, context.deps.now());
  return {
    loginId: user.loginId,
    name: `${user.firstName} ${user.lastName}`,
    email: user.email,
    phone: user.phone ?? "",
    // Shown unless it can never be allowed; the form itself sends people to finish enrollment or step up.
    showRequestLink: mayRequest.ok || mayRequest.reason !== "forbidden",
    ...tasks,
  };
}

export async function action({ request, context }: ActionArgs) {
  await requireSession(context.deps, request);
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const intent = form.get("intent");
  const client = await getClient(context, request);
  if (intent === "cancel-request") {
    const { user } = await requireCapability(context.deps, request, "request.cancel");
    const id = parseRequestId(String(form.get("requestId") ?? ""));
    const outcome = id ? await cancelMyRequest(context.deps, user.id, id, client) : null;
    if (!id || !outcome || (!outcome.ok && outcome.code !== "not_pending"))
      throw new Response("Not Found", { status: 404 });
    return { notice: outcome.ok ? COPY.cancelled(id) : COPY.notPending(id) };
  }
  if (intent === "remove-role") {
    // Giving up a role is a change to access: it needs the same strong session as requesting one.
    const { user } = await requireCapability(context.deps, request, "request.create", {}, { returnTo: "/my-account" });
    const outcome = await removeMyRole(
      context.deps,
      user.id,
      String(form.get("userRoleId") ?? "").slice(0, 200),
      client,
    );
    if (!outcome.ok) throw new Response("Not Found", { status: 404 });
    return { notice: COPY.removed };
  }
  throw new Response("Bad Request", { status: 400 });
}

export default function MyAccount() {
  const account = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      {done?.notice ? (
        <Alert variant="success" role="status">
          <p>{done.notice}</p>
        </Alert>
      ) : null}
      <section aria-labelledby="manage-heading" className="task-group">
        <h2 id="manage-heading">{COPY.manage}</h2>
        {account.showRequestLink ? (
          <p>
            <Link to="/my-account/request-access" className="ds-c-button ds-c-button--solid">
              {COPY.requestMyAccess}
            </Link>{" "}
            <span className="ds-c-hint">{COPY.requestHint}</span>
          </p>
        ) : null}

        <h3 id="my-requests">{COPY.myRequests}</h3>
        {account.requests.length === 0 ? (
          <p>{COPY.noRequests}</p>
        ) : (
          <table className="ds-c-table ds-c-md-table--stacked" aria-labelledby="my-requests">
            <thead>
              <tr>
                {COPY.requestColumns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
                <th scope="col">
                  <span className="ds-u-visibility--screen-reader">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {account.requests.map((r) => (
                <tr key={r.id}>
                  <td data-title={COPY.requestColumns[0]}>
                    <Link to={`/my-account/requests/${r.id}`}>{r.id}</Link>
                  </td>
                  <td data-title={COPY.requestColumns[1]}>{r.programName}</td>
                  <td data-title={COPY.requestColumns[2]}>{r.organizationName}</td>
                  <td data-title={COPY.requestColumns[3]}>{r.roleName}</td>
                  <td data-title={COPY.requestColumns[4]}>{r.approverName}</td>
                  <td data-title={COPY.requestColumns[5]}>
                    <span className={`status status--${r.status}`}>{REQUEST_STATUS_LABELS[r.status]}</span>
                  </td>
                  <td data-title={COPY.requestColumns[6]}>{formatTime(new Date(r.createdAt))}</td>
                  <td data-title={COPY.requestColumns[7]}>
                    {r.decidedAt ? formatTime(new Date(r.decidedAt)) : COPY.none}
                  </td>
                  <td data-title="">
                    {r.status === "pending" ? (
                      <Form method="post">
                        <input type="hidden" name="requestId" value={r.id} />
                        <button
                          type="submit"
                          name="intent"
                          value="cancel-request"
                          className="ds-c-button ds-c-button--small"
                          aria-label={COPY.cancelLabel(r.id)}
                        >
                          {COPY.cancel}
                        </button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

        <h3 id="my-roles">{COPY.myRoles}</h3>
        {account.roles.length === 0 ? (
          <p>{COPY.noRoles}</p>
        ) : (
          <table className="ds-c-table ds-c-md-table--stacked" aria-labelledby="my-roles">
            <thead>
              <tr>
                {COPY.roleColumns.map((c, i) => (
                  <th scope="col" key={c || i}>
                    {c || <span className="ds-u-visibility--screen-reader">Actions</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {account.roles.map((r) => (
                <tr key={r.id}>
                  <td data-title={COPY.roleColumns[0]}>{r.roleName}</td>
                  <td data-title={COPY.roleColumns[1]}>{r.programName ?? COPY.none}</td>
                  <td data-title={COPY.roleColumns[2]}>{r.organizationName ?? COPY.none}</td>
                  <td data-title={COPY.roleColumns[3]}>{formatDateUS(r.startDate) || COPY.none}</td>
                  <td data-title={COPY.roleColumns[4]}>{r.endDate ? formatDateUS(r.endDate) : COPY.notApplicable}</td>
                  <td data-title="">
                    <details className="confirm-inline">
                      <summary aria-label={COPY.removeLabel(r.roleName)}>{COPY.remove}</summary>
                      <Form method="post">
                        <p>{COPY.removeConfirm(r.roleName, r.organizationName)}</p>
                        <input type="hidden" name="userRoleId" value={r.id} />
                        <button
                          type="submit"
                          name="intent"
                          value="remove-role"
                          className="ds-c-button ds-c-button--small ds-c-button--danger"
                        >
                          {COPY.removeYes}
                        </button>
                      </Form>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="details-heading">
        <h2 id="details-heading">{COPY.details}</h2>
        <dl className="details-list">
          <dt>{COPY.userId}</dt>
          <dd>{account.loginId}</dd>
          <dt>{COPY.name}</dt>
          <dd>{account.name}</dd>
          <dt>{COPY.email}</dt>
          <dd>{account.email}</dd>
          <dt>{COPY.phone}</dt>
          <dd>{account.phone}</dd>
        </dl>
      </section>
      <section aria-labelledby="profile-heading">
        <h2 id="profile-heading">{COPY.profileHeading}</h2>
        <ul>
          {COPY.links.map((l) => (
            <li key={l.to}>
              <Link to={l.to}>{l.label}</Link>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
