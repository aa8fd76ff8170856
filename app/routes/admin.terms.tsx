import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { currentTerms, listTermsVersions, publishTerms } from "~/.server/auth/terms";
import { formFailure, formSuccess } from "~/.server/forms";
import { requireCapability } from "~/.server/guards";
import { Table } from "~/components/ds-table";
import { ErrorSummary, TextArea, TextField } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { TermsPublishSchema } from "~/lib/admin-schemas";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { Markdown } from "~/lib/markdown";

/**
 * Administration, Terms and Conditions (SPEC 2.8): the version in force, the
 * versions published, and a new version written in Markdown (headings, lists,
 * bold, italic; no HTML and no links), previewed before it is published. A
 * published version is in force at once: everyone accepts it at their next
 * sign-in, and the acceptance records it.
 * Rule: the page and Preview, `can(actor, "admin.read")` (Help Desk
 * Administrator, strong session); Publish, `can(actor, "admin.manage")` (a
 * strong factor from the last 15 minutes). Others get a 404.
 */

const COPY = {
  title: "Terms and Conditions - Administration - CMS.gov | QualityNet",
  heading: "Terms and Conditions",
  inForce: (v: string) => `In force: version ${v}`,
  builtIn: "The built-in text: no version has been published yet.",
  current: "The text in force",
  versions: "Published versions",
  none: "None yet.",
  version: "Version",
  published: "Published",
  accepted: "Acceptances",
  newVersion: "Publish a new version",
  newHint: "Everyone accepts the new version at their next sign-in.",
  versionLabel: "Version name",
  versionHint: "Letters, digits, dots and dashes, for example 2026-12-01.",
  bodyLabel: "Text (Markdown)",
  bodyHint: "# Heading, blank lines between paragraphs, - for a list, **bold**, *italic*. HTML is shown as text.",
  preview: "Preview",
  publish: "Publish",
  previewHeading: "Preview",
  done: "Published. It is in force now.",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  const [terms, versions] = await Promise.all([currentTerms(context.deps), listTermsVersions(context.deps)]);
  return {
    published: new URL(request.url).searchParams.has("published"),
    terms: { version: terms.version, bodyMd: terms.bodyMd, builtIn: terms.publishedAt === null },
    versions: versions.map((v) => ({ ...v, publishedAt: formatTime(v.publishedAt) })),
  };
}

const FORM_ID = "publish-terms";

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  // Rule: Preview changes nothing (admin.read); Publish, admin.manage.
  const publishing = formData.get("intent") !== "preview";
  const session = await requireCapability(
    context.deps,
    request,
    publishing ? "admin.manage" : "admin.read",
    {},
    { returnTo: "/admin/terms" },
  );
  const submission = parseWithZod(formData, { schema: TermsPublishSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  if (submission.value.intent === "preview") {
    const kept = submission.reply();
    return { ...formSuccess(FORM_ID, submission, { preview: submission.value.bodyMd }), result: kept };
  }
  const result = await publishTerms(context.deps, session.actor, submission.value);
  if (!result.ok)
    return formFailure(
      FORM_ID,
      submission,
      { formErrors: result.message ? [result.message] : [], fieldErrors: result.fieldErrors },
      409,
    );
  throw redirect("/admin/terms?published=1");
}

export default function TermsAdministration() {
  const { terms, versions, published } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/admin-schemas").then((m) => m.TermsPublishSchema),
    actionData,
    defaultValue: { bodyMd: terms.bodyMd },
  });
  const preview = actionData && "done" in actionData ? actionData.done?.preview : undefined;
  return (
    <>
      <h1>{COPY.heading}</h1>
      {published ? (
        <Alert variant="success" role="status">
          <p>{COPY.done}</p>
        </Alert>
      ) : null}
      <p>
        <strong>{COPY.inForce(terms.version)}</strong>
        {terms.builtIn ? ` ${COPY.builtIn}` : null}
      </p>
      <h2>{COPY.current}</h2>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe scrollable-region-focusable). */}
      <section className="terms-text" tabIndex={0} aria-label={COPY.current}>
        <Markdown source={terms.bodyMd} />
      </section>
      <Table
        id="terms-versions"
        caption={COPY.versions}
        rows={versions}
        rowKey={(v) => v.version}
        emptyMessage={COPY.none}
        columns={[
          { key: "version", header: COPY.version, rowHeader: true, cell: (v) => v.version },
          { key: "published", header: COPY.published, cell: (v) => v.publishedAt },
          { key: "accepted", header: COPY.accepted, cell: (v) => v.accepted },
        ]}
      />
      <h2>{COPY.newVersion}</h2>
      <p>{COPY.newHint}</p>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <TextField field={fields.version} label={COPY.versionLabel} hint={COPY.versionHint} maxLength={40} />
        <TextArea field={fields.bodyMd} label={COPY.bodyLabel} hint={COPY.bodyHint} max={20_000} />
        <div className="actions">
          <Button name="intent" value="preview" variant="secondary" disabled={busy}>
            {COPY.preview}
          </Button>
          <Button name="intent" value="publish" disabled={busy}>
            {COPY.publish}
          </Button>
        </div>
      </Form>
      {preview ? (
        <section aria-labelledby="terms-preview">
          <h2 id="terms-preview">{COPY.previewHeading}</h2>
          <div className="terms-text" id="terms-preview-text">
            <Markdown source={preview} />
          </div>
        </section>
      ) : null}
    </>
  );
}
