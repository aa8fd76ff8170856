import { type ActionFunctionArgs, data, type MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { remindUserId } from "~/.server/auth/credentials";
import { getClient } from "~/.server/http";
import { Alert, FormActions, LinkButton, TextField } from "~/components/ui";
import { parseForm } from "~/lib/forms";
import { EmailSchema } from "~/lib/schemas";

const COPY = {
  title: "Forgot User ID - CMS.gov | QualityNet",
  heading: "Forgot User ID?",
  intro: "Enter the email address on your profile. If it belongs to an account, we will email its User ID there.",
  email: "Email Address",
  submit: "Email My User ID",
  cancel: "Cancel",
  sent: "If that address belongs to an account, we have emailed its User ID. Check your inbox and spam folder.",
  back: "Back to log in",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = parseForm(z.object({ email: EmailSchema }), await request.formData());
  if (!parsed.ok)
    return data({ sent: false, error: parsed.fieldErrors.email, value: parsed.values.email ?? "" }, { status: 400 });
  const result = await remindUserId(context.deps, parsed.value.email, await getClient(context, request));
  if (!result.ok) return data({ sent: false, error: result.message, value: parsed.value.email }, { status: 429 });
  return { sent: true, error: undefined, value: "" };
}

export default function ForgotUserId() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      {result?.sent ? (
        <>
          <Alert variant="success" role="status">
            <p>{COPY.sent}</p>
          </Alert>
          <LinkButton to="/login">{COPY.back}</LinkButton>
        </>
      ) : (
        <>
          <p>{COPY.intro}</p>
          <Form method="post">
            <TextField
              label={COPY.email}
              name="email"
              type="email"
              autoComplete="email"
              required
              defaultValue={result?.value}
              error={result?.error}
            />
            <FormActions submit={COPY.submit} cancelTo="/login" cancel={COPY.cancel} busy={busy} />
          </Form>
        </>
      )}
    </div>
  );
}
