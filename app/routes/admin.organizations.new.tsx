import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { createOrganization, orgTypeNames } from "~/.server/organizations/admin";
import { ErrorSummary } from "~/components/fields";
import { ORGANIZATION_FORM_ID, OrganizationFields, useOrganizationForm } from "~/components/organization-form";
import { FormActions } from "~/components/ui";
import { ORGANIZATION_MESSAGES, OrganizationSchema, takenIdentifierErrors, valuesOf } from "~/lib/organization-admin";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration › Organizations › Add an organization (SPEC 2.8).
 * Rule: the page, `can(actor, "admin.read")`; creating, `can(actor, "admin.manage")`
 * (a strong factor from the last 15 minutes, else step up and come back). A CCN,
 * NPI or TIN another organization holds is refused next to its field.
 */

export const meta: MetaFunction = () => [{ title: "Add an organization - Administration - CMS.gov | QualityNet" }];

const COPY = {
  heading: "Add an organization",
  submit: "Add organization",
  cancel: "Cancel",
  notAdded: "The organization could not be added.",
};

export async function loader({ request, context }: LoaderArgs) {
  await requireCapability(context.deps, request, "admin.read");
  return { orgTypes: await orgTypeNames(context.deps) };
}

export async function action({ request, context }: ActionArgs) {
  const { user } = await requireCapability(context.deps, request, "admin.manage");
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const submission = parseWithZod(form, { schema: OrganizationSchema });
  if (submission.status !== "success") return formFailure(ORGANIZATION_FORM_ID, submission);
  const result = await createOrganization(
    context.deps,
    { userId: user.id },
    valuesOf(submission.value),
    await getClient(context, request),
  );
  if (result.ok) return redirect(`/admin/organizations/${result.value.id}?saved=created`);
  if (result.code === "refused") return refuse(result.refusal, request);
  if (result.code === "unknown_org_type")
    return formFailure(ORGANIZATION_FORM_ID, submission, { fieldErrors: { orgType: [ORGANIZATION_MESSAGES.orgType] } });
  if (result.code === "identifier_taken")
    return formFailure(ORGANIZATION_FORM_ID, submission, { fieldErrors: takenIdentifierErrors(result.detail ?? {}) });
  return formFailure(ORGANIZATION_FORM_ID, submission, { formErrors: [COPY.notAdded] }, 409);
}

export default function NewOrganization() {
  const { orgTypes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useOrganizationForm(actionData);
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <OrganizationFields fields={fields} orgTypes={orgTypes} />
        <FormActions submit={COPY.submit} cancelTo="/admin/organizations" busy={busy} />
      </Form>
    </div>
  );
}
