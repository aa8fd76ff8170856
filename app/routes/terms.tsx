import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData } from "react-router";
import { acceptTerms, currentTerms, termsSetCookie } from "~/.server/auth/terms";
import { getDestinationProgram } from "~/.server/programs";
import { safeRedirectPath } from "~/.server/safe-redirect";
import { ErrorSummary } from "~/components/fields";
import { Markdown } from "~/components/markdown";
import { Button } from "~/components/ui";
import { useSchemaForm } from "~/lib/forms";
import { TermsSchema } from "~/lib/schemas";
import type { RouteHandle } from "~/root";
import { formFailure } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Terms and Conditions - CMS.gov | QualityNet",
  heading: "Terms and Conditions",
  version: (v: string) => `Version ${v}`,
  program: "Program:",
  accept: "I Accept",
  decline: "Decline",
  question: "Do you accept these Terms and Conditions?",
  changed:
    "The Terms and Conditions changed while you were reading them. Read the new version below, then choose again.",
};

/** Links and plain forms: no JavaScript (see `RouteHandle` in root.tsx). */
export const handle: RouteHandle = { scripts: false };

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const url = new URL(request.url);
  const program = await getDestinationProgram(context.deps, url.searchParams.get("program"));
  const terms = await currentTerms(context.deps);
  return {
    program,
    redirectTo: safeRedirectPath(url.searchParams.get("redirectTo"), ""),
    version: terms.version,
    body: terms.bodyMarkdown,
  };
}

const FORM_ID = "terms";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: TermsSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  if (submission.value.intent === "decline") return redirect("/?declined=1");
  const program = await getDestinationProgram(context.deps, submission.value.program ?? null);
  // The version the person read: if another was published meanwhile, they read that one first.
  const accepted = await acceptTerms(context.deps, {
    programCode: program?.code ?? null,
    version: submission.value.version ?? null,
  });
  if (!accepted.ok) {
    if (accepted.code === "refused") return refuse(accepted.refusal, request);
    return formFailure(FORM_ID, submission, { formErrors: [COPY.changed] }, 409);
  }
  const acceptanceId = accepted.value;
  const next = new URLSearchParams();
  if (program) next.set("program", program.code);
  const redirectTo = safeRedirectPath(submission.value.redirectTo, "");
  if (redirectTo) next.set("redirectTo", redirectTo);
  return redirect(next.size > 0 ? `/login?${next}` : "/login", {
    headers: { "Set-Cookie": termsSetCookie(acceptanceId) },
  });
}

export default function Terms() {
  const { program, redirectTo, version, body } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.TermsSchema),
    actionData,
  });
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="hint">{COPY.version(version)}</p>
      {program ? (
        <p>
          {COPY.program} <strong>{program.name}</strong>
        </p>
      ) : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe scrollable-region-focusable). */}
      <section className="terms-text" tabIndex={0} aria-label={COPY.heading}>
        <Markdown source={body} headingLevel={2} />
      </section>
      <ErrorSummary form={form} />
      <Form method="post" className="terms-form" {...getFormProps(form)}>
        <input type="hidden" name="program" value={program?.code ?? ""} />
        <input type="hidden" name="version" value={version} />
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
