import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import {
  decideManualProofing,
  listManualProofingRequests,
  listRecentProofingDecisions,
} from "~/.server/proofing/enrollment";
import type { CodeOf } from "~/.server/result";
import { Table } from "~/components/ds-table";
import { ErrorSummary, SelectField, TextArea, TextField } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { AdminProofingDecisionSchema, evidenceLabel, PROOFING_EVIDENCE_TYPES } from "~/lib/admin-schemas";
import { type FailureCopy, wordsFor } from "~/lib/failure-words";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration, Manual proofing (SPEC 2.8): people who could not be verified
 * online, verified by the help desk by phone or documents. Moved here from
 * /help-desk/proofing (which redirects), so the rule is now Administration's:
 * the page, `can(actor, "admin.read")` (Help Desk Administrator, strong
 * session); a decision, `can(actor, "admin.manage")` (a strong factor from the
 * last 15 minutes), never on one's own request. Approval records the evidence
 * checked; a denial needs a reason, emailed to the person.
 */

const COPY = {
  title: "Manual identity proofing - Administration - CMS.gov | QualityNet",
  heading: "Manual identity proofing",
  intro:
    "People who could not be verified online after 3 attempts. Verify each by phone or documents under the help-desk procedure, then record the outcome: the document you checked, or why you could not verify them.",
  none: "No open requests.",
  requested: "Requested",
  note: "Note",
  evidenceType: "Document checked",
  evidenceLast4: "Last 4 characters of its number",
  evidenceHint: "Letters or digits; never the whole number.",
  choose: "- Select -",
  denialReason: "Reason (if you could not verify)",
  denialHint: "Emailed to the person.",
  verify: "Mark Identity Verified",
  reject: "Could Not Verify",
  decided: "Recorded.",
  recent: "Recent decisions",
  noDecisions: "No decisions yet.",
  person: "Person",
  outcome: "Outcome",
  evidence: "Evidence or reason",
  by: "Decided by",
  when: "When",
  verified: "Verified",
  rejected: "Not verified",
  failures: {
    not_found: "No such request.",
    own_request: "You cannot decide your own request.",
    already_decided: "Someone already decided this request.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof decideManualProofing>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  const [requests, recent] = await context.deps.db.batch([
    listManualProofingRequests(context.deps),
    listRecentProofingDecisions(context.deps),
  ]);
  return {
    decided: new URL(request.url).searchParams.has("decided"),
    requests: requests.map((r) => ({ ...r, createdAt: formatTime(r.createdAt) })),
    recent: recent.map((r) => ({ ...r, decidedAt: r.decidedAt ? formatTime(r.decidedAt) : "" })),
  };
}

export async function action({ request, context }: ActionArgs) {
  // Rule: admin.manage; never one's own request (checked per request by the service).
  const session = await requireCapability(context.deps, request, "admin.manage", {}, { returnTo: "/admin/proofing" });
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: AdminProofingDecisionSchema });
  const formId = decisionFormId(String(formData.get("reviewId") ?? ""));
  if (submission.status !== "success") return formFailure(formId, submission);
  const result = await decideManualProofing(context.deps, session.actor, submission.value);
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request, "/admin/proofing");
    return formFailure(formId, submission, { formErrors: [wordsFor(COPY.failures, result)] }, 409);
  }
  throw redirect("/admin/proofing?decided=1");
}

/** One form per request on the screen. */
const decisionFormId = (reviewId: string) => `decide-${reviewId}`;

function DecisionForm({ reviewId }: { reviewId: string }) {
  const busy = useNavigation().state === "submitting";
  const actionData = useActionData<typeof action>();
  const [form, fields] = useSchemaForm({
    id: decisionFormId(reviewId),
    schema: () => import("~/lib/admin-schemas").then((m) => m.AdminProofingDecisionSchema),
    actionData,
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="reviewId" value={reviewId} />
        <SelectField
          field={fields.evidenceType}
          label={COPY.evidenceType}
          placeholder={COPY.choose}
          options={PROOFING_EVIDENCE_TYPES.map((t) => ({ value: t.value, label: t.label }))}
        />
        <TextField
          field={fields.evidenceLast4}
          label={COPY.evidenceLast4}
          hint={COPY.evidenceHint}
          maxLength={4}
          autoComplete="off"
          className="ds-u-max-width--small"
        />
        <TextArea field={fields.denialReason} label={COPY.denialReason} hint={COPY.denialHint} max={500} />
        <div className="actions">
          <Button name="intent" value="verify" disabled={busy}>
            {COPY.verify}
          </Button>
          <Button name="intent" value="reject" variant="secondary" disabled={busy}>
            {COPY.reject}
          </Button>
        </div>
      </Form>
    </>
  );
}

export default function ManualProofingQueue() {
  const { requests, recent, decided } = useLoaderData<typeof loader>();
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
              <span className="breakable">{r.email}</span> · <span className="nowrap">{r.phone}</span> ·{" "}
              {COPY.requested} {r.createdAt}
            </p>
            {r.note ? (
              <p>
                {COPY.note}: {r.note}
              </p>
            ) : null}
            <DecisionForm reviewId={r.id} />
          </li>
        ))}
      </ul>
      <Table
        id="recent-decisions"
        caption={COPY.recent}
        rows={recent}
        rowKey={(r) => r.id}
        emptyMessage={COPY.noDecisions}
        columns={[
          {
            key: "person",
            header: COPY.person,
            rowHeader: true,
            cell: (r) => `${r.firstName} ${r.lastName} (${r.loginId})`,
          },
          {
            key: "outcome",
            header: COPY.outcome,
            cell: (r) => (r.status === "verified" ? COPY.verified : COPY.rejected),
          },
          {
            key: "evidence",
            header: COPY.evidence,
            cell: (r) =>
              r.status === "verified"
                ? `${evidenceLabel(r.evidenceType)} ending ${r.evidenceLast4 ?? ""}`
                : (r.denialReason ?? ""),
          },
          { key: "by", header: COPY.by, cell: (r) => r.deciderLoginId ?? "" },
          { key: "when", header: COPY.when, cell: (r) => r.decidedAt },
        ]}
      />
    </>
  );
}
