import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, Link, useActionData, useNavigation } from "react-router";
import { registerUser } from "~/.server/auth/accounts";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, TextField } from "~/components/fields";
import { Alert, FormActions, LinkButton } from "~/components/ui";
import { tooManyFromNetwork } from "~/lib/auth-copy";
import { type FailureCopy, wordsFor } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { RegistrationSchema } from "~/lib/schemas";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs } from "~/web/.server/route-args";

const COPY = {
  title: "New user registration - CMS.gov | QualityNet",
  heading: "New user registration",
  intro:
    "Tell us who you are. We will email your User ID and a temporary password to the address you give. You will prove your identity later, in New User Enrollment.",
  firstName: "First Name",
  lastName: "Last Name",
  email: "Email Address",
  emailHint: "We send your User ID and temporary password here.",
  phone: "Phone Number",
  phoneHint: "With area code, for example 614-555-0142.",
  submit: "Register",
  cancel: "Cancel",
  doneHeading: "Check your email",
  done: (email: string) =>
    `We sent an email to ${email}. If this is a new account, it contains your User ID and a temporary password that expires in 7 days. If you do not see it within a few minutes, check your spam folder.`,
  login: "Go to log in",
  already: "Already registered?",
  failures: {
    throttled: tooManyFromNetwork("registrations"),
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof registerUser>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

const FORM_ID = "register";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: RegistrationSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const result = await registerUser(context.deps, submission.value, await getClient(context, request));
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(FORM_ID, submission, { formErrors: [wordsFor(COPY.failures, result)] }, 429);
  }
  return formSuccess(FORM_ID, submission, { email: result.value.email });
}

export default function Register() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.RegistrationSchema),
    actionData,
  });
  if (actionData && "done" in actionData) {
    return (
      <>
        <h1>{COPY.doneHeading}</h1>
        <Alert variant="success" role="status">
          <p>{COPY.done(actionData.done.email)}</p>
        </Alert>
        <LinkButton to="/destination">{COPY.login}</LinkButton>
      </>
    );
  }
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <TextField label={COPY.firstName} field={fields.firstName} autoComplete="given-name" required maxLength={50} />
        <TextField label={COPY.lastName} field={fields.lastName} autoComplete="family-name" required maxLength={50} />
        <TextField
          label={COPY.email}
          field={fields.email}
          type="email"
          autoComplete="email"
          required
          maxLength={254}
          hint={COPY.emailHint}
        />
        <TextField
          label={COPY.phone}
          field={fields.phone}
          type="tel"
          autoComplete="tel"
          required
          maxLength={25}
          hint={COPY.phoneHint}
        />
        <FormActions submit={COPY.submit} cancelTo="/" cancel={COPY.cancel} busy={busy} />
      </Form>
      <p>
        {COPY.already} <Link to="/destination">{COPY.login}</Link>
      </p>
    </div>
  );
}
