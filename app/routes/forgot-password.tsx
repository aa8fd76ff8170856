import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, useActionData, useNavigation } from "react-router";
import { requestPasswordReset } from "~/.server/auth/credentials";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, TextField } from "~/components/fields";
import { Alert, FormActions, LinkButton } from "~/components/ui";
import { tooManyFromNetwork } from "~/lib/auth-copy";
import { type FailureCopy, wordsFor } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { ForgotPasswordSchema } from "~/lib/schemas";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Reset your password - CMS.gov | QualityNet",
  heading: "Reset your password",
  intro:
    "Enter your User ID and the email address on your profile. If they match an account, we will email a link to choose a new password. The link works once, for one hour; you will also need your second factor.",
  userId: "User ID",
  email: "Email Address",
  submit: "Email Me a Reset Link",
  cancel: "Cancel",
  sent: "If the User ID and email address match an account, we have emailed a reset link. It works once, for one hour.",
  back: "Back to log in",
  failures: {
    throttled: tooManyFromNetwork("requests"),
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof requestPasswordReset>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

const FORM_ID = "forgot-password";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: ForgotPasswordSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const result = await requestPasswordReset(context.deps, submission.value, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(FORM_ID, submission, { formErrors: [wordsFor(COPY.failures, result)] }, 429);
  }
  return formSuccess(FORM_ID, submission, { sent: true });
}

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.ForgotPasswordSchema),
    actionData,
  });
  if (actionData && "done" in actionData) {
    return (
      <div className="form-page">
        <h1>{COPY.heading}</h1>
        <Alert variant="success" role="status">
          <p>{COPY.sent}</p>
        </Alert>
        <LinkButton to="/login">{COPY.back}</LinkButton>
      </div>
    );
  }
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <TextField
          label={COPY.userId}
          field={fields.userId}
          autoComplete="username"
          autoCapitalize="characters"
          required
        />
        <TextField label={COPY.email} field={fields.email} type="email" autoComplete="email" required />
        <FormActions submit={COPY.submit} cancelTo="/login" cancel={COPY.cancel} busy={busy} />
      </Form>
    </div>
  );
}
