import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { connectedApplicationsQuery, disconnectApplication } from "~/.server/oidc/grants";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { DisconnectApplicationSchema } from "~/lib/connected-application-schemas";
import { type FailureCopy, failureErrors } from "~/lib/failure-words";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Profile → "Connected Applications" (SPEC 2.9): the programs' applications the
 * user allowed to know who they are, and "Disconnect".
 *
 * Rule: any signed-in user, for their own grants; "Disconnect" is
 * `can(actor, "application.disconnect")` (own account, enrollment finished), asked by the service.
 */

const COPY = {
  title: "Connected Applications - CMS.gov | QualityNet",
  heading: "Connected Applications",
  intro:
    "These applications may sign you in with your portal account. Disconnecting one signs you out of it and stops what it received from working; it asks again the next time you use it.",
  none: "No applications are connected to your account.",
  program: "Program",
  allowed: "Allowed",
  lastUsed: "Last used",
  never: "Not used yet",
  disconnect: "Disconnect",
  disconnectLabel: (application: string) => `Disconnect ${application}`,
  disconnected: (application: string) => `${application} was disconnected.`,
  failures: {
    not_found: "That application is not connected to your account.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof disconnectApplication>>>>,
  back: "Back to Profile",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireSession(context.deps, request);
  const rows = await connectedApplicationsQuery(context.deps, session.user.id);
  const url = new URL(request.url);
  return {
    notice: url.searchParams.get("disconnected"),
    applications: rows.map((r) => ({
      clientId: r.clientId,
      application: r.application,
      program: r.program,
      allowed: formatTime(r.allowedAt),
      lastUsed: r.lastUsedAt ? formatTime(r.lastUsedAt) : null,
    })),
  };
}

const formIdOf = (clientId: string) => `disconnect-${clientId}`;

export async function action({ request, context }: ActionArgs) {
  const session = await requireSession(context.deps, request);
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: DisconnectApplicationSchema });
  const clientId = String(formData.get("clientId") ?? "");
  if (submission.status !== "success") return formFailure(formIdOf(clientId), submission);
  const result = await disconnectApplication(
    context.deps,
    session.actor,
    submission.value.clientId,
    await getClient(context, request),
  );
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request, "/profile/applications");
    return formFailure(formIdOf(clientId), submission, failureErrors(COPY.failures, result));
  }
  throw redirect(`/profile/applications?${new URLSearchParams({ disconnected: result.value.application })}`);
}

export default function ConnectedApplications() {
  const { applications, notice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      {notice ? (
        <Alert variant="success" role="status">
          <p>{COPY.disconnected(notice)}</p>
        </Alert>
      ) : null}
      <p className="lead">{COPY.intro}</p>
      {applications.length === 0 ? (
        <p>{COPY.none}</p>
      ) : (
        <ul className="card-list">
          {applications.map((a) => (
            <li key={a.clientId} className="card">
              <h2 className="card-title">{a.application}</h2>
              <p className="hint">
                {COPY.program} {a.program} · {COPY.allowed} {a.allowed} ·{" "}
                {a.lastUsed ? `${COPY.lastUsed} ${a.lastUsed}` : COPY.never}
              </p>
              <DisconnectForm clientId={a.clientId} application={a.application} actionData={actionData} />
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/profile">{COPY.back}</Link>
      </p>
    </>
  );
}

function DisconnectForm({
  clientId,
  application,
  actionData,
}: {
  clientId: string;
  application: string;
  actionData: unknown;
}) {
  const busy = useNavigation().state === "submitting";
  const [form] = useSchemaForm({
    id: formIdOf(clientId),
    schema: () => import("~/lib/connected-application-schemas").then((m) => m.DisconnectApplicationSchema),
    actionData,
  });
  return (
    <Form method="post" {...getFormProps(form)}>
      <ErrorSummary form={form} />
      <input type="hidden" name="intent" value="disconnect" />
      <input type="hidden" name="clientId" value={clientId} />
      <Button variant="secondary" disabled={busy} aria-label={COPY.disconnectLabel(application)}>
        {COPY.disconnect}
      </Button>
    </Form>
  );
}
