import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, useActionData, useNavigation } from "react-router";
import { remindUserId } from "~/.server/auth/credentials";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, TextField } from "~/components/fields";
import { Alert, FormActions, LinkButton } from "~/components/ui";
import { tooManyFromNetwork } from "~/lib/auth-copy";
import { type FailureCopy, wordsFor } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { ForgotUserIdSchema } from "~/lib/schemas";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Forgot User ID - CMS.gov | QualityNet",
  heading: "Forgot User ID?",
  intro: "Enter the email address on your profile. If it belongs to an account, we will email its User ID there.",
  email: "Email Address",
  submit: "Email My User ID",
  cancel: "Cancel",
  sent: "If that address belongs to an account, we have emailed its User ID. Check your inbox and spam folder.",
  back: "Back to log in",
  failures: {
    throttled: tooManyFromNetwork("requests"),
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof remindUserId>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

const FORM_ID = "forgot-user-id";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: ForgotUserIdSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const result = await remindUserId(context.deps, submission.value, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(FORM_ID, submission, { formErrors: [wordsFor(COPY.failures, result)] }, 429);
  }
  return formSuccess(FORM_ID, submission, { sent: true });
}

export default function ForgotUserId() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.ForgotUserIdSchema),
    actionData,
  });
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      {actionData && "done" in actionData ? (
        <>
          <Alert variant="success" role="status">
            <p>{COPY.sent}</p>
          </Alert>
          <LinkButton to="/login">{COPY.back}</LinkButton>
        </>
      ) : (
        <>
          <p>{COPY.intro}</p>
          <ErrorSummary form={form} />
          <Form method="post" {...getFormProps(form)}>
            <TextField label={COPY.email} field={fields.email} type="email" autoComplete="email" required />
            <FormActions submit={COPY.submit} cancelTo="/login" cancel={COPY.cancel} busy={busy} />
          </Form>
        </>
      )}
    </div>
  );
}
