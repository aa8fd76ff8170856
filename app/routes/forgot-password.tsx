import { type ActionFunctionArgs, data, type MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { requestPasswordReset } from "~/.server/auth/credentials";
import { getClient } from "~/.server/http";
import { ErrorSummary } from "~/components/form-bits";
import { Alert, FormActions, LinkButton, TextField } from "~/components/ui";
import { parseForm } from "~/lib/forms";
import { EmailSchema, LoginIdSchema } from "~/lib/schemas";

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
};

const Schema = z.object({ userId: LoginIdSchema, email: EmailSchema });

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = parseForm(Schema, await request.formData());
  if (!parsed.ok) return data({ sent: false, fieldErrors: parsed.fieldErrors, values: parsed.values }, { status: 400 });
  const result = await requestPasswordReset(
    context.deps,
    { loginId: parsed.value.userId, email: parsed.value.email },
    await getClient(context, request),
  );
  if (!result.ok)
    return data(
      {
        sent: false,
        fieldErrors: { form: result.message ?? "" } as Record<string, string>,
        values: { userId: parsed.value.userId, email: parsed.value.email },
      },
      { status: 429 },
    );
  return { sent: true, fieldErrors: undefined, values: {} as Record<string, string> };
}

export default function ForgotPassword() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  if (result?.sent) {
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
      <ErrorSummary errors={result?.fieldErrors} />
      <Form method="post">
        <TextField
          label={COPY.userId}
          name="userId"
          autoComplete="username"
          autoCapitalize="characters"
          required
          defaultValue={result?.values.userId}
          error={result?.fieldErrors?.userId}
        />
        <TextField
          label={COPY.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={result?.values.email}
          error={result?.fieldErrors?.email}
        />
        <FormActions submit={COPY.submit} cancelTo="/login" cancel={COPY.cancel} busy={busy} />
      </Form>
    </div>
  );
}
