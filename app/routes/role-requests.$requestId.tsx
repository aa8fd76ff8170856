import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, Link, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { can, mayEver } from "~/.server/access/authorize";
import {
  type CannotApproveReason,
  type DecisionCode,
  decideAccessRequest,
  loadRequestForDecision,
  type RequestHistoryEntry,
} from "~/.server/access/decisions";
import { RECERTIFICATION_PERIOD_MS } from "~/.server/access/recertify";
import { parseRequestId } from "~/.server/access/request-id";
import type { Failure } from "~/.server/result";
import { ErrorSummary, RadioGroup, TextArea } from "~/components/fields";
import { RequestDetails } from "~/components/request-details";
import { RoleActionOutcome, RoleActions } from "~/components/role-actions";
import { Alert } from "~/components/ui";
import { formatDateUS } from "~/lib/access-request";
import { ApproveSchema, DECISION_DETAILS_MAX, REJECTION_REASONS, RejectSchema } from "~/lib/decisions";
import { formatAge, formatTime, todayEastern } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import { handleRoleAction } from "~/web/.server/role-actions";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * An access request as its approvers see it, and where they decide it (SPEC
 * 2.6). The "request waiting for you" email links here; the link carries no
 * power: the approver signs in (with their second factor) and comes back.
 * Rules: reading is `can(actor, "request.read")` (a Security Official of the
 * organization, or a help-desk approver of the program for the first Security
 * Official, never the requester); anyone else, the requester included, gets
 * the same 404 as for an unknown id. "Approve" and "Reject" are
 * `can(actor, "request.decide")`: the same people with a strong factor from
 * the last 15 minutes, else step-up and back. Each asks for confirmation.
 */

const COPY = {
  title: (id: string) => `Access request ${id} - CMS.gov | QualityNet`,
  back: "Back to Pending Requests",
  heading: "Access request",
  requester: "Requester",
  userId: "User ID",
  email: "Email",
  lastSignIn: "Last sign-in",
  never: "Never",
  approver: "Chosen approver",
  decidedBy: "Decided by",
  none: "None",
  waiting: (age: string) => `Waiting for a decision, submitted ${age}.`,
  approve: "Approve",
  reject: "Reject",
  decisionHeading: "Your decision",
  approveHeading: "Approve this request?",
  approveText: (r: Facts) =>
    `Approving gives ${r.requesterName} (${r.loginId}) the role ${r.roleName} at ${r.organizationName} (${r.programName})${
      r.endDate ? ` until ${formatDateUS(r.endDate)}` : ""
    }. ${r.firstName} will be emailed. A decision cannot be undone here.`,
  approveYes: "Approve request",
  rejectHeading: "Reject this request?",
  rejectText: (r: Facts) =>
    `${r.requesterName} (${r.loginId}) will be emailed that the request was rejected, with the reason you choose and what you write.`,
  reason: "Reason for rejecting",
  details: "What should the requester know?",
  detailsHint: `Required when you choose "Another reason". Up to ${DECISION_DETAILS_MAX.toLocaleString("en-US")} characters; the requester reads it in the email.`,
  rejectYes: "Reject request",
  cancel: "Cancel",
  approved: (id: string, name: string) =>
    `You approved request ${id}. ${name} now holds the role and has been emailed.`,
  rejected: (id: string, name: string) => `You rejected request ${id}. ${name} has been emailed the reason.`,
  cannotApprove: {
    organization_inactive:
      "This request cannot be approved: its organization is no longer active. Nothing was granted; you can reject it.",
    requester_inactive:
      "This request cannot be approved: the requester's account is no longer active. Nothing was granted; you can reject it.",
  } satisfies Record<CannotApproveReason, string>,
  alreadyDecided: (status: string, by: string | null, at: string | null) =>
    `This request was already ${status}${by ? ` by ${by}` : ""}${at ? ` at ${at}` : ""}.`,
  grantHeading: "The granted role",
  grantActive: (role: string, due: string) => `${role} is active. It must be recertified by ${due}, or it lapses.`,
  grantEnded: (reason: string | null) => `The role has ended${reason ? `: ${reason}` : ""}.`,
  history: "History",
  noHistory: "No events recorded.",
};

type Facts = {
  requesterName: string;
  firstName: string;
  loginId: string;
  roleName: string;
  organizationName: string;
  programName: string;
  endDate: string | null;
};

const HISTORY_LABELS: Record<string, string> = {
  "access_request.submitted": "Submitted",
  "access_request.approved": "Approved",
  "access_request.rejected": "Rejected",
  "access_request.cancelled": "Cancelled by the requester",
  "access_request.expired": "Expired without a decision",
  "user_role.revoked": "Role revoked",
  "user_role.revoked_inactive": "Role removed: no sign-in for 60 days",
  "user_role.expired": "Role ended on its end date",
  "user_role.lapsed": "Role lapsed: not recertified",
  "user_role.recertified": "Role recertified",
};

const FORM_ID = "decision";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: COPY.title(data?.request.id ?? "") }];

async function loadOr404(context: LoaderArgs["context"], request: Request, raw: string | undefined) {
  // Signed out: sign in first and come back here; nothing about the request is looked up before.
  await requireSession(context.deps, request);
  const id = parseRequestId(raw);
  const found = id ? await loadRequestForDecision(context.deps, id) : null;
  if (!found) throw new Response("Not Found", { status: 404 });
  return found;
}

export async function loader({ request, context, params }: LoaderArgs) {
  const found = await loadOr404(context, request, params.requestId);
  const session = await requireCapability(context.deps, request, "request.read", found.resource);
  const url = new URL(request.url);
  const pending = found.request.status === "pending";
  const asked = url.searchParams.get("decide");
  const decide: "approve" | "reject" | null = pending && (asked === "approve" || asked === "reject") ? asked : null;
  // Opening the confirmation is where a stale strong factor is renewed, so the decision itself goes through.
  if (decide) await requireCapability(context.deps, request, "request.decide", found.resource);
  const decided = url.searchParams.get("decided");
  const r = found.request;
  return {
    request: {
      id: r.id,
      status: r.status,
      programName: r.programName,
      organizationName: r.organizationName,
      roleName: r.roleName,
      approverName: r.approverName,
      startDate: r.startDate,
      endDate: r.endDate,
      createdAt: r.createdAt.toISOString(),
      decidedAt: r.decidedAt ? r.decidedAt.toISOString() : null,
      decisionReason:
        r.status === "rejected" && r.decisionReasonCode
          ? `${REJECTION_REASONS[r.decisionReasonCode as keyof typeof REJECTION_REASONS] ?? r.decisionReasonCode}${r.decisionReason ? `. ${r.decisionReason}` : ""}`
          : r.decisionReason,
      additionalInfo: r.additionalInfo,
      comments: r.comments,
      deciderName: r.deciderName,
    },
    facts: {
      requesterName: r.requesterName,
      firstName: r.firstName,
      loginId: r.loginId,
      email: r.email,
      lastSignInAt: r.lastSignInAt ? r.lastSignInAt.toISOString() : null,
      roleName: r.roleName,
      organizationName: r.organizationName,
      programName: r.programName,
      endDate: r.endDate,
    },
    history: found.history.map((h) => ({ ...h, at: h.at.toISOString() })),
    grant: found.grant
      ? {
          userRoleId: found.grant.id,
          active: found.grant.status === "active",
          dueDate: formatDateUS(
            todayEastern(
              new Date((found.grant.recertifiedAt ?? found.grant.grantedAt).getTime() + RECERTIFICATION_PERIOD_MS),
            ),
          ),
          endReason: found.grant.endReason,
          mayRecertify: mayEver(can(session.actor, "role.recertify", found.resource, context.deps.now())),
          mayRevoke: mayEver(can(session.actor, "role.revoke", found.resource, context.deps.now())),
        }
      : null,
    mayDecide: pending && mayEver(can(session.actor, "request.decide", found.resource, context.deps.now())),
    decide,
    decided: decided === "approved" || decided === "rejected" ? decided : null,
    age: formatAge(r.createdAt, context.deps.now()),
  };
}

export async function action({ request, context, params }: ActionArgs) {
  const found = await loadOr404(context, request, params.requestId);
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  if (form.get("intent") === "recertify" || form.get("intent") === "revoke") {
    // The role this request granted: its own rules (`role.recertify`, `role.revoke`) decide in the service.
    const session = await requireCapability(context.deps, request, "request.read", found.resource);
    if (form.get("userRoleId") !== found.grant?.id) throw new Response("Not Found", { status: 404 });
    return handleRoleAction(
      context.deps,
      request,
      session.actor,
      form,
      await getClient(context, request),
      `/role-requests/${found.request.id}`,
    );
  }
  const intent = form.get("intent") === "reject" ? "reject" : "approve";
  const id = found.request.id;
  const session = await requireCapability(context.deps, request, "request.decide", found.resource, {
    returnTo: `/role-requests/${id}?decide=${intent}`,
  });
  const submission = parseWithZod(form, { schema: intent === "reject" ? RejectSchema : ApproveSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const outcome = await decideAccessRequest(
    context.deps,
    session.actor,
    id,
    submission.value,
    await getClient(context, request),
  );
  if (outcome.ok) return redirect(`/role-requests/${id}?decided=${outcome.value.status}`);
  if (outcome.code === "refused") return refuse(outcome.refusal, request, `/role-requests/${id}?decide=${intent}`);
  return formFailure(FORM_ID, submission, { formErrors: [decisionProblem(outcome)] }, 409);
}

/** The words for a decision that did nothing (`decideAccessRequest`'s failures); an unknown request is a 404. */
function decisionProblem(failure: Failure<DecisionCode>): string {
  const d = failure.detail ?? {};
  switch (failure.code) {
    case "not_found":
      throw new Response("Not Found", { status: 404 });
    case "cannot_approve":
      return COPY.cannotApprove[d.reason as CannotApproveReason];
    case "already_decided":
      return COPY.alreadyDecided(
        String(d.status),
        typeof d.by === "string" ? d.by : null,
        d.at instanceof Date ? formatTime(d.at) : null,
      );
  }
}

export default function ApproverRequestPage() {
  const { request: r, facts, history, mayDecide, decide, decided, age, grant } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const conflict =
    actionData && "result" in actionData && actionData.formId === FORM_ID
      ? actionData.result?.error?.[""]?.[0]
      : undefined;
  return (
    <>
      <p>
        <Link to="/role-requests">{COPY.back}</Link>
      </p>
      <h1>
        {COPY.heading} <span className="nowrap">{r.id}</span>
      </h1>
      {decided ? (
        <Alert variant="success" role="status">
          <p>{(decided === "approved" ? COPY.approved : COPY.rejected)(r.id, facts.requesterName)}</p>
        </Alert>
      ) : null}
      {conflict ? (
        <Alert variant="error" role="alert">
          <p>{conflict}</p>
        </Alert>
      ) : null}
      <RoleActionOutcome />
      {decide && mayDecide && !conflict ? <DecisionPanel kind={decide} facts={facts} id={r.id} /> : null}

      {r.status === "pending" ? <p className="ds-u-font-weight--bold">{COPY.waiting(age)}</p> : null}
      <RequestDetails
        request={r}
        lead={[
          { term: COPY.requester, value: facts.requesterName },
          { term: COPY.userId, value: facts.loginId },
          { term: COPY.email, value: facts.email, className: "breakable" },
          {
            term: COPY.lastSignIn,
            value: facts.lastSignInAt ? formatTime(new Date(facts.lastSignInAt)) : COPY.never,
          },
          ...(r.deciderName ? [{ term: COPY.decidedBy, value: r.deciderName }] : []),
        ]}
        approverLabel={COPY.approver}
        emptyAs={COPY.none}
      />

      {mayDecide && !decide && !conflict ? (
        <section aria-labelledby="decision-heading" className="decision">
          <h2 id="decision-heading">{COPY.decisionHeading}</h2>
          <p className="actions">
            <Link to="?decide=approve" className="ds-c-button ds-c-button--solid">
              {COPY.approve}
            </Link>
            <Link to="?decide=reject" className="ds-c-button ds-c-button--danger">
              {COPY.reject}
            </Link>
          </p>
        </section>
      ) : null}

      {grant ? (
        <section aria-labelledby="grant-heading" className="decision">
          <h2 id="grant-heading">{COPY.grantHeading}</h2>
          <p>{grant.active ? COPY.grantActive(facts.roleName, grant.dueDate) : COPY.grantEnded(grant.endReason)}</p>
          {grant.active ? (
            <RoleActions
              target={{
                userRoleId: grant.userRoleId,
                roleName: facts.roleName,
                holderName: facts.requesterName,
                mayRecertify: grant.mayRecertify,
                mayRevoke: grant.mayRevoke,
              }}
            />
          ) : null}
        </section>
      ) : null}

      <History entries={history} />
    </>
  );
}

function DecisionPanel({ kind, facts, id }: { kind: "approve" | "reject"; facts: Facts; id: string }) {
  return (
    <section aria-labelledby="confirm-heading" className="decision decision--confirm">
      <h2 id="confirm-heading">{kind === "approve" ? COPY.approveHeading : COPY.rejectHeading}</h2>
      <p>{kind === "approve" ? COPY.approveText(facts) : COPY.rejectText(facts)}</p>
      {kind === "approve" ? <ApproveForm id={id} /> : <RejectForm id={id} />}
    </section>
  );
}

function ApproveForm({ id }: { id: string }) {
  const actionData = useActionData<typeof action>();
  const [form] = useSchemaForm({ id: FORM_ID, schema: ApproveSchema, actionData });
  return (
    <Form method="post" {...getFormProps(form)}>
      <ErrorSummary form={form} />
      <input type="hidden" name="intent" value="approve" />
      <DecisionActions id={id} label={COPY.approveYes} variant="ds-c-button--solid" />
    </Form>
  );
}

function RejectForm({ id }: { id: string }) {
  const actionData = useActionData<typeof action>();
  const [form, fields] = useSchemaForm({ id: FORM_ID, schema: RejectSchema, actionData });
  return (
    <Form method="post" {...getFormProps(form)}>
      <ErrorSummary form={form} />
      <input type="hidden" name="intent" value="reject" />
      <RadioGroup
        field={fields.reasonCode}
        legend={COPY.reason}
        options={Object.entries(REJECTION_REASONS).map(([value, label]) => ({ value, label }))}
        required
      />
      <TextArea field={fields.details} label={COPY.details} hint={COPY.detailsHint} max={DECISION_DETAILS_MAX} />
      <DecisionActions id={id} label={COPY.rejectYes} variant="ds-c-button--danger" />
    </Form>
  );
}

function DecisionActions({ id, label, variant }: { id: string; label: string; variant: string }) {
  const busy = useNavigation().state === "submitting";
  return (
    <div className="actions">
      <button type="submit" className={`ds-c-button ${variant}`} disabled={busy}>
        {label}
      </button>
      <Link to={`/role-requests/${id}`} className="ds-c-button">
        {COPY.cancel}
      </Link>
    </div>
  );
}

function History({ entries }: { entries: (Omit<RequestHistoryEntry, "at"> & { at: string })[] }) {
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">{COPY.history}</h2>
      {entries.length === 0 ? (
        <p>{COPY.noHistory}</p>
      ) : (
        <ol className="history">
          {entries.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only and never reordered.
            <li key={i}>
              <time dateTime={e.at}>{formatTime(new Date(e.at))}</time>{" "}
              <span className="history__what">{HISTORY_LABELS[e.eventType] ?? e.eventType}</span>
              {e.actorName ? <span className="history__who"> — {e.actorName}</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
