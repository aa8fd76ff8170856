import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { activePrograms, checkRegistration, registerClient } from "~/.server/oidc/registration";
import { APPLICATION_FORM_ID, ApplicationFields, useApplicationForm } from "~/components/application-form";
import { ErrorSummary } from "~/components/fields";
import { FormActions } from "~/components/ui";
import { ApplicationFormSchema } from "~/lib/application-admin";
import { failureErrors } from "~/lib/failure-words";
import { CHANGE_WORDS, problemErrors } from "~/web/.server/applications";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration › Applications › Register an Application (SPEC 2.9): a
 * program's application (an OpenID Connect client) with its addresses, public
 * keys and required assurance; it gets its Client ID. Every problem is shown
 * next to its field with the rest of the input kept. Audited as
 * `oidc.client_registered` with the settings.
 * Rule: the page, `can(actor, "admin.read")`; registering, `can(actor,
 * "application.manage")` (a strong factor from the last 15 minutes, else step
 * up and come back).
 */

const COPY = {
  title: "Register an Application - Administration - CMS.gov | QualityNet",
  heading: "Register an Application",
  submit: "Register Application",
  cancel: "Cancel",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  return { programs: await activePrograms(context.deps) };
}

export async function action({ request, context }: ActionArgs) {
  // Rule: application.manage (asked again by the service).
  const session = await requireCapability(
    context.deps,
    request,
    "application.manage",
    {},
    { returnTo: "/admin/applications/new" },
  );
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const submission = parseWithZod(form, { schema: ApplicationFormSchema });
  if (submission.status !== "success") return formFailure(APPLICATION_FORM_ID, submission);
  const programs = await activePrograms(context.deps);
  const checked = await checkRegistration(
    context.deps,
    submission.value,
    programs.map((p) => p.id),
  );
  if (!checked.ok) return formFailure(APPLICATION_FORM_ID, submission, problemErrors(checked.problems));
  const result = await registerClient(context.deps, session.actor, checked.value, await getClient(context, request));
  if (result.ok) return redirect(`/admin/applications/${encodeURIComponent(result.value.clientId)}?saved=registered`);
  if (result.code === "refused") return refuse(result.refusal, request, "/admin/applications/new");
  return formFailure(APPLICATION_FORM_ID, submission, failureErrors(CHANGE_WORDS, result), 409);
}

export default function RegisterApplication() {
  const { programs } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useApplicationForm(actionData);
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <ApplicationFields fields={fields} programs={programs} />
        <FormActions submit={COPY.submit} cancelTo="/admin/applications" cancel={COPY.cancel} busy={busy} />
      </Form>
    </div>
  );
}
