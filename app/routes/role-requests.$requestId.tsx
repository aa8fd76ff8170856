import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { parseRequestId } from "~/.server/access/request-id";
import { getRequestForApprover } from "~/.server/access/requests";
import { requireCapability, requireSession } from "~/.server/guards";
import { formatDateUS, REQUEST_STATUS_LABELS } from "~/lib/access-request";
import { formatTime } from "~/lib/format";

/**
 * An access request as its approvers see it: where the "request waiting for
 * you" email leads. The link carries no power: the approver signs in (with
 * their second factor) and `can(actor, "request.read")` decides; anyone else,
 * the requester included, gets the same 404 as for an unknown id.
 */

const COPY = {
  title: (id: string) => `Access request ${id} - CMS.gov | QualityNet`,
  heading: (id: string) => `Access request ${id}`,
  requester: "Requester",
  userId: "User ID",
  email: "Email",
  status: "Status",
  program: "Program",
  organization: "Organization",
  role: "User Role",
  approver: "Chosen approver",
  startDate: "Start Date",
  endDate: "End Date",
  notApplicable: "Not Applicable",
  submitted: "Submitted",
  decided: "Decided",
  additional: "User Request Additional Information",
  comments: "Comments",
  none: "None",
};

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: COPY.title(data?.request.id ?? "") }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  // Signed out: sign in first and come back here; nothing about the request is looked up before.
  await requireSession(context.deps, request);
  const id = parseRequestId(params.requestId);
  const found = id ? await getRequestForApprover(context.deps, id) : null;
  if (!found) throw new Response("Not Found", { status: 404 });
  await requireCapability(context.deps, request, "request.read", found.resource);
  return { request: found.request, requester: found.requester };
}

export default function ApproverRequestPage() {
  const { request: r, requester } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{COPY.heading(r.id)}</h1>
      <dl className="details-list">
        <dt>{COPY.requester}</dt>
        <dd>{requester.name}</dd>
        <dt>{COPY.userId}</dt>
        <dd>{requester.loginId}</dd>
        <dt>{COPY.email}</dt>
        <dd>{requester.email}</dd>
        <dt>{COPY.status}</dt>
        <dd>{REQUEST_STATUS_LABELS[r.status]}</dd>
        <dt>{COPY.program}</dt>
        <dd>{r.programName}</dd>
        <dt>{COPY.organization}</dt>
        <dd>{r.organizationName}</dd>
        <dt>{COPY.role}</dt>
        <dd>{r.roleName}</dd>
        <dt>{COPY.approver}</dt>
        <dd>{r.approverName}</dd>
        <dt>{COPY.startDate}</dt>
        <dd>{formatDateUS(r.startDate)}</dd>
        <dt>{COPY.endDate}</dt>
        <dd>{r.endDate ? formatDateUS(r.endDate) : COPY.notApplicable}</dd>
        <dt>{COPY.submitted}</dt>
        <dd>{formatTime(new Date(r.createdAt))}</dd>
        <dt>{COPY.decided}</dt>
        <dd>{r.decidedAt ? formatTime(new Date(r.decidedAt)) : COPY.none}</dd>
        <dt>{COPY.additional}</dt>
        <dd className="prewrap">{r.additionalInfo || COPY.none}</dd>
        <dt>{COPY.comments}</dt>
        <dd className="prewrap">{r.comments || COPY.none}</dd>
      </dl>
    </>
  );
}
