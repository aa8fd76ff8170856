import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { strongFactorsOf } from "~/.server/auth/mfa";
import { stepUp } from "~/.server/auth/step-up";
import type { CodeOf } from "~/.server/result";
import { safeRedirectPath } from "~/.server/safe-redirect";
import { ErrorSummary, PasswordField, SelectField } from "~/components/fields";
import { Alert, Button, LinkButton } from "~/components/ui";
import { mfaLockedMessage } from "~/lib/auth-copy";
import { type FailureCopy, failureErrors } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { SECOND_FACTOR_LABELS } from "~/lib/mfa";
import { StepUpSchema } from "~/lib/sign-in-schemas";
import { useHydrated } from "~/lib/use-hydrated";
import { useSecurityKeySubmit } from "~/lib/use-security-key-submit";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Confirm it is you - CMS.gov | QualityNet",
  heading: "Confirm it is you",
  intro:
    "This action needs a code from your authenticator app or your security key, or one of your recovery codes. A code emailed to you, or your challenge questions, are not enough for it.",
  why: "Once confirmed, you will not be asked again for 15 minutes.",
  deviceType: "MFA Device Type",
  code: "Security Code",
  codeHint: "The 6-digit code your app shows now, or a recovery code.",
  keyHint: "For Security Key, select Continue and use your key when the browser asks.",
  keyNeedsScript:
    "Security Key needs JavaScript, which is off in this browser: use your authenticator app or a recovery code.",
  submit: "Continue",
  cancel: "Cancel",
  none: "Your account has no authenticator app, security key or recovery codes. Contact the help desk to verify who you are and set one up.",
  failures: {
    invalid: "That code is not right. Enter the code your authenticator app shows now, or a recovery code.",
    mfa_locked: mfaLockedMessage,
    expired: "Your session ended. Log in again.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof stepUp>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: any signed-in user, for their own session.
  const session = await requireSession(context.deps, request);
  const url = new URL(request.url);
  return {
    loginId: session.user.loginId,
    redirectTo: safeRedirectPath(url.searchParams.get("redirectTo")),
    types: await strongFactorsOf(context.deps, session.user.id),
  };
}

const FORM_ID = "step-up";

export async function action({ request, context }: ActionArgs) {
  const session = await requireSession(context.deps, request);
  const submission = parseWithZod(await request.formData(), { schema: StepUpSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const redirectTo = safeRedirectPath(submission.value.redirectTo);
  const result = await stepUp(context.deps, session, submission.value, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "expired") throw redirect("/login?expired=1");
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(FORM_ID, submission, failureErrors(COPY.failures, result));
  }
  throw redirect(redirectTo, { headers: { "Set-Cookie": result.value.setCookie } });
}

export default function StepUp() {
  const { loginId, redirectTo, types } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/sign-in-schemas").then((m) => m.StepUpSchema),
    actionData,
    defaultValue: { deviceType: types[0], redirectTo },
  });
  const hydrated = useHydrated();

  const { keyError, onSubmit } = useSecurityKeySubmit(loginId, form.onSubmit);

  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <p>{COPY.why}</p>
      {types.length === 0 ? (
        <Alert variant="warning">
          <p>{COPY.none}</p>
        </Alert>
      ) : (
        <>
          <ErrorSummary form={form} />
          {keyError ? (
            <Alert variant="error" role="alert">
              <p>{keyError}</p>
            </Alert>
          ) : null}
          <Form method="post" {...getFormProps(form)} onSubmit={onSubmit}>
            <input type="hidden" name="redirectTo" value={redirectTo} />
            <SelectField
              label={COPY.deviceType}
              field={fields.deviceType}
              options={types.map((t) => ({ value: t, label: SECOND_FACTOR_LABELS[t] }))}
              hint={types.includes("webauthn") ? (hydrated ? COPY.keyHint : COPY.keyNeedsScript) : undefined}
            />
            <PasswordField
              label={COPY.code}
              field={fields.code}
              type="text"
              inputMode="text"
              autoComplete="one-time-code"
              maxLength={40}
              hint={COPY.codeHint}
              autoFocus
            />
            <div className="actions">
              <Button disabled={busy}>{COPY.submit}</Button>
              <LinkButton to="/welcome" variant="secondary">
                {COPY.cancel}
              </LinkButton>
            </div>
          </Form>
        </>
      )}
      <p>
        <Link to="/profile/devices">Your MFA devices</Link>
      </p>
    </div>
  );
}
