import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getPasswordResetContext, resetPassword } from "~/.server/auth/credentials";
import { clearSessionCookie } from "~/.server/auth/session";
import { getClient } from "~/.server/http";
import { ErrorSummary, flattenErrors, SelectField } from "~/components/form-bits";
import { Alert, Button, LinkButton, TextField } from "~/components/ui";
import { formFields } from "~/lib/forms";
import { SECOND_FACTOR_LABELS } from "~/lib/mfa";
import { PASSWORD_HINT } from "~/lib/password-policy";

const COPY = {
  title: "Choose a new password - CMS.gov | QualityNet",
  heading: "Choose a new password",
  expiredHeading: "This link no longer works",
  expired: "Reset links work once, for one hour. Ask for a new one.",
  askAgain: "Ask for a new link",
  newPassword: "New Password",
  confirmPassword: "Confirm New Password",
  code: "Security Code",
  deviceType: "MFA Device Type",
  codeHint: "Enter a current code from your authenticator app, or one of your recovery codes.",
  submit: "Change Password",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token");
  const reset = await getPasswordResetContext(context.deps, token);
  if (!reset) return { valid: false as const };
  return { valid: true as const, token: token!, loginId: reset.user.loginId, strongTypes: reset.strongTypes };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await formFields(request);
  const result = await resetPassword(context.deps, form.token ?? "", form, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "expired")
      return data({ fieldErrors: { form: result.message ?? COPY.expired } as Record<string, string> }, { status: 410 });
    return data({ fieldErrors: flattenErrors(result.fieldErrors) }, { status: 400 });
  }
  return redirect("/login?reset=1", { headers: { "Set-Cookie": await clearSessionCookie() } });
}

export default function ResetPassword() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
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
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <ErrorSummary errors={result?.fieldErrors} />
      <Form method="post">
        <input type="hidden" name="token" value={loaded.token} />
        <input type="hidden" name="username" autoComplete="username" value={loaded.loginId} />
        <TextField
          label={COPY.newPassword}
          name="newPassword"
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          maxLength={128}
          hint={PASSWORD_HINT}
          error={result?.fieldErrors.newPassword}
        />
        <TextField
          label={COPY.confirmPassword}
          name="confirmPassword"
          type="password"
          autoComplete="new-password"
          required
          error={result?.fieldErrors.confirmPassword}
        />
        {loaded.strongTypes.length > 0 ? (
          // Only strong factors: an emailed code proves no more than the emailed link did.
          <SelectField
            label={COPY.deviceType}
            name="deviceType"
            options={loaded.strongTypes.map((t) => ({ value: t, label: SECOND_FACTOR_LABELS[t] }))}
          />
        ) : null}
        {loaded.strongTypes.length > 0 ? (
          <TextField
            label={COPY.code}
            name="code"
            inputMode="text"
            autoComplete="one-time-code"
            required
            maxLength={40}
            hint={COPY.codeHint}
            error={result?.fieldErrors.code}
          />
        ) : null}
        <Button disabled={busy}>{COPY.submit}</Button>
      </Form>
    </div>
  );
}
