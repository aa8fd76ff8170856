import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { acceptTerms, currentTerms, termsSetCookie } from "~/.server/auth/terms";
import { formFailure } from "~/.server/forms";
import { safeRedirectPath } from "~/.server/http";
import { getDestinationProgram } from "~/.server/programs";
import { ErrorSummary } from "~/components/fields";
import { Button } from "~/components/ui";
import { useSchemaForm } from "~/lib/forms";
import { Markdown } from "~/lib/markdown";
import { TermsSchema } from "~/lib/schemas";

const COPY = {
  title: "Terms and Conditions - CMS.gov | QualityNet",
  heading: "Terms and Conditions",
  version: (v: string) => `Version ${v}`,
  program: "Program:",
  accept: "I Accept",
  decline: "Decline",
  question: "Do you accept these Terms and Conditions?",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const [program, terms] = await Promise.all([
    getDestinationProgram(context.deps, url.searchParams.get("program")),
    currentTerms(context.deps),
  ]);
  return {
    program,
    redirectTo: safeRedirectPath(url.searchParams.get("redirectTo"), ""),
    terms: { version: terms.version, bodyMd: terms.bodyMd },
  };
}

const FORM_ID = "terms";

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: TermsSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  if (submission.value.intent === "decline") return redirect("/?declined=1");
  const program = await getDestinationProgram(context.deps, submission.value.program ?? null);
  const acceptanceId = await acceptTerms(context.deps, {
    programCode: program?.code ?? null,
    version: submission.value.version ?? null,
  });
  const next = new URLSearchParams();
  if (program) next.set("program", program.code);
  const redirectTo = safeRedirectPath(submission.value.redirectTo, "");
  if (redirectTo) next.set("redirectTo", redirectTo);
  // A newer version was published while this one was on screen: show it.
  if (!acceptanceId) return redirect(next.size > 0 ? `/terms?${next}` : "/terms");
  return redirect(next.size > 0 ? `/login?${next}` : "/login", {
    headers: { "Set-Cookie": termsSetCookie(acceptanceId) },
  });
}

export default function Terms() {
  const { program, redirectTo, terms } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.TermsSchema),
    actionData,
  });
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="hint">{COPY.version(terms.version)}</p>
      {program ? (
        <p>
          {COPY.program} <strong>{program.name}</strong>
        </p>
      ) : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe scrollable-region-focusable). */}
      <section className="terms-text" tabIndex={0} aria-label={COPY.heading}>
        <Markdown source={terms.bodyMd} />
      </section>
      <ErrorSummary form={form} />
      <Form method="post" className="terms-form" {...getFormProps(form)}>
        <input type="hidden" name="program" value={program?.code ?? ""} />
        <input type="hidden" name="version" value={terms.version} />
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
