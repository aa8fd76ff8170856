import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { parseRequestId } from "~/.server/access/request-id";
import { getMyRequest } from "~/.server/access/requests";
import { requireSession } from "~/.server/guards";
import { Alert } from "~/components/ui";
import { formatDateUS, REQUEST_STATUS_LABELS } from "~/lib/access-request";
import { formatTime } from "~/lib/format";

/**
 * One of the signed-in user's own access requests: the confirmation after
 * "Submit Request" (with `?submitted=1`) and the page "My Requests" links to.
 * Anyone else's request, or an unknown id, is a 404: nothing is revealed.
 */

const COPY = {
  title: (id: string) => `Request ${id} - CMS.gov | QualityNet`,
  submittedHeading: "Your request was submitted",
  submitted: (id: string, loginId: string) =>
    `Request ID ${id} for User ID ${loginId}. We emailed you a confirmation, and your approver has been asked to decide. Quote the Request ID if you contact the help desk.`,
  heading: (id: string) => `Request ${id}`,
  requestId: "Request ID",
  userId: "User ID",
  status: "Status",
  program: "Program",
  organization: "Organization",
  role: "User Role",
  approver: "Approver",
  startDate: "Start Date",
  endDate: "End Date",
  notApplicable: "Not Applicable",
  submittedOn: "Submitted",
  decidedOn: "Decided",
  reason: "Reason",
  additional: "User Request Additional Information",
  comments: "Comments",
  cancel: "Cancel this request",
  back: "Back to My Tasks",
};

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: COPY.title(data?.request.id ?? "") }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireSession(context.deps, request);
  const id = parseRequestId(params.requestId);
  const found = id ? await getMyRequest(context.deps, user.id, id) : null;
  if (!found) throw new Response("Not Found", { status: 404 });
  return {
    loginId: user.loginId,
    submitted: new URL(request.url).searchParams.get("submitted") === "1",
    request: found,
  };
}

export default function RequestPage() {
  const { loginId, submitted, request: r } = useLoaderData<typeof loader>();
  return (
    <>
      {submitted ? (
        <>
          <h1>{COPY.submittedHeading}</h1>
          <Alert variant="success" role="status">
            <p>{COPY.submitted(r.id, loginId)}</p>
          </Alert>
        </>
      ) : (
        <h1>{COPY.heading(r.id)}</h1>
      )}
      <dl className="details-list">
        <dt>{COPY.requestId}</dt>
        <dd className="request-id">{r.id}</dd>
        <dt>{COPY.userId}</dt>
        <dd>{loginId}</dd>
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
        <dt>{COPY.submittedOn}</dt>
        <dd>{formatTime(new Date(r.createdAt))}</dd>
        {r.decidedAt ? (
          <>
            <dt>{COPY.decidedOn}</dt>
            <dd>{formatTime(new Date(r.decidedAt))}</dd>
          </>
        ) : null}
        {r.decisionReason ? (
          <>
            <dt>{COPY.reason}</dt>
            <dd>{r.decisionReason}</dd>
          </>
        ) : null}
        {r.additionalInfo ? (
          <>
            <dt>{COPY.additional}</dt>
            <dd className="prewrap">{r.additionalInfo}</dd>
          </>
        ) : null}
        {r.comments ? (
          <>
            <dt>{COPY.comments}</dt>
            <dd className="prewrap">{r.comments}</dd>
          </>
        ) : null}
      </dl>
      <div className="actions">
        {r.status === "pending" ? (
          <Form method="post" action="/my-account">
            <input type="hidden" name="requestId" value={r.id} />
            <button type="submit" name="intent" value="cancel-request" className="ds-c-button">
              {COPY.cancel}
            </button>
          </Form>
        ) : null}
        <Link to="/my-account" className="ds-c-button ds-c-button--ghost">
          {COPY.back}
        </Link>
      </div>
    </>
  );
}
