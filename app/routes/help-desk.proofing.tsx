import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireCapability } from "~/.server/guards";
import { decideManualProofing, listManualProofingRequests } from "~/.server/proofing/enrollment";
import { Alert, Button } from "~/components/ui";
import { formatTime } from "~/lib/format";

const COPY = {
  title: "Manual identity proofing - CMS.gov | QualityNet",
  heading: "Manual identity proofing",
  intro:
    "People who could not be verified online after 3 attempts. Verify each by phone or documents under the help-desk procedure, then record the outcome.",
  none: "No open requests.",
  requested: "Requested",
  note: "Note",
  verify: "Mark Identity Verified",
  reject: "Could Not Verify",
  decided: "Recorded.",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Rule: help desk (any program), strong session.
  await requireCapability(context.deps, request, "proofing_review.read");
  const requests = await listManualProofingRequests(context.deps);
  return {
    decided: new URL(request.url).searchParams.has("decided"),
    requests: requests.map((r) => ({ ...r, createdAt: formatTime(r.createdAt) })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  // Rule: help desk, a strong factor in the last 15 minutes, never one's own review (checked per request).
  const session = await requireCapability(
    context.deps,
    request,
    "proofing_review.decide",
    {},
    { returnTo: "/help-desk/proofing" },
  );
  const form = await request.formData();
  const result = await decideManualProofing(
    context.deps,
    session.actor,
    String(form.get("reviewId") ?? ""),
    form.get("intent") === "verify",
  );
  if (!result.ok) return data({ error: result.message ?? "That request could not be decided." }, { status: 409 });
  throw redirect("/help-desk/proofing?decided=1");
}

export default function ManualProofingQueue() {
  const { requests, decided } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      {decided ? (
        <Alert variant="success" role="status">
          <p>{COPY.decided}</p>
        </Alert>
      ) : null}
      {result?.error ? (
        <Alert variant="error" role="alert">
          <p>{result.error}</p>
        </Alert>
      ) : null}
      {requests.length === 0 ? <p>{COPY.none}</p> : null}
      <ul className="card-list">
        {requests.map((r) => (
          <li key={r.id} className="card">
            <h2 className="card-title">
              {r.firstName} {r.lastName} ({r.loginId})
            </h2>
            <p className="hint">
              {r.email} · {r.phone} · {COPY.requested} {r.createdAt}
            </p>
            {r.note ? (
              <p>
                {COPY.note}: {r.note}
              </p>
            ) : null}
            <Form method="post" className="actions">
              <input type="hidden" name="reviewId" value={r.id} />
              <Button name="intent" value="verify" disabled={busy}>
                {COPY.verify}
              </Button>
              <Button name="intent" value="reject" variant="secondary" disabled={busy}>
                {COPY.reject}
              </Button>
            </Form>
          </li>
        ))}
      </ul>
    </>
  );
}
