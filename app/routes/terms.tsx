import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { acceptTerms, termsSetCookie } from "~/.server/auth/terms";
import { formFailure } from "~/.server/forms";
import { safeRedirectPath } from "~/.server/http";
import { getDestinationProgram } from "~/.server/programs";
import { ErrorSummary } from "~/components/fields";
import { Button } from "~/components/ui";
import { useSchemaForm } from "~/lib/forms";
import { TermsSchema } from "~/lib/schemas";
import { TERMS_VERSION } from "~/lib/terms";

const COPY = {
  title: "Terms and Conditions - CMS.gov | QualityNet",
  heading: "Terms and Conditions",
  version: `Version ${TERMS_VERSION}`,
  program: "Program:",
  accept: "I Accept",
  decline: "Decline",
  question: "Do you accept these Terms and Conditions?",
  paragraphs: [
    "You are accessing a U.S. Government information system, which includes this computer, this computer network, all computers connected to this network, and all devices and storage media attached to this network or to a computer on this network. This information system is provided for U.S. Government-authorized use only.",
    "Unauthorized or improper use of this system may result in disciplinary action, as well as civil and criminal penalties.",
    "By using this information system, you understand and consent to the following: you have no reasonable expectation of privacy regarding any communication or data transiting or stored on this information system. At any time, and for any lawful Government purpose, the government may monitor, intercept, and search and seize any communication or data transiting or stored on this information system.",
    "Any communication or data transiting or stored on this information system may be disclosed or used for any lawful Government purpose.",
    "You agree to keep your User ID, password and second factor to yourself, to report any suspected misuse to the help desk, and to request only the access your work requires.",
  ],
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const program = await getDestinationProgram(context.deps, url.searchParams.get("program"));
  return { program, redirectTo: safeRedirectPath(url.searchParams.get("redirectTo"), "") };
}

const FORM_ID = "terms";

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: TermsSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  if (submission.value.intent === "decline") return redirect("/?declined=1");
  const program = await getDestinationProgram(context.deps, submission.value.program ?? null);
  const acceptanceId = await acceptTerms(context.deps, { programCode: program?.code ?? null });
  const next = new URLSearchParams();
  if (program) next.set("program", program.code);
  const redirectTo = safeRedirectPath(submission.value.redirectTo, "");
  if (redirectTo) next.set("redirectTo", redirectTo);
  return redirect(next.size > 0 ? `/login?${next}` : "/login", {
    headers: { "Set-Cookie": termsSetCookie(acceptanceId) },
  });
}

export default function Terms() {
  const { program, redirectTo } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.TermsSchema),
    actionData,
  });
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="hint">{COPY.version}</p>
      {program ? (
        <p>
          {COPY.program} <strong>{program.name}</strong>
        </p>
      ) : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe scrollable-region-focusable). */}
      <section className="terms-text" tabIndex={0} aria-label={COPY.heading}>
        {COPY.paragraphs.map((p) => (
          <p key={p.slice(0, 24)}>{p}</p>
        ))}
      </section>
      <ErrorSummary form={form} />
      <Form method="post" className="terms-form" {...getFormProps(form)}>
        <input type="hidden" name="program" value={program?.code ?? ""} />
        {redirectTo ? <input type="hidden" name="redirectTo" value={redirectTo} /> : null}
        <fieldset className="ds-c-fieldset">
          <legend>{COPY.question}</legend>
          <div className="actions">
            <Button name="intent" value="accept">
              {COPY.accept}
            </Button>
            <Button name="intent" value="decline" variant="secondary">
              {COPY.decline}
            </Button>
          </div>
        </fieldset>
      </Form>
    </>
  );
}
