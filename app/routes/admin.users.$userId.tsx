import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, Link, useActionData, useLoaderData } from "react-router";
import { can, mayEver } from "~/.server/access/authorize";
import { administerUser, loadUserDetail } from "~/.server/admin/users";
import { ErrorSummary, TextArea } from "~/components/fields";
import { Alert } from "~/components/ui";
import { formatDateUS } from "~/lib/access-request";
import { ADMIN_REASON_MAX, ADMIN_USER_SCHEMAS, type AdminUserIntent, isAdminUserIntent } from "~/lib/admin-users";
import { formatTime } from "~/lib/format";
import { type FormActionData, useSchemaForm } from "~/lib/forms";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration → Users → one account (SPEC 2.8): its status (active or
 * deactivated, held, locked), MFA devices (never a secret), roles, requests
 * and the 20 most recent audit events about it; then Unlock, Reset MFA after
 * manual verification, and Deactivate or Reactivate, each behind a
 * confirmation (app/.server/admin/users.ts says what each writes).
 * Rules: the page is `can(actor, "admin.read")` (Help Desk Administrator,
 * strong session, else step-up and back; anyone else a 404); every action is
 * `can(actor, "admin.manage", { ownerUserId })` — a strong factor from the last
 * 15 minutes (else step-up and back), and never the administrator's own
 * account (a 404). An unknown account is a 404.
 */

const COPY = {
  title: (name: string) => `${name} - Users - Administration - CMS.gov | QualityNet`,
  back: "Back to Users",
  status: "Account status",
  userId: "User ID",
  email: "Email",
  state: "Status",
  active: "Active",
  disabled: "Deactivated: cannot sign in",
  held: (reason: string | null) =>
    `Held for the help desk (${reason === "mfa_failures" ? "too many wrong security codes" : "reported “This wasn't me”"})`,
  mfaLocked: (until: string) => `Security codes locked until ${until}`,
  signInLocked: (until: string) => `Sign-in locked until ${until}`,
  notLocked: "Not locked",
  identity: "Identity verified",
  enrollment: "New User Enrollment",
  enrolled: "Complete",
  notEnrolled: "Not complete",
  no: "No",
  lastSignIn: "Last sign-in",
  never: "Never",
  created: "Account created",
  devices: "MFA devices",
  noDevices: "No MFA device.",
  deviceKind: "Type",
  kind: { totp: "Authenticator app", webauthn: "Security key or passkey", email: "Email" } as Record<string, string>,
  label: "Credential ID",
  added: "Added",
  confirmed: "Confirmed",
  notConfirmed: "Not confirmed",
  lastUsed: "Last used",
  roles: "Roles",
  noRoles: "No roles.",
  organization: "Organization",
  program: "Program",
  dates: "Dates",
  noEnd: "no end date",
  roleStatus: { active: "Active", expired: "Expired", revoked: "Revoked" } as Record<string, string>,
  requests: "Access requests",
  noRequests: "No access requests.",
  requestId: "Request ID",
  requestStatus: "Status",
  requestStatuses: {
    pending: "Pending",
    approved: "Approved",
    rejected: "Rejected",
    cancelled: "Cancelled",
    expired: "Expired",
  } as Record<string, string>,
  submitted: "Submitted",
  events: "Recent events",
  noEvents: "No events.",
  eventsLink: "All events about this user in the Audit Log",
  actions: "Actions",
  own: "This is your own account: another administrator must unlock, reset or deactivate it.",
  forms: {
    unlock: {
      summary: "Unlock",
      text: "Clears the sign-in locks, the security-code lock and any hold, so the person can sign in again at once. An account held after “This wasn't me” also gets a new password: the old one stops working and the person is emailed a link to choose a new one.",
      reason: "Note (optional)",
      hint: "Kept in the audit log.",
      submit: "Unlock account",
    },
    "reset-mfa": {
      summary: "Reset MFA after manual verification",
      text: "Removes every MFA device and recovery code and signs the person out everywhere. They are emailed a link, valid once for 24 hours, with which they register a new device after logging in; their password alone cannot.",
      reason: "How you verified this person",
      hint: "For example: called back on the phone number on file and confirmed the last request ID. Kept in the audit log.",
      submit: "Reset MFA",
    },
    deactivate: {
      summary: "Deactivate",
      text: "The person can no longer sign in, and every session of theirs ends now. Their roles stay as they are.",
      reason: "Reason for deactivating",
      hint: "Kept in the audit log.",
      submit: "Deactivate account",
    },
    reactivate: {
      summary: "Reactivate",
      text: "The person can sign in again.",
      reason: "Note (optional)",
      hint: "Kept in the audit log.",
      submit: "Reactivate account",
    },
  } satisfies Record<AdminUserIntent, { summary: string; text: string; reason: string; hint: string; submit: string }>,
  done: {
    unlock: (name: string) => `${name}'s account is unlocked.`,
    "reset-mfa": (name: string) =>
      `${name}'s MFA devices and recovery codes are removed and their sessions ended. They have been emailed a link to register a new device.`,
    deactivate: (name: string) => `${name}'s account is deactivated and their sessions ended.`,
    reactivate: (name: string) => `${name}'s account is active again.`,
  } satisfies Record<AdminUserIntent, (name: string) => string>,
  unchanged: {
    unlock: "Nothing was locked, so nothing changed (someone may have just unlocked it).",
    "reset-mfa": "This account has no MFA device or recovery code left, so nothing changed.",
    deactivate: "This account is already deactivated.",
    reactivate: "This account is already active.",
  } satisfies Record<AdminUserIntent, string>,
};

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: COPY.title(data ? `${data.user.firstName} ${data.user.lastName}` : "User") },
];

export async function loader({ request, context, params }: LoaderArgs) {
  // Rule: admin.read (Help Desk Administrator, strong session); actions ask admin.manage.
  const session = await requireCapability(context.deps, request, "admin.read");
  const userId = String(params.userId ?? "").slice(0, 100);
  const detail = await loadUserDetail(context.deps, userId);
  if (!detail) throw new Response("Not Found", { status: 404 });
  const manage = can(session.actor, "admin.manage", { ownerUserId: userId }, context.deps.now());
  return { ...detail, own: userId === session.user.id, mayManage: mayEver(manage) };
}

export async function action({ request, context, params }: ActionArgs) {
  const userId = String(params.userId ?? "").slice(0, 100);
  // Rule: admin.manage about this account (fresh strong factor; never one's own: a 404).
  const session = await requireCapability(context.deps, request, "admin.manage", { ownerUserId: userId });
  const form = await request.formData().catch(() => null);
  const intent = form?.get("intent");
  if (!form || !isAdminUserIntent(intent)) throw new Response("Bad Request", { status: 400 });
  const submission = parseWithZod(form, { schema: ADMIN_USER_SCHEMAS[intent] });
  if (submission.status !== "success") return formFailure(intent, submission);
  const outcome = await administerUser(
    context.deps,
    session.actor,
    userId,
    { intent, reason: submission.value.reason },
    await getClient(context, request),
  );
  if (outcome.ok) return { ...formSuccess(intent, submission, null), notice: COPY.done[intent](outcome.value.name) };
  if (outcome.code === "not_found") throw new Response("Not Found", { status: 404 });
  if (outcome.code === "refused") return refuse(outcome.refusal, request);
  return formFailure(intent, submission, { formErrors: [COPY.unchanged[intent]] }, 409);
}

const date = (d: Date | string | null) => (d ? formatTime(new Date(d)) : COPY.never);

export default function AdminUser() {
  const { user, devices, roles, requests, events, lock, own, mayManage } = useLoaderData<typeof loader>();
  const actionData = useActionData<{ notice?: string }>();
  const name = `${user.firstName} ${user.lastName}`;
  const locks = [
    lock.signInLockedUntil ? COPY.signInLocked(formatTime(new Date(lock.signInLockedUntil))) : null,
    lock.mfaLockedUntil ? COPY.mfaLocked(formatTime(new Date(lock.mfaLockedUntil))) : null,
  ].filter(Boolean);
  const intents: AdminUserIntent[] = [
    ...(lock.anything ? (["unlock"] as const) : []),
    ...(devices.length > 0 ? (["reset-mfa"] as const) : []),
    user.status === "active" ? ("deactivate" as const) : ("reactivate" as const),
  ];
  return (
    <>
      <p>
        <Link to="/admin/users">{COPY.back}</Link>
      </p>
      <h1>{name}</h1>
      {actionData?.notice ? (
        <Alert variant="success" role="status">
          <p>{actionData.notice}</p>
        </Alert>
      ) : null}

      <section aria-labelledby="status">
        <h2 id="status">{COPY.status}</h2>
        <dl className="details-list">
          <dt>{COPY.userId}</dt>
          <dd>{user.loginId}</dd>
          <dt>{COPY.email}</dt>
          <dd className="breakable">{user.email}</dd>
          <dt>{COPY.state}</dt>
          <dd data-testid="account-status">
            {user.status === "disabled" ? COPY.disabled : COPY.active}
            {lock.held ? (
              <>
                <br />
                {COPY.held(user.heldReason)}
              </>
            ) : null}
            {locks.map((l) => (
              <span key={l}>
                <br />
                {l}
              </span>
            ))}
            {!lock.held && locks.length === 0 ? (
              <>
                <br />
                {COPY.notLocked}
              </>
            ) : null}
          </dd>
          <dt>{COPY.identity}</dt>
          <dd>{user.identityVerifiedAt ? date(user.identityVerifiedAt) : COPY.no}</dd>
          <dt>{COPY.enrollment}</dt>
          <dd>{user.enrollmentCompletedAt ? COPY.enrolled : COPY.notEnrolled}</dd>
          <dt>{COPY.lastSignIn}</dt>
          <dd>{date(user.lastSignInAt)}</dd>
          <dt>{COPY.created}</dt>
          <dd>{date(user.createdAt)}</dd>
        </dl>
      </section>

      <section aria-labelledby="actions">
        <h2 id="actions">{COPY.actions}</h2>
        {own ? (
          <p>{COPY.own}</p>
        ) : mayManage ? (
          <div className="admin-user-actions">
            {intents.map((intent) => (
              <AdminActionForm key={intent} intent={intent} />
            ))}
          </div>
        ) : null}
      </section>

      <section aria-labelledby="devices">
        <h2 id="devices">{COPY.devices}</h2>
        {devices.length === 0 ? <p>{COPY.noDevices}</p> : null}
        <ul className="request-cards">
          {devices.map((d) => (
            <li key={d.id} className="request-card">
              <h3 className="request-card__title">{d.name}</h3>
              <dl className="details-list">
                <dt>{COPY.deviceKind}</dt>
                <dd>{COPY.kind[d.kind] ?? d.kind}</dd>
                <dt>{COPY.label}</dt>
                <dd>{d.label}</dd>
                <dt>{COPY.added}</dt>
                <dd>{date(d.createdAt)}</dd>
                <dt>{COPY.confirmed}</dt>
                <dd>{d.confirmedAt ? date(d.confirmedAt) : COPY.notConfirmed}</dd>
                <dt>{COPY.lastUsed}</dt>
                <dd>{date(d.lastUsedAt)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="roles">
        <h2 id="roles">{COPY.roles}</h2>
        {roles.length === 0 ? <p>{COPY.noRoles}</p> : null}
        <ul className="request-cards">
          {roles.map((r) => (
            <li key={r.id} className="request-card">
              <h3 className="request-card__title">{r.roleName}</h3>
              <dl className="details-list">
                {r.organizationName ? (
                  <>
                    <dt>{COPY.organization}</dt>
                    <dd>{r.organizationName}</dd>
                  </>
                ) : null}
                {r.programName ? (
                  <>
                    <dt>{COPY.program}</dt>
                    <dd>{r.programName}</dd>
                  </>
                ) : null}
                <dt>{COPY.state}</dt>
                <dd>{COPY.roleStatus[r.status] ?? r.status}</dd>
                <dt>{COPY.dates}</dt>
                <dd>
                  {formatDateUS(r.startDate) || date(r.grantedAt)} – {r.endDate ? formatDateUS(r.endDate) : COPY.noEnd}
                </dd>
              </dl>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="requests">
        <h2 id="requests">{COPY.requests}</h2>
        {requests.length === 0 ? <p>{COPY.noRequests}</p> : null}
        <ul className="request-cards">
          {requests.map((r) => (
            <li key={r.id} className="request-card">
              <h3 className="request-card__title">{r.roleName}</h3>
              <dl className="details-list">
                <dt>{COPY.requestId}</dt>
                <dd>{r.id}</dd>
                <dt>{COPY.requestStatus}</dt>
                <dd>{COPY.requestStatuses[r.status] ?? r.status}</dd>
                <dt>{COPY.submitted}</dt>
                <dd>{date(r.createdAt)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="events">
        <h2 id="events">{COPY.events}</h2>
        {events.length === 0 ? <p>{COPY.noEvents}</p> : null}
        <ol className="history">
          {events.map((e) => (
            <li key={e.id}>
              <span className="history__what">{e.eventType}</span> ({e.outcome}), {date(e.occurredAt)}
            </li>
          ))}
        </ol>
        <p>
          <Link to={`/audit-log?${new URLSearchParams({ userId: user.loginId })}`}>{COPY.eventsLink}</Link>
        </p>
      </section>
    </>
  );
}

function AdminActionForm({ intent }: { intent: AdminUserIntent }) {
  const actionData = useActionData<FormActionData<unknown>>();
  const copy = COPY.forms[intent];
  const [form, fields] = useSchemaForm({
    id: intent,
    schema: ADMIN_USER_SCHEMAS[intent] as (typeof ADMIN_USER_SCHEMAS)["reset-mfa"],
    actionData,
  });
  const failed = actionData?.formId === intent && actionData.result.status === "error";
  return (
    <details className="confirm" open={failed || undefined}>
      <summary className="ds-c-button">{copy.summary}</summary>
      <p>{copy.text}</p>
      <Form method="post" {...getFormProps(form)}>
        <ErrorSummary form={form} />
        <input type="hidden" name="intent" value={intent} />
        <TextArea field={fields.reason} label={copy.reason} hint={copy.hint} max={ADMIN_REASON_MAX} />
        <div className="actions">
          <button
            type="submit"
            className={`ds-c-button${intent === "deactivate" || intent === "reset-mfa" ? " ds-c-button--danger" : ""}`}
          >
            {copy.submit}
          </button>
        </div>
      </Form>
    </details>
  );
}
