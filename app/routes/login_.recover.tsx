import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { answerChallengeQuestions, challengeQuestionsFor } from "~/.server/auth/challenge-recovery";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, PasswordField } from "~/components/fields";
import { FormActions } from "~/components/ui";
import { EMAIL_CODE_LIMITS } from "~/lib/auth-copy";
import { CHALLENGE_QUESTIONS } from "~/lib/challenge-questions";
import { type FailureCopy, factNumber, wordsFor } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { LoginIdSchema } from "~/lib/schemas";
import { RECOVERY_ANSWER_FIELDS, RecoverWithQuestionsSchema } from "~/lib/sign-in-schemas";
import { formFailure } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Unable to Access Security Code? - CMS.gov | QualityNet",
  heading: "Unable to Access Security Code?",
  intro:
    "Answer your challenge questions. If they match, we will email a One-Time Security Code to the address on your profile.",
  userId: "User ID:",
  submit: "Email My One-Time Security Code",
  cancel: "Back to log in",
  failures: {
    wrong: "One or more answers do not match what you gave when you set up your account.",
    exhausted: (facts) =>
      `You have used all ${factNumber(facts, "limit")} tries for today. Contact the help desk to verify who you are and reset your MFA device.`,
    ...EMAIL_CODE_LIMITS,
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof answerChallengeQuestions>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const parsed = LoginIdSchema.safeParse(new URL(request.url).searchParams.get("userId") ?? "");
  if (!parsed.success) throw redirect("/login");
  const keys = await challengeQuestionsFor(context.deps, parsed.data);
  return { loginId: parsed.data, questions: keys.map((key) => ({ key, text: CHALLENGE_QUESTIONS[key] })) };
}

const FORM_ID = "recover";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: RecoverWithQuestionsSchema });
  if (submission.status !== "success") {
    if (submission.error?.userId) throw redirect("/login");
    return formFailure(FORM_ID, submission, { hideFields: RECOVERY_ANSWER_FIELDS });
  }
  const { loginId } = submission.value;
  const result = await answerChallengeQuestions(context.deps, submission.value, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(
      FORM_ID,
      submission,
      { formErrors: [wordsFor(COPY.failures, result)], hideFields: RECOVERY_ANSWER_FIELDS },
      result.code === "wrong" ? 401 : 429,
    );
  }
  return redirect(`/login?step=2&userId=${encodeURIComponent(loginId)}&device=otc&codeSent=1`);
}

export default function RecoverWithQuestions() {
  const { loginId, questions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/sign-in-schemas").then((m) => m.RecoverWithQuestionsSchema),
    actionData,
  });
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      <p>
        {COPY.userId} <strong>{loginId}</strong>
      </p>
      <ErrorSummary form={form} />
      <Form method="post" action={`/login/recover?userId=${encodeURIComponent(loginId)}`} {...getFormProps(form)}>
        <input type="hidden" name="userId" value={loginId} />
        {questions.map((q) => (
          <PasswordField
            key={q.key}
            label={q.text}
            field={fields[q.key]}
            type="text"
            autoComplete="off"
            required
            maxLength={100}
          />
        ))}
        <FormActions submit={COPY.submit} cancelTo="/login" cancel={COPY.cancel} busy={busy} />
      </Form>
    </div>
  );
}
