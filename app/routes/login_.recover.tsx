import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { answerChallengeQuestions, challengeQuestionsFor } from "~/.server/auth/challenge-recovery";
import { getClient } from "~/.server/http";
import { Alert, FormActions, TextField } from "~/components/ui";
import { CHALLENGE_QUESTIONS } from "~/lib/challenge-questions";
import { formFields } from "~/lib/forms";
import { LoginIdSchema } from "~/lib/schemas";

const COPY = {
  title: "Unable to Access Security Code? - CMS.gov | QualityNet",
  heading: "Unable to Access Security Code?",
  intro:
    "Answer your challenge questions. If they match, we will email a One-Time Security Code to the address on your profile.",
  userId: "User ID:",
  submit: "Email My One-Time Security Code",
  cancel: "Back to log in",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const parsed = LoginIdSchema.safeParse(new URL(request.url).searchParams.get("userId") ?? "");
  if (!parsed.success) throw redirect("/login");
  const keys = await challengeQuestionsFor(context.deps, parsed.data);
  return { loginId: parsed.data, questions: keys.map((key) => ({ key, text: CHALLENGE_QUESTIONS[key] })) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await formFields(request);
  const parsed = LoginIdSchema.safeParse(form.userId ?? "");
  if (!parsed.success) throw redirect("/login");
  const result = await answerChallengeQuestions(context.deps, parsed.data, form, await getClient(context, request));
  if (!result.ok) return data({ error: result.message ?? "" }, { status: result.code === "wrong" ? 401 : 429 });
  return redirect(`/login?step=2&userId=${encodeURIComponent(parsed.data)}&device=otc&codeSent=1`);
}

export default function RecoverWithQuestions() {
  const { loginId, questions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      <p>
        {COPY.userId} <strong>{loginId}</strong>
      </p>
      {result?.error ? (
        <Alert variant="error" role="alert">
          <p>{result.error}</p>
        </Alert>
      ) : null}
      <Form method="post" action={`/login/recover?userId=${encodeURIComponent(loginId)}`}>
        <input type="hidden" name="userId" value={loginId} />
        {questions.map((q) => (
          <TextField key={q.key} label={q.text} name={q.key} autoComplete="off" required maxLength={100} />
        ))}
        <FormActions submit={COPY.submit} cancelTo="/login" cancel={COPY.cancel} busy={busy} />
      </Form>
    </div>
  );
}
