import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { type FormEvent, useState } from "react";
import { strongFactorsOf } from "~/.server/auth/mfa";
import { stepUp } from "~/.server/auth/step-up";
import { requireSession } from "~/.server/guards";
import { getClient, safeRedirectPath } from "~/.server/http";
import { ErrorSummary, SelectField } from "~/components/form-bits";
import { Alert, Button, LinkButton, TextField } from "~/components/ui";
import { formFields } from "~/lib/forms";
import { SECOND_FACTOR_LABELS, STRONG_TYPES } from "~/lib/mfa";
import { useHydrated } from "~/lib/use-hydrated";
import { describeWebauthnError, getAssertion } from "~/lib/webauthn-client";

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
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Rule: any signed-in user, for their own session.
  const session = await requireSession(context.deps, request);
  const url = new URL(request.url);
  return {
    loginId: session.user.loginId,
    redirectTo: safeRedirectPath(url.searchParams.get("redirectTo")),
    types: await strongFactorsOf(context.deps, session.user.id),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(context.deps, request);
  const form = await formFields(request);
  const type = form.deviceType ?? "";
  const redirectTo = safeRedirectPath(form.redirectTo);
  if (!(STRONG_TYPES as readonly string[]).includes(type)) {
    return data(
      {
        fieldErrors: { deviceType: "Choose Authenticator App, Security Key or Recovery Code." } as Record<
          string,
          string
        >,
        deviceType: type,
      },
      { status: 400 },
    );
  }
  const code = type === "webauthn" ? (form.assertion ?? "") : (form.code ?? "");
  if (!code.trim())
    return data(
      { fieldErrors: { code: "Enter the Security Code." } as Record<string, string>, deviceType: type },
      { status: 400 },
    );
  const result = await stepUp(context.deps, session, { type, code }, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "expired") throw redirect("/login?expired=1");
    return data(
      {
        fieldErrors: { code: result.fieldErrors?.code?.[0] ?? "That code is not right." } as Record<string, string>,
        deviceType: type,
      },
      { status: 400 },
    );
  }
  throw redirect(redirectTo, { headers: { "Set-Cookie": result.value.setCookie } });
}

export default function StepUp() {
  const { loginId, redirectTo, types } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const hydrated = useHydrated();
  const submit = useSubmit();
  const [keyError, setKeyError] = useState<string | null>(null);

  /** With JavaScript: a security key answers instead of a typed code. */
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    const form = new FormData(event.currentTarget);
    if (form.get("deviceType") !== "webauthn") return;
    event.preventDefault();
    setKeyError(null);
    try {
      form.set("assertion", await getAssertion(loginId));
      submit(form, { method: "post" });
    } catch (error) {
      setKeyError(describeWebauthnError(error));
    }
  }

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
          <ErrorSummary errors={result?.fieldErrors} />
          {keyError ? (
            <Alert variant="error" role="alert">
              <p>{keyError}</p>
            </Alert>
          ) : null}
          <Form method="post" onSubmit={(e) => void onSubmit(e)}>
            <input type="hidden" name="redirectTo" value={redirectTo} />
            <SelectField
              label={COPY.deviceType}
              name="deviceType"
              defaultValue={result?.deviceType ?? types[0]}
              options={types.map((t) => ({ value: t, label: SECOND_FACTOR_LABELS[t] }))}
              hint={types.includes("webauthn") ? (hydrated ? COPY.keyHint : COPY.keyNeedsScript) : undefined}
              error={result?.fieldErrors.deviceType}
            />
            <TextField
              label={COPY.code}
              name="code"
              inputMode="text"
              autoComplete="one-time-code"
              maxLength={40}
              hint={COPY.codeHint}
              autoFocus
              error={result?.fieldErrors.code}
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
