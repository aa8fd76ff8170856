import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { completeFirstSignIn } from "~/.server/auth/credentials";
import { firstSignInNeeds } from "~/.server/auth/session";
import type { CodeOf } from "~/.server/result";
import { ChallengeQuestionFields } from "~/components/challenge-fields";
import { ErrorSummary, NewPasswordFields } from "~/components/fields";
import { Button } from "~/components/ui";
import { firstSignInSchema } from "~/lib/account-schemas";
import { type FailureCopy, failureErrors } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { PASSWORD_PROBLEMS } from "~/lib/password-policy";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Set up your account - CMS.gov | QualityNet",
  heading: "Set up your account",
  intro:
    "Before you continue, choose your own password and three challenge questions. The questions help you get back in if you cannot use your security device.",
  passwordHeading: "Choose a new password",
  questionsHeading: "Choose your challenge questions",
  questionsHint: "Pick answers you will remember exactly; case and punctuation do not matter.",
  submit: "Save and Continue",
  failures: {
    ...PASSWORD_PROBLEMS,
    same_as_temporary: "Choose a new password, not your temporary one.",
    questions_missing: "Choose your challenge questions.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof completeFirstSignIn>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireSession(context.deps, request, { allowIncompleteSetup: true });
  const needs = await firstSignInNeeds(context.deps, session.user.id);
  if (!needs.password && !needs.questions) throw redirect("/welcome");
  return { needs, loginId: session.user.loginId };
}

const FORM_ID = "first-sign-in";

export async function action({ request, context }: ActionArgs) {
  const session = await requireSession(context.deps, request, { allowIncompleteSetup: true });
  const needs = await firstSignInNeeds(context.deps, session.user.id);
  const submission = parseWithZod(await request.formData(), { schema: firstSignInSchema(needs) });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const result = await completeFirstSignIn(
    context.deps,
    session.user,
    submission.value,
    await getClient(context, request),
    needs,
    session,
  );
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(FORM_ID, submission, failureErrors(COPY.failures, result));
  }
  return redirect("/welcome", { headers: { "Set-Cookie": result.value.setCookie } });
}

export default function FirstSignIn() {
  const { needs, loginId } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/account-schemas").then((m) => m.firstSignInSchema(needs)),
    actionData,
  });
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="username" autoComplete="username" value={loginId} />
        {needs.password ? (
          <section aria-labelledby="pw-heading">
            <h2 id="pw-heading">{COPY.passwordHeading}</h2>
            <NewPasswordFields newPassword={fields.newPassword} confirmPassword={fields.confirmPassword} />
          </section>
        ) : null}
        {needs.questions ? (
          <section aria-labelledby="q-heading">
            <h2 id="q-heading">{COPY.questionsHeading}</h2>
            <p className="hint">{COPY.questionsHint}</p>
            <ChallengeQuestionFields fields={fields} />
          </section>
        ) : null}
        <div className="actions">
          <Button disabled={busy}>{COPY.submit}</Button>
        </div>
      </Form>
    </div>
  );
}
