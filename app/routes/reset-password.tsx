import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { getPasswordResetContext, resetPassword } from "~/.server/auth/credentials";
import { clearSessionCookie } from "~/.server/auth/session";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, NewPasswordFields, PasswordField, SelectField } from "~/components/fields";
import { Alert, Button, LinkButton } from "~/components/ui";
import { ResetPasswordSchema } from "~/lib/account-schemas";
import { mfaLockedMessage, securityKeyNeedsScript, tooManyFromNetwork } from "~/lib/auth-copy";
import { type FailureCopy, failureErrors } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { SECOND_FACTOR_LABELS, type SecondFactorType } from "~/lib/mfa";
import { PASSWORD_PROBLEMS } from "~/lib/password-policy";
import { useHydrated } from "~/lib/use-hydrated";
import { useSecurityKeySubmit } from "~/lib/use-security-key-submit";
import { formFailure } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Choose a new password - CMS.gov | QualityNet",
  heading: "Choose a new password",
  expiredHeading: "This link no longer works",
  expired: "Reset links work once, for one hour. Ask for a new one.",
  askAgain: "Ask for a new link",
  code: "Security Code",
  deviceType: "MFA Device Type",
  codeHint: "Enter a current code from your authenticator app, or one of your recovery codes.",
  keyHint: "For Security Key, select Change Password and use your key when the browser asks.",
  submit: "Change Password",
  failures: {
    throttled: tooManyFromNetwork("attempts"),
    expired: "This reset link has expired or was already used. Ask for a new one.",
    ...PASSWORD_PROBLEMS,
    key_needs_script: (facts) => securityKeyNeedsScript(String(facts.strongTypes).split(",") as SecondFactorType[]),
    key_not_verified: "Your security key's answer could not be verified. Try again, or use another MFA Device Type.",
    wrong_code:
      "The security code is not correct. Enter a current code from your authenticator app, or a recovery code.",
    mfa_locked: mfaLockedMessage,
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof resetPassword>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const token = new URL(request.url).searchParams.get("token");
  const reset = await getPasswordResetContext(context.deps, token);
  if (!reset) return { valid: false as const };
  return {
    valid: true as const,
    token: token!,
    loginId: reset.user.loginId,
    strongTypes: reset.strongTypes,
    // Shown until the page's script runs (and for good without JavaScript).
    keyNeedsScript: reset.strongTypes.includes("webauthn") ? securityKeyNeedsScript(reset.strongTypes) : null,
  };
}

const FORM_ID = "reset-password";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: ResetPasswordSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const result = await resetPassword(context.deps, submission.value, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(
      FORM_ID,
      submission,
      failureErrors(COPY.failures, result),
      result.code === "expired" ? 410 : 400,
    );
  }
  return redirect("/login?reset=1", { headers: { "Set-Cookie": await clearSessionCookie() } });
}

export default function ResetPassword() {
  const loaded = useLoaderData<typeof loader>();
  if (!loaded.valid) {
    return (
      <div className="form-page">
        <h1>{COPY.expiredHeading}</h1>
        <Alert variant="warning">
          <p>{COPY.expired}</p>
        </Alert>
        <LinkButton to="/forgot-password">{COPY.askAgain}</LinkButton>
      </div>
    );
  }
  return <ResetForm {...loaded} />;
}

function ResetForm({
  token,
  loginId,
  strongTypes,
  keyNeedsScript,
}: {
  token: string;
  loginId: string;
  strongTypes: SecondFactorType[];
  keyNeedsScript: string | null;
}) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/account-schemas").then((m) => m.ResetPasswordSchema),
    actionData,
  });
  const hydrated = useHydrated();
  const onlyKey = strongTypes.length === 1 && strongTypes[0] === "webauthn";

  const { keyError, onSubmit } = useSecurityKeySubmit(loginId, form.onSubmit);

  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <ErrorSummary form={form} />
      {keyError ? (
        <Alert variant="error" role="alert">
          <p>{keyError}</p>
        </Alert>
      ) : null}
      <Form method="post" {...getFormProps(form)} onSubmit={onSubmit}>
        <input type="hidden" name="token" value={token} />
        <input type="hidden" name="username" autoComplete="username" value={loginId} />
        <NewPasswordFields newPassword={fields.newPassword} confirmPassword={fields.confirmPassword} />
        {strongTypes.length > 0 ? (
          // Only strong factors: an emailed code proves no more than the emailed link did.
          <SelectField
            label={COPY.deviceType}
            field={fields.deviceType}
            options={strongTypes.map((t) => ({ value: t, label: SECOND_FACTOR_LABELS[t] }))}
            hint={keyNeedsScript ? (hydrated ? COPY.keyHint : keyNeedsScript) : undefined}
          />
        ) : null}
        {strongTypes.length > 0 && !onlyKey ? (
          <PasswordField
            label={COPY.code}
            field={fields.code}
            type="text"
            inputMode="text"
            autoComplete="one-time-code"
            required
            maxLength={40}
            hint={COPY.codeHint}
          />
        ) : null}
        <Button disabled={busy}>{COPY.submit}</Button>
      </Form>
    </div>
  );
}
