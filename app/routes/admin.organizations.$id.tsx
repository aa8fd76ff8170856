import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { editOrganization, getOrganization, orgTypeNames, setOrganizationStatus } from "~/.server/organizations/admin";
import { ErrorSummary } from "~/components/fields";
import { ORGANIZATION_FORM_ID, OrganizationFields, useOrganizationForm } from "~/components/organization-form";
import { Alert, Button, FormActions } from "~/components/ui";
import { ORGANIZATION_MESSAGES, OrganizationSchema, takenIdentifierErrors, valuesOf } from "~/lib/organization-admin";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration › Organizations › Edit (SPEC 2.8): change an organization's
 * details; deactivate it (it stays in "Search Organizations", shown Inactive and
 * not selectable) or reactivate it.
 * Rule: the page, `can(actor, "admin.read")`; every change, `can(actor,
 * "admin.manage")` (a strong factor from the last 15 minutes, else step up and
 * come back). Each change is audited with the values before and after.
 */

export const meta: MetaFunction = () => [{ title: "Edit organization - Administration - CMS.gov | QualityNet" }];

const COPY = {
  heading: "Edit organization",
  status: (status: string) => `Status: ${status}`,
  save: "Save changes",
  cancel: "Back to Organizations",
  statusHeading: "Organization status",
  deactivate: "Deactivate organization",
  reactivate: "Reactivate organization",
  deactivateHint:
    "An inactive organization stays in the directory, shown Inactive, and cannot be chosen for new requests.",
  saved: {
    created: "The organization was added.",
    updated: "Your changes were saved.",
    deactivated: "The organization is now inactive.",
    reactivated: "The organization is active again.",
  } as Record<string, string>,
  notChanged: "The status was already changed.",
};

function idOf(raw: string | undefined): number {
  const id = Number(raw);
  if (!raw || !/^\d{1,12}$/.test(raw) || !Number.isSafeInteger(id)) throw new Response("Not Found", { status: 404 });
  return id;
}

export async function loader({ request, params, context }: LoaderArgs) {
  await requireCapability(context.deps, request, "admin.read");
  const organization = await getOrganization(context.deps, idOf(params.id));
  if (!organization) throw new Response("Not Found", { status: 404 });
  const saved = new URL(request.url).searchParams.get("saved");
  return {
    organization,
    orgTypes: await orgTypeNames(context.deps),
    saved: saved && saved in COPY.saved ? COPY.saved[saved] : null,
  };
}

export async function action({ request, params, context }: ActionArgs) {
  const { user } = await requireCapability(context.deps, request, "admin.manage");
  const id = idOf(params.id);
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const client = await getClient(context, request);
  const intent = form.get("intent");
  if (intent === "deactivate" || intent === "reactivate") {
    const result = await setOrganizationStatus(
      context.deps,
      { userId: user.id },
      id,
      intent === "deactivate" ? "Inactive" : "Active",
      client,
    );
    if (!result.ok && result.code === "not_found") throw new Response("Not Found", { status: 404 });
    return redirect(`/admin/organizations/${id}?saved=${intent}d`);
  }
  const submission = parseWithZod(form, { schema: OrganizationSchema });
  if (submission.status !== "success") return formFailure(ORGANIZATION_FORM_ID, submission);
  const result = await editOrganization(context.deps, { userId: user.id }, id, valuesOf(submission.value), client);
  if (result.ok) return redirect(`/admin/organizations/${id}?saved=updated`);
  switch (result.code) {
    case "not_found":
      throw new Response("Not Found", { status: 404 });
    case "refused":
      return refuse(result.refusal, request);
    case "unknown_org_type":
      return formFailure(ORGANIZATION_FORM_ID, submission, {
        fieldErrors: { orgType: [ORGANIZATION_MESSAGES.orgType] },
      });
    case "identifier_taken":
      return formFailure(ORGANIZATION_FORM_ID, submission, { fieldErrors: takenIdentifierErrors(result.detail ?? {}) });
    case "unchanged":
      return formFailure(ORGANIZATION_FORM_ID, submission, { formErrors: [ORGANIZATION_MESSAGES.unchanged] });
    case "changed":
      return formFailure(ORGANIZATION_FORM_ID, submission, { formErrors: [ORGANIZATION_MESSAGES.changed] }, 409);
  }
}

export default function EditOrganization() {
  const { organization: o, orgTypes, saved } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useOrganizationForm(actionData, {
    name: o.name,
    orgType: o.orgType,
    address1: o.address1,
    address2: o.address2,
    city: o.city,
    state: o.state,
    zip: o.zip,
    country: o.country,
    ccn: o.ccn ?? "",
    npi: o.npi ?? "",
    tin: o.tin ?? "",
  });
  const busy = useNavigation().state === "submitting";
  const active = o.status === "Active";
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      <p className="org-status">{COPY.status(o.status)}</p>
      {saved ? (
        <Alert variant="success" role="status">
          <p className="ds-c-alert__text">{saved}</p>
        </Alert>
      ) : null}
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <OrganizationFields fields={fields} orgTypes={orgTypes} />
        <input type="hidden" name="intent" value="save" />
        <FormActions submit={COPY.save} cancelTo="/admin/organizations" cancel={COPY.cancel} busy={busy} />
      </Form>
      {/* Apart from the details form, so it does not read as part of saving them. */}
      <section aria-labelledby="organization-status" className="profile-section">
        <h2 id="organization-status">{COPY.statusHeading}</h2>
        <Form method="post">
          <p className="ds-c-hint">{COPY.deactivateHint}</p>
          <div className="actions">
            <Button name="intent" value={active ? "deactivate" : "reactivate"} variant="secondary" disabled={busy}>
              {active ? COPY.deactivate : COPY.reactivate}
            </Button>
          </div>
        </Form>
      </section>
    </div>
  );
}
