import type { MetaFunction } from "react-router";
import { Form, Link, useLoaderData } from "react-router";
import { parseRequestId } from "~/.server/access/request-id";
import { getMyRequest } from "~/.server/access/requests";
import { RequestDetails } from "~/components/request-details";
import { Alert } from "~/components/ui";
import { requireSession } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

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
  cancel: "Cancel this request",
  back: "Back to My Tasks",
};

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: COPY.title(data?.request.id ?? "") }];

export async function loader({ request, context, params }: LoaderArgs) {
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
      <RequestDetails
        request={r}
        lead={[
          { term: COPY.requestId, value: r.id, className: "request-id" },
          { term: COPY.userId, value: loginId },
        ]}
      />
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
