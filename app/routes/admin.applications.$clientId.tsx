import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { checkRegistration, loadClientPage, setClientStatus, updateClient } from "~/.server/oidc/registration";
import {
  APPLICATION_COPY,
  APPLICATION_FORM_ID,
  ApplicationFields,
  useApplicationForm,
} from "~/components/application-form";
import { ErrorSummary } from "~/components/fields";
import { Alert, Button, FormActions } from "~/components/ui";
import { ApplicationFormSchema, ASSURANCE_OPTIONS } from "~/lib/application-admin";
import { failureErrors } from "~/lib/failure-words";
import { CHANGE_WORDS, problemErrors } from "~/web/.server/applications";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration › Applications › one application (SPEC 2.9): its Client ID and
 * settings, the form that edits them (audited as `oidc.client_updated` with the
 * fields before and after), and Disable / Enable (`oidc.client_disabled`,
 * `oidc.client_enabled`): a disabled application signs no one in, and the
 * tokens it holds stop working at once.
 * Rule: the page, `can(actor, "admin.read")`; every change, `can(actor,
 * "application.manage")` (a strong factor from the last 15 minutes, else step
 * up and come back).
 */

export const meta: MetaFunction = () => [{ title: "Application - Administration - CMS.gov | QualityNet" }];

const COPY = {
  clientId: "Client ID",
  status: "Status",
  statuses: { active: "Active", disabled: "Disabled" } as Record<string, string>,
  settings: "Settings",
  none: "None",
  edit: "Edit the application",
  save: "Save changes",
  back: "Back to Applications",
  statusHeading: "Application status",
  disable: "Disable Application",
  enable: "Enable Application",
  disableHint:
    "A disabled application signs no one in, and the tokens it was given stop working at once. Enable it again to let its users sign in.",
  saved: {
    registered: "The application was registered. Give its Client ID to the application's team.",
    updated: "Your changes were saved.",
    disabled: "The application is disabled.",
    enabled: "The application is enabled again.",
    unchanged: "The status was already changed.",
  } as Record<string, string>,
};

/** Client IDs are "sp-" and a random token (the seed's sample has a readable one). */
function clientIdOf(raw: string | undefined): string {
  if (!raw || !/^[A-Za-z0-9._-]{1,100}$/.test(raw)) throw new Response("Not Found", { status: 404 });
  return raw;
}

export async function loader({ request, params, context }: LoaderArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  const page = await loadClientPage(context.deps, clientIdOf(params.clientId));
  if (!page) throw new Response("Not Found", { status: 404 });
  const saved = new URL(request.url).searchParams.get("saved");
  const { client } = page;
  return {
    client: {
      id: client.id,
      name: client.name,
      programId: client.programId,
      programName: page.programName,
      status: client.status,
      redirectUris: client.redirectUris,
      postLogoutRedirectUris: client.postLogoutRedirectUris,
      backchannelLogoutUri: client.backchannelLogoutUri,
      initiateLoginUri: client.initiateLoginUri,
      jwks: JSON.stringify(JSON.parse(client.jwks), null, 2),
      requiredAssurance: client.requiredAssurance,
      signingAlg: client.idTokenSignedResponseAlg,
    },
    programs: page.programs,
    saved: saved && saved in COPY.saved ? COPY.saved[saved] : null,
  };
}

export async function action({ request, params, context }: ActionArgs) {
  const clientId = clientIdOf(params.clientId);
  const here = `/admin/applications/${encodeURIComponent(clientId)}`;
  // Rule: application.manage (asked again by the service).
  const session = await requireCapability(context.deps, request, "application.manage", {}, { returnTo: here });
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const who = await getClient(context, request);
  const intent = form.get("intent");
  if (intent === "disable" || intent === "enable") {
    const result = await setClientStatus(
      context.deps,
      session.actor,
      clientId,
      intent === "disable" ? "disabled" : "active",
      who,
    );
    if (result.ok) return redirect(`${here}?saved=${intent}d`);
    if (result.code === "refused") return refuse(result.refusal, request, here);
    if (result.code === "not_found") throw new Response("Not Found", { status: 404 });
    return redirect(`${here}?saved=unchanged`);
  }
  const submission = parseWithZod(form, { schema: ApplicationFormSchema });
  if (submission.status !== "success") return formFailure(APPLICATION_FORM_ID, submission);
  const page = await loadClientPage(context.deps, clientId);
  if (!page) throw new Response("Not Found", { status: 404 });
  const checked = await checkRegistration(
    context.deps,
    submission.value,
    page.programs.map((p) => p.id),
  );
  if (!checked.ok) return formFailure(APPLICATION_FORM_ID, submission, problemErrors(checked.problems));
  const result = await updateClient(context.deps, session.actor, clientId, checked.value, who);
  if (result.ok) return redirect(`${here}?saved=updated`);
  switch (result.code) {
    case "refused":
      return refuse(result.refusal, request, here);
    case "not_found":
      throw new Response("Not Found", { status: 404 });
    case "unchanged":
      return formFailure(APPLICATION_FORM_ID, submission, failureErrors(CHANGE_WORDS, result));
    default:
      return formFailure(APPLICATION_FORM_ID, submission, failureErrors(CHANGE_WORDS, result), 409);
  }
}

function Uris({ uris, none }: { uris: string[]; none: string }) {
  if (uris.length === 0) return <>{none}</>;
  return (
    <ul className="application-uris">
      {uris.map((u) => (
        <li key={u}>
          <code className="breakable">{u}</code>
        </li>
      ))}
    </ul>
  );
}

export default function ApplicationPage() {
  const { client: c, programs, saved } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useApplicationForm(actionData, {
    name: c.name,
    programId: String(c.programId),
    redirectUris: c.redirectUris.join("\n"),
    postLogoutRedirectUris: c.postLogoutRedirectUris.join("\n"),
    backchannelLogoutUri: c.backchannelLogoutUri ?? "",
    initiateLoginUri: c.initiateLoginUri ?? "",
    jwks: c.jwks,
    requiredAssurance: c.requiredAssurance,
    signingAlg: c.signingAlg,
  });
  const busy = useNavigation().state === "submitting";
  const active = c.status === "active";
  const a = APPLICATION_COPY;
  return (
    <div className="form-page form-page--wide">
      <h1>{c.name}</h1>
      {saved ? (
        <Alert variant="success" role="status">
          <p className="ds-c-alert__text">{saved}</p>
        </Alert>
      ) : null}
      <dl className="details-list">
        <dt>{COPY.clientId}</dt>
        <dd>
          <code className="breakable" data-testid="client-id">
            {c.id}
          </code>
        </dd>
        <dt>{COPY.status}</dt>
        <dd>{COPY.statuses[c.status] ?? c.status}</dd>
        <dt>{a.program}</dt>
        <dd>{c.programName}</dd>
        <dt>{a.redirectUris}</dt>
        <dd>
          <Uris uris={c.redirectUris} none={COPY.none} />
        </dd>
        <dt>{a.postLogoutRedirectUris}</dt>
        <dd>
          <Uris uris={c.postLogoutRedirectUris} none={COPY.none} />
        </dd>
        <dt>{a.backchannelLogoutUri}</dt>
        <dd>
          <Uris uris={c.backchannelLogoutUri ? [c.backchannelLogoutUri] : []} none={COPY.none} />
        </dd>
        <dt>{a.initiateLoginUri}</dt>
        <dd>
          <Uris uris={c.initiateLoginUri ? [c.initiateLoginUri] : []} none={COPY.none} />
        </dd>
        <dt>{a.requiredAssurance}</dt>
        <dd>{ASSURANCE_OPTIONS.find((o) => o.value === c.requiredAssurance)?.label ?? c.requiredAssurance}</dd>
        <dt>{a.signingAlg}</dt>
        <dd>{c.signingAlg}</dd>
      </dl>
      <section aria-labelledby="application-edit" className="profile-section">
        <h2 id="application-edit">{COPY.edit}</h2>
        <ErrorSummary form={form} />
        <Form method="post" {...getFormProps(form)}>
          <ApplicationFields fields={fields} programs={programs} />
          <input type="hidden" name="intent" value="save" />
          <FormActions submit={COPY.save} cancelTo="/admin/applications" cancel={COPY.back} busy={busy} />
        </Form>
      </section>
      {/* Apart from the settings form, so it does not read as part of saving them. */}
      <section aria-labelledby="application-status" className="profile-section">
        <h2 id="application-status">{COPY.statusHeading}</h2>
        <Form method="post">
          <p className="ds-c-hint">{COPY.disableHint}</p>
          <div className="actions">
            <Button name="intent" value={active ? "disable" : "enable"} variant="secondary" disabled={busy}>
              {active ? COPY.disable : COPY.enable}
            </Button>
          </div>
        </Form>
      </section>
    </div>
  );
}
