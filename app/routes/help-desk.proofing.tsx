import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { formFailure } from "~/.server/forms";
import { requireCapability } from "~/.server/guards";
import { decideManualProofing, listManualProofingRequests } from "~/.server/proofing/enrollment";
import { ErrorSummary } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { ProofingDecisionSchema } from "~/lib/enrollment-schemas";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";

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
  undecided: "That request could not be decided.",
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
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: ProofingDecisionSchema });
  const formId = decisionFormId(String(formData.get("reviewId") ?? ""));
  if (submission.status !== "success") return formFailure(formId, submission);
  const result = await decideManualProofing(context.deps, session.actor, submission.value);
  if (!result.ok) return formFailure(formId, submission, { formErrors: [result.message ?? COPY.undecided] }, 409);
  throw redirect("/help-desk/proofing?decided=1");
}

/** One form per request on the screen. */
const decisionFormId = (reviewId: string) => `decide-${reviewId}`;

/** Mark Identity Verified or Could Not Verify, for one request; a refusal shows on its card. */
function DecisionForm({ reviewId, actionData }: { reviewId: string; actionData: unknown }) {
  const busy = useNavigation().state === "submitting";
  const [form] = useSchemaForm({
    id: decisionFormId(reviewId),
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.ProofingDecisionSchema),
    actionData,
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" className="actions" {...getFormProps(form)}>
        <input type="hidden" name="reviewId" value={reviewId} />
        <Button name="intent" value="verify" disabled={busy}>
          {COPY.verify}
        </Button>
        <Button name="intent" value="reject" variant="secondary" disabled={busy}>
          {COPY.reject}
        </Button>
      </Form>
    </>
  );
}

export default function ManualProofingQueue() {
  const { requests, decided } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      {decided ? (
        <Alert variant="success" role="status">
          <p>{COPY.decided}</p>
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
            <DecisionForm reviewId={r.id} actionData={actionData} />
          </li>
        ))}
      </ul>
    </>
  );
}
