import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { completeFirstSignIn } from "~/.server/auth/credentials";
import { firstSignInNeeds } from "~/.server/auth/session";
import { requireSession } from "~/.server/guards";
import { getClient } from "~/.server/http";
import { ChallengeQuestionFields } from "~/components/challenge-fields";
import { ErrorSummary, flattenErrors } from "~/components/form-bits";
import { Button, TextField } from "~/components/ui";
import { formFields, keepInput } from "~/lib/forms";
import { PASSWORD_HINT } from "~/lib/password-policy";

const COPY = {
  title: "Set up your account - CMS.gov | QualityNet",
  heading: "Set up your account",
  intro:
    "Before you continue, choose your own password and three challenge questions. The questions help you get back in if you cannot use your security device.",
  passwordHeading: "Choose a new password",
  newPassword: "New Password",
  confirmPassword: "Confirm New Password",
  questionsHeading: "Choose your challenge questions",
  questionsHint: "Pick answers you will remember exactly; case and punctuation do not matter.",
  submit: "Save and Continue",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(context.deps, request, { allowIncompleteSetup: true });
  const needs = await firstSignInNeeds(context.deps, session.user.id);
  if (!needs.password && !needs.questions) throw redirect("/welcome");
  return { needs, loginId: session.user.loginId };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(context.deps, request, { allowIncompleteSetup: true });
  const needs = await firstSignInNeeds(context.deps, session.user.id);
  const form = await formFields(request);
  const result = await completeFirstSignIn(
    context.deps,
    session.user,
    form,
    await getClient(context, request),
    needs,
    session,
  );
  if (!result.ok)
    return data({ fieldErrors: flattenErrors(result.fieldErrors), values: keepInput(form) }, { status: 400 });
  return redirect("/welcome", { headers: { "Set-Cookie": result.value.setCookie } });
}

export default function FirstSignIn() {
  const { needs, loginId } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <ErrorSummary errors={result?.fieldErrors} />
      <Form method="post">
        <input type="hidden" name="username" autoComplete="username" value={loginId} />
        {needs.password ? (
          <section aria-labelledby="pw-heading">
            <h2 id="pw-heading">{COPY.passwordHeading}</h2>
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
          </section>
        ) : null}
        {needs.questions ? (
          <section aria-labelledby="q-heading">
            <h2 id="q-heading">{COPY.questionsHeading}</h2>
            <p className="hint">{COPY.questionsHint}</p>
            <ChallengeQuestionFields errors={result?.fieldErrors} values={result?.values} />
          </section>
        ) : null}
        <div className="actions">
          <Button disabled={busy}>{COPY.submit}</Button>
        </div>
      </Form>
    </div>
  );
}
