import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { type Actor, can } from "~/.server/access/authorize";
import { issueRecoveryCodes } from "~/.server/auth/mfa";
import { rotateSession } from "~/.server/auth/session";
import { completeEnrollment } from "~/.server/proofing/enrollment";
import { ErrorSummary } from "~/components/fields";
import { RecoveryCodes } from "~/components/recovery-codes";
import { Alert, Button } from "~/components/ui";
import { FinishEnrollmentSchema } from "~/lib/enrollment-schemas";
import { useSchemaForm } from "~/lib/forms";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse, requireEnrollee } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Finish enrollment - CMS.gov | QualityNet",
  heading: "Almost done: recovery codes",
  deviceAdded: "Your MFA device is registered.",
  intro: "Recovery codes let you in if you lose your device. Create them now; they are shown only once.",
  create: "Create My Recovery Codes",
  recreate: "Create New Recovery Codes",
  existing: "You already created recovery codes. Creating new ones replaces them.",
  done: "I Have Saved My Codes: Finish Enrollment",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const { state, session } = await requireEnrollee(context.deps, request, { verified: true });
  if (!state.hasDevice) throw redirect("/enrollment/mfa");
  if (state.completed) throw redirect("/welcome");
  // Rule: recovery codes only in the session that bound the device, else a fresh strong factor (step up).
  mayIssueCodes(context.deps, session, request);
  return { hasCodes: state.hasRecoveryCodes };
}

/** `can(actor, "recovery_codes.issue")`: a session that did not bind the device steps up first. */
function mayIssueCodes(deps: { now: () => Date }, session: { actor: Actor }, request: Request) {
  const decision = can(session.actor, "recovery_codes.issue", {}, deps.now());
  if (!decision.ok) refuse(decision, request, "/enrollment/finish");
}

export async function action({ request, context }: ActionArgs) {
  const { user, state, session } = await requireEnrollee(context.deps, request, { verified: true });
  if (!state.hasDevice) throw redirect("/enrollment/mfa");
  // Recovery codes are issued here only during enrollment; afterwards replacing them
  // takes a fresh second factor on the profile, so a stolen session cannot mint them.
  if (state.completed) throw redirect("/welcome");
  const submission = parseWithZod(await request.formData(), { schema: FinishEnrollmentSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  if (submission.value.intent === "done" && state.hasRecoveryCodes) {
    await completeEnrollment(context.deps, user);
    // Enrollment complete: a new session id (ASVS 3.2.1).
    const rotated = await rotateSession(context.deps, session);
    throw redirect("/welcome?enrolled=1", rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined);
  }
  const issued = await issueRecoveryCodes(context.deps, session.actor, user, await getClient(context, request));
  if (!issued.ok) return refuse(issued.refusal, request, "/enrollment/finish");
  return formSuccess(FORM_ID, submission, { codes: issued.value, loginId: user.loginId });
}

const FORM_ID = "finish-enrollment";

export default function FinishEnrollment() {
  const { hasCodes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.FinishEnrollmentSchema),
    actionData,
  });
  const done = actionData && "done" in actionData ? actionData.done : null;
  return (
    <div className="form-page">
      <p className="hint">New User Enrollment</p>
      <h1>{COPY.heading}</h1>
      <Alert variant="success" role="status">
        <p>{COPY.deviceAdded}</p>
      </Alert>
      <ErrorSummary form={form} />
      {done ? (
        <>
          <RecoveryCodes codes={done.codes} loginId={done.loginId} />
          <Form method="post" {...getFormProps(form)}>
            <input type="hidden" name="intent" value="done" />
            <Button disabled={busy}>{COPY.done}</Button>
          </Form>
        </>
      ) : (
        <Form method="post" {...getFormProps(form)}>
          <p>{COPY.intro}</p>
          {hasCodes ? <p className="hint">{COPY.existing}</p> : null}
          <input type="hidden" name="intent" value="create" />
          <Button disabled={busy}>{hasCodes ? COPY.recreate : COPY.create}</Button>
        </Form>
      )}
    </div>
  );
}
