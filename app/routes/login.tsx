import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { getTermsAcceptance } from "~/.server/auth/terms";
import { getDestinationProgram } from "~/.server/programs";
import { Button, LinkButton, TextField } from "~/components/ui";

const COPY = {
  title: "Log In - CMS.gov | QualityNet",
  heading: "Welcome to CMS Enterprise Portal",
  userId: "User ID",
  next: "Next",
  cancel: "Cancel",
  forgot: "Forgot User ID?",
  register: "New user registration",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const acceptance = await getTermsAcceptance(context.deps, request);
  // Sign-in comes after the Terms and Conditions (SPEC 2.1).
  if (!acceptance) {
    const program = new URL(request.url).searchParams.get("program");
    return redirect(program ? `/terms?program=${encodeURIComponent(program)}` : "/terms");
  }
  const program = await getDestinationProgram(context.deps, acceptance.programCode);
  return { programName: program?.name ?? null };
}

export default function Login() {
  const { programName } = useLoaderData<typeof loader>();
  return (
    <div className="login-card">
      <h1>{COPY.heading}</h1>
      {programName ? <p className="hint">{programName}</p> : null}
      <Form method="post" className="stack">
        <TextField label={COPY.userId} name="userId" autoComplete="username" autoCapitalize="characters" spellCheck={false} required />
        <div className="actions">
          <Button>{COPY.next}</Button>
          <LinkButton to="/" variant="secondary">
            {COPY.cancel}
          </LinkButton>
        </div>
      </Form>
      <ul className="plain-links">
        <li>
          <Link to="/forgot-user-id">{COPY.forgot}</Link>
        </li>
        <li>
          <Link to="/register">{COPY.register}</Link>
        </li>
      </ul>
    </div>
  );
}
