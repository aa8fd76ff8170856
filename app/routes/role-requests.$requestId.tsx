import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { parseRequestId } from "~/.server/access/request-id";
import { getRequestForApprover } from "~/.server/access/requests";
import { requireCapability, requireSession } from "~/.server/guards";
import { RequestDetails } from "~/components/request-details";

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
  approver: "Chosen approver",
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
      <RequestDetails
        request={r}
        lead={[
          { term: COPY.requester, value: requester.name },
          { term: COPY.userId, value: requester.loginId },
          { term: COPY.email, value: requester.email },
        ]}
        approverLabel={COPY.approver}
        emptyAs={COPY.none}
      />
    </>
  );
}
