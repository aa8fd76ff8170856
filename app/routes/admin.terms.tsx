import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { MetaFunction } from "react-router";
import { Form, useActionData, useLoaderData } from "react-router";
import {
  currentTermsQuery,
  listTermsVersionsQuery,
  publishTerms,
  termsInForce,
  termsVersionsOf,
} from "~/.server/auth/terms";
import { CheckboxField, ErrorSummary, TextArea, TextField } from "~/components/fields";
import { Markdown } from "~/components/markdown";
import { Alert } from "~/components/ui";
import { TERMS_BODY_MAX, TermsPublishSchema } from "~/lib/admin-terms";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Terms and Conditions (Administration, SPEC 2.8): the version in force, the
 * earlier ones, and a form to publish a new version — Markdown, previewed
 * before publishing; everyone accepts it at their next sign-in.
 * Rules: the page is `can(actor, "admin.read")`; publishing is
 * `can(actor, "admin.manage")` (a strong factor from the last 15 minutes, else
 * step-up and back). A version name is used once.
 */

const COPY = {
  title: "Terms and Conditions - Administration - CMS.gov | QualityNet",
  heading: "Terms and Conditions",
  current: (v: string, at: string) => `Version ${v} is in force, published ${at}.`,
  history: "Published versions",
  by: (name: string | null) => (name ? ` by ${name}` : ""),
  publishHeading: "Publish a new version",
  version: "Version",
  versionHint: "A new name, for example 2027-01-15. Everyone accepts the new version at their next sign-in.",
  body: "Text",
  bodyHint: `Markdown: a blank line between paragraphs, # for a heading, - for a list, **bold**. No HTML. Up to ${TERMS_BODY_MAX.toLocaleString("en-US")} characters.`,
  confirm: "Everyone must accept this version at their next sign-in.",
  preview: "Preview",
  publish: "Publish",
  previewHeading: "Preview",
  published: (v: string) => `Version ${v} is published. Everyone accepts it at their next sign-in.`,
  taken: "That version name is already used. Choose a new one.",
};

const FORM_ID = "terms-publish";

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  await requireCapability(context.deps, request, "admin.read");
  // One round trip for the screen's data.
  const [current, versionRows] = await context.deps.db.batch([
    currentTermsQuery(context.deps),
    listTermsVersionsQuery(context.deps),
  ]);
  const terms = termsInForce(current);
  const versions = termsVersionsOf(versionRows);
  return {
    current: { version: terms.version, body: terms.bodyMarkdown, publishedAt: formatTime(terms.publishedAt) },
    versions: versions.map((v) => ({ ...v, publishedAt: formatTime(v.publishedAt) })),
  };
}

export async function action({ request, context }: ActionArgs) {
  const session = await requireCapability(context.deps, request, "admin.read");
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  // Anything but a preview is a change: a stale strong factor steps up before the form is even read.
  if (form.get("intent") !== "preview")
    await requireCapability(context.deps, request, "admin.manage", {}, { returnTo: "/admin/terms" });
  const submission = parseWithZod(form, { schema: TermsPublishSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  if (submission.value.intent === "preview")
    return { formId: FORM_ID, result: submission.reply(), preview: submission.value.bodyMarkdown };
  const outcome = await publishTerms(
    context.deps,
    session.actor,
    { version: submission.value.version, bodyMarkdown: submission.value.bodyMarkdown },
    await getClient(context, request),
  );
  if (outcome.ok) return formSuccess(FORM_ID, submission, { published: submission.value.version });
  if (outcome.code === "refused") return refuse(outcome.refusal, request, "/admin/terms");
  return formFailure(FORM_ID, submission, { fieldErrors: { version: [COPY.taken] } }, 409);
}

export default function AdminTerms() {
  const { current, versions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useSchemaForm({ id: FORM_ID, schema: TermsPublishSchema, actionData });
  const preview = actionData && "preview" in actionData ? actionData.preview : null;
  const published = actionData && "done" in actionData ? actionData.done?.published : null;
  return (
    <>
      <h1>{COPY.heading}</h1>
      {published ? (
        <Alert variant="success" role="status">
          <p>{COPY.published(published)}</p>
        </Alert>
      ) : null}
      <p>{COPY.current(current.version, current.publishedAt)}</p>
      <details>
        <summary>{`Version ${current.version}`}</summary>
        <div className="terms-text">
          <Markdown source={current.body} headingLevel={3} />
        </div>
      </details>

      <h2>{COPY.publishHeading}</h2>
      <Form method="post" {...getFormProps(form)}>
        <ErrorSummary form={form} />
        <TextField field={fields.version} label={COPY.version} hint={COPY.versionHint} autoComplete="off" />
        <TextArea field={fields.bodyMarkdown} label={COPY.body} hint={COPY.bodyHint} max={TERMS_BODY_MAX} />
        {preview ? (
          <section aria-labelledby="terms-preview" className="decision decision--confirm">
            <h3 id="terms-preview">{COPY.previewHeading}</h3>
            <Markdown source={preview} headingLevel={3} />
          </section>
        ) : null}
        <CheckboxField field={fields.confirm} label={COPY.confirm} />
        <div className="actions">
          <button type="submit" name="intent" value="preview" className="ds-c-button">
            {COPY.preview}
          </button>
          <button type="submit" name="intent" value="publish" className="ds-c-button ds-c-button--solid">
            {COPY.publish}
          </button>
        </div>
      </Form>

      <h2>{COPY.history}</h2>
      <ul>
        {versions.map((v) => (
          <li key={v.version}>{`${v.version}, published ${v.publishedAt}${COPY.by(v.by)}`}</li>
        ))}
      </ul>
    </>
  );
}
