import { type ActionFunctionArgs, data, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { registerUser } from "~/.server/auth/accounts";
import { getClient } from "~/.server/http";
import { ErrorSummary } from "~/components/form-bits";
import { Alert, FormActions, LinkButton, TextField } from "~/components/ui";
import { parseForm } from "~/lib/forms";
import { RegistrationSchema } from "~/lib/schemas";

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
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = parseForm(RegistrationSchema, await request.formData());
  if (!parsed.ok)
    return data({ status: "error" as const, fieldErrors: parsed.fieldErrors, values: parsed.values }, { status: 400 });
  const result = await registerUser(context.deps, parsed.value, await getClient(context, request));
  if (!result.ok) {
    return data(
      {
        status: "error" as const,
        fieldErrors: { form: result.message ?? "Please try again later." } as Record<string, string>,
        values: parsed.value as Record<string, string>,
      },
      { status: 429 },
    );
  }
  return { status: "done" as const, email: result.value.email };
}

export default function Register() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  if (result?.status === "done") {
    return (
      <>
        <h1>{COPY.doneHeading}</h1>
        <Alert variant="success" role="status">
          <p>{COPY.done(result.email)}</p>
        </Alert>
        <LinkButton to="/destination">{COPY.login}</LinkButton>
      </>
    );
  }
  const errors = result?.status === "error" ? result.fieldErrors : undefined;
  const values = result?.status === "error" ? result.values : {};
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <ErrorSummary errors={errors} />
      <Form method="post" noValidate={false}>
        <TextField
          label={COPY.firstName}
          name="firstName"
          autoComplete="given-name"
          required
          maxLength={50}
          defaultValue={values.firstName}
          error={errors?.firstName}
        />
        <TextField
          label={COPY.lastName}
          name="lastName"
          autoComplete="family-name"
          required
          maxLength={50}
          defaultValue={values.lastName}
          error={errors?.lastName}
        />
        <TextField
          label={COPY.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          maxLength={254}
          hint={COPY.emailHint}
          defaultValue={values.email}
          error={errors?.email}
        />
        <TextField
          label={COPY.phone}
          name="phone"
          type="tel"
          autoComplete="tel"
          required
          maxLength={25}
          hint={COPY.phoneHint}
          defaultValue={values.phone}
          error={errors?.phone}
        />
        <FormActions submit={COPY.submit} cancelTo="/" cancel={COPY.cancel} busy={busy} />
      </Form>
      <p>
        {COPY.already} <Link to="/destination">{COPY.login}</Link>
      </p>
    </div>
  );
}
