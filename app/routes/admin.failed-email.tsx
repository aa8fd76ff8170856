import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import {
  type FailedEmailSource,
  listFailedEmail,
  type ResendError,
  resendFailedEmail,
} from "~/.server/mail/failed-email";
import { FAILED_LOGOUTS_SHOWN } from "~/.server/oidc/backchannel";
import { Table } from "~/components/ds-table";
import { ErrorSummary } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { ResendEmailSchema } from "~/lib/admin-schemas";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration, Failed email (SPEC 2.8): emails the queue gave up on (dead
 * letters) and outbox rows that could not be queued after 10 attempts, each
 * with Resend (exactly once: see `app/.server/mail/failed-email.ts`); and
 * back-channel logout tokens an application never accepted (read only: the
 * session they announced has ended; the application's owner is to be told).
 * Rule: the page, `can(actor, "admin.read")` (Help Desk Administrator, strong
 * session); Resend, `can(actor, "admin.manage")` (a strong factor from the last
 * 15 minutes). Others get a 404.
 */

const COPY = {
  title: "Failed email - Administration - CMS.gov | QualityNet",
  heading: "Failed email",
  intro:
    "Emails that never reached their recipient. Resend puts the original message back on the queue under the same key, so the person gets it once.",
  deadCaption: "Undeliverable after every retry",
  retiredCaption: "Could not be handed to the queue after 10 attempts",
  logoutCaption: (n: number, limited: boolean) =>
    `Application sign-outs never delivered (${limited ? `newest ${n}` : n}): the application may still show the person signed in`,
  application: "Application",
  none: "None.",
  recipient: "Recipient",
  template: "Template",
  subject: "Subject",
  lastError: "Last error",
  attempts: "Attempts",
  when: "When",
  key: "Key",
  created: "Created",
  actions: "Actions",
  resend: "Resend",
  sealed: "sealed",
  notKept: "Not kept",
  resent: "Resent. The email is back on the queue.",
  /** Why Resend did nothing (`resendFailedEmail`'s failures); "not kept" says it by where the email failed. */
  problem: {
    not_failed: "That email is no longer failed: someone resent it, or it was sent.",
    not_kept: (source: FailedEmailSource) =>
      source === "dead_letter"
        ? "That email failed before messages were kept, so it cannot be resent."
        : "That email's message is no longer kept, so it cannot be resent.",
  } satisfies Record<ResendError, string | ((source: FailedEmailSource) => string)>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  const { deadLetters, retired, logouts } = await listFailedEmail(context.deps);
  const shape = (r: (typeof deadLetters)[number]) => ({ ...r, at: formatTime(r.at) });
  return {
    logoutsLimited: logouts.length === FAILED_LOGOUTS_SHOWN,
    logouts: logouts.map((r) => ({
      id: r.id,
      application: r.application ?? r.clientId,
      lastError: r.lastError,
      attempts: r.attempts,
      at: r.failedAt ? formatTime(r.failedAt) : "",
    })),
    resent: new URL(request.url).searchParams.has("resent"),
    deadLetters: deadLetters.map(shape),
    retired: retired.map(shape),
  };
}

export async function action({ request, context }: ActionArgs) {
  // Rule: admin.manage (a strong factor from the last 15 minutes), asked again by the service.
  const session = await requireCapability(
    context.deps,
    request,
    "admin.manage",
    {},
    { returnTo: "/admin/failed-email" },
  );
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: ResendEmailSchema });
  const formId = resendFormId(String(formData.get("idempotencyKey") ?? ""));
  if (submission.status !== "success") return formFailure(formId, submission);
  const result = await resendFailedEmail(context.deps, session.actor, submission.value);
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request, "/admin/failed-email");
    const problem =
      result.code === "not_kept" ? COPY.problem.not_kept(submission.value.source) : COPY.problem[result.code];
    return formFailure(formId, submission, { formErrors: [problem] }, 409);
  }
  throw redirect("/admin/failed-email?resent=1");
}

const resendFormId = (key: string) => `resend-${key}`;

function ResendForm({ source, idempotencyKey }: { source: string; idempotencyKey: string }) {
  const busy = useNavigation().state === "submitting";
  const actionData = useActionData<typeof action>();
  const [form] = useSchemaForm({
    id: resendFormId(idempotencyKey),
    schema: () => import("~/lib/admin-schemas").then((m) => m.ResendEmailSchema),
    actionData,
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="source" value={source} />
        <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
        <Button variant="secondary" disabled={busy}>
          {COPY.resend}
        </Button>
      </Form>
    </>
  );
}

type Row = ReturnType<typeof useLoaderData<typeof loader>>["deadLetters"][number];

export default function FailedEmail() {
  const { deadLetters, retired, resent, logouts, logoutsLimited } = useLoaderData<typeof loader>();
  const resend = (r: Row) =>
    r.resendable ? <ResendForm source={r.source} idempotencyKey={r.idempotencyKey} /> : COPY.notKept;
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      {resent ? (
        <Alert variant="success" role="status">
          <p>{COPY.resent}</p>
        </Alert>
      ) : null}
      <Table
        id="dead-letters"
        caption={`${COPY.deadCaption} (${deadLetters.length})`}
        rows={deadLetters}
        rowKey={(r) => r.idempotencyKey}
        emptyMessage={COPY.none}
        columns={[
          { key: "recipient", header: COPY.recipient, rowHeader: true, cell: (r) => r.recipient ?? COPY.sealed },
          { key: "template", header: COPY.template, cell: (r) => r.template },
          { key: "subject", header: COPY.subject, cell: (r) => r.subject ?? "" },
          { key: "error", header: COPY.lastError, cell: (r) => r.lastError ?? "" },
          { key: "attempts", header: COPY.attempts, cell: (r) => r.attempts },
          { key: "when", header: COPY.when, cell: (r) => r.at },
          { key: "actions", header: COPY.actions, cell: resend },
        ]}
      />
      <Table
        id="retired-outbox"
        caption={`${COPY.retiredCaption} (${retired.length})`}
        rows={retired}
        rowKey={(r) => r.idempotencyKey}
        emptyMessage={COPY.none}
        columns={[
          { key: "template", header: COPY.template, rowHeader: true, cell: (r) => r.template },
          { key: "recipient", header: COPY.recipient, cell: (r) => r.recipient ?? COPY.sealed },
          { key: "key", header: COPY.key, cell: (r) => <code>{r.idempotencyKey}</code> },
          { key: "created", header: COPY.created, cell: (r) => r.at },
          { key: "attempts", header: COPY.attempts, cell: (r) => r.attempts },
          { key: "actions", header: COPY.actions, cell: resend },
        ]}
      />
      <Table
        id="failed-logouts"
        caption={COPY.logoutCaption(logouts.length, logoutsLimited)}
        rows={logouts}
        rowKey={(r) => String(r.id)}
        emptyMessage={COPY.none}
        columns={[
          { key: "application", header: COPY.application, rowHeader: true, cell: (r) => r.application },
          { key: "error", header: COPY.lastError, cell: (r) => r.lastError ?? "" },
          { key: "attempts", header: COPY.attempts, cell: (r) => r.attempts },
          { key: "when", header: COPY.when, cell: (r) => r.at },
        ]}
      />
    </>
  );
}
