import {
  type FileUpload,
  FormDataParseError,
  MaxFileSizeExceededError,
  MultipartParseError,
} from "@mjackson/form-data-parser";
import { useEffect } from "react";
import {
  data,
  Form,
  Link,
  type MetaFunction,
  redirect,
  useActionData,
  useLoaderData,
  useNavigation,
  useRevalidator,
} from "react-router";
import {
  type ImportProgress,
  loadImport,
  previewImport,
  type RowError,
  startImport,
} from "~/.server/organizations/import";
import { Table } from "~/components/ds-table";
import { Alert, Button } from "~/components/ui";
import {
  ERRORS_SHOWN,
  IMPORT_COLUMNS,
  IMPORT_MESSAGES,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
} from "~/lib/organization-admin";
import { requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";
import { parseMultipartForm } from "~/web/.server/uploads";

/**
 * Administration › Organizations › Import (SPEC 2.8): upload a CSV file, see
 * every row's problems before anything is written (the preview), then import
 * the valid rows in the background, with the progress on this page
 * (`?import=<id>`; with JavaScript it refreshes itself every two seconds,
 * without, "Refresh progress" does). How the file is read, staged and written
 * in chunks through the import queue: `~/.server/organizations/import.ts`.
 * Rule: the page, `can(actor, "admin.read")`; previewing and importing,
 * `can(actor, "admin.manage")` (a strong factor from the last 15 minutes, asked
 * before the file is sent, so a step-up never loses a preview).
 */

export const meta: MetaFunction = () => [{ title: "Import organizations - Administration - CMS.gov | QualityNet" }];

const MB = MAX_IMPORT_BYTES / (1024 * 1024);
const n = (value: number) => value.toLocaleString("en-US");
const plural = (value: number, word: string) => `${n(value)} ${word}${value === 1 ? "" : "s"}`;

const COPY = {
  heading: "Import organizations",
  intro: `Upload a CSV file (at most ${MB} MB and ${n(MAX_IMPORT_ROWS)} rows). Its first row names the columns below, in any order. Each row is matched to an organization already in the directory by its NPI, then its CCN, then its TIN: a match is updated only where a value differs, other rows add organizations. Importing the same file again changes nothing.`,
  template: "Download a template (CSV)",
  columnsCaption: "Columns",
  columnHeaders: { column: "Column", required: "Required", note: "What to enter" },
  yes: "Yes",
  no: "No",
  file: "CSV file",
  fileHint: "The preview lists every row's problems; nothing is written until you choose Import.",
  preview: "Preview",
  importRows: (count: number) => `Import ${plural(count, "valid row")}`,
  previewHeading: "Preview",
  summary: (p: Pick<ImportProgress, "rows" | "invalidRows" | "validRows">) =>
    `${plural(p.rows, "row")} read: ${n(p.validRows)} valid, ${n(p.invalidRows)} with errors.`,
  fingerprint: (name: string, sha: string) => `File ${name}, SHA-256 ${sha}.`,
  errorsCaption: (shown: number, total: number) =>
    total > shown ? `Errors: the first ${shown} of ${n(total)}` : `Errors (${n(total)})`,
  errorHeaders: { row: "Row", column: "Column", message: "Problem" },
  rowNote: "Row numbers count the header as row 1, as a spreadsheet does.",
  progressHeading: "Importing",
  progressLabel: "Rows imported",
  progress: (p: ImportProgress) =>
    `Imported ${n(p.rowsDone)} of ${plural(p.validRows, "row")} (${Math.floor((100 * p.rowsDone) / Math.max(1, p.validRows))}%).`,
  progressNote:
    "The import runs in the background: you may leave this page and come back to it from its address. With JavaScript this page updates itself every few seconds; without it, choose Refresh progress.",
  retrying: (count: number, error: string | null) =>
    `${plural(count, "part")} of the file could not be written yet and will be tried again${error ? ` (${error})` : ""}.`,
  refresh: "Refresh progress",
  doneHeading: "Import finished",
  done: (p: ImportProgress) =>
    `Created ${n(p.created)}, updated ${n(p.updated)}, unchanged ${n(p.unchanged)}, skipped ${n(p.skipped)}; ${plural(p.invalidRows, "row")} with errors not imported.`,
  skippedCaption: "Skipped rows",
  notFound:
    "This import is not known: it may have been removed after a day without being started. Preview the file again.",
  alreadyStarted: "This import had already been started.",
  another: "Import a file",
  back: "Back to Organizations",
};

type ActionError = { message: string };

export async function loader({ request, context }: LoaderArgs) {
  await requireCapability(context.deps, request, "admin.read");
  const id = new URL(request.url).searchParams.get("import");
  if (!id) return { progress: null, missing: false };
  const progress = /^[0-9a-f-]{36}$/.test(id) ? await loadImport(context.deps, id) : null;
  return { progress, missing: progress === null };
}

/** Stops the multipart parser when `previewImport` finds the upload too large. */
class UploadTooLarge extends Error {}

/** Room for the multipart envelope around the file. */
const ENVELOPE_BYTES = 16 * 1024;

export async function action({ request, context }: ActionArgs) {
  const { user } = await requireCapability(context.deps, request, "admin.manage");
  const refuse = (message: string, status = 400) => data<ActionError>({ message }, { status });
  const page = (id: string) => redirect(`/admin/organizations/import?import=${id}`, 303);
  if ((request.headers.get("Content-Type") ?? "").startsWith("multipart/form-data")) {
    const declared = Number(request.headers.get("Content-Length") ?? "0");
    if (declared > MAX_IMPORT_BYTES + ENVELOPE_BYTES) return refuse(IMPORT_MESSAGES.tooLarge(MB), 413);
    if (!/;\s*boundary=/.test(request.headers.get("Content-Type") ?? "")) return refuse(IMPORT_MESSAGES.noFile);
    let previewed: string | null = null;
    try {
      // The streaming parser the React Router docs recommend: the body is read as it
      // arrives and refused mid-stream once a part passes the cap, whatever the
      // request declared; one file at most.
      await parseMultipartForm(request, { maxFileSize: MAX_IMPORT_BYTES, maxFiles: 1 }, async (upload: FileUpload) => {
        if (upload.fieldName !== "file" || previewed !== null || !upload.name) return null;
        const preview = await previewImport(context.deps, { userId: user.id }, upload.stream(), upload.name);
        // Too large: stop reading the body here, as the parser does past its own cap.
        if (!preview.ok) throw new UploadTooLarge();
        previewed = preview.value;
        return null;
      });
    } catch (error) {
      if (error instanceof UploadTooLarge || error instanceof MaxFileSizeExceededError) {
        return refuse(IMPORT_MESSAGES.tooLarge(MB), 413);
      }
      // A body that is not the multipart form it claims to be (cut short, no closing boundary, more than one file).
      if (error instanceof MultipartParseError || error instanceof FormDataParseError)
        return refuse(IMPORT_MESSAGES.noFile);
      throw error;
    }
    return previewed ? page(previewed) : refuse(IMPORT_MESSAGES.noFile);
  }
  const form = await request.formData();
  const id = String(form.get("import") ?? "");
  const progress = /^[0-9a-f-]{36}$/.test(id) ? await loadImport(context.deps, id) : null;
  if (!progress) return refuse(COPY.notFound, 404);
  await startImport(context.deps, { userId: user.id }, id, await getClient(context, request));
  return page(id);
}

const errorColumns = [
  { key: "row", header: COPY.errorHeaders.row, cell: (e: RowError) => String(e.row) },
  { key: "column", header: COPY.errorHeaders.column, cell: (e: RowError) => e.column },
  { key: "message", header: COPY.errorHeaders.message, cell: (e: RowError) => e.message },
];

const columnRows = IMPORT_COLUMNS.map((c) => ({ ...c }));

export default function ImportOrganizations() {
  const { progress, missing } = useLoaderData<typeof loader>();
  const actionError = useActionData<typeof action>() as ActionError | undefined;
  const busy = useNavigation().state === "submitting";
  const running = progress?.status === "running";
  const revalidator = useRevalidator();
  // With JavaScript, a running import's progress refreshes itself.
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, 2000);
    return () => window.clearInterval(timer);
  }, [running, revalidator]);
  const canImport = progress?.status === "previewed" && !progress.fileError && progress.validRows > 0;
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      {progress ? <ImportStatus progress={progress} busy={busy} canImport={canImport} /> : null}
      {progress ? <h2>{COPY.another}</h2> : null}
      <p>{COPY.intro}</p>
      <p>
        <a href="/admin/organizations/template.csv" download>
          {COPY.template}
        </a>
      </p>
      <Table
        id="import-columns"
        caption={COPY.columnsCaption}
        columns={[
          { key: "column", header: COPY.columnHeaders.column, cell: (c) => <code>{c.column}</code>, rowHeader: true },
          { key: "required", header: COPY.columnHeaders.required, cell: (c) => (c.required ? COPY.yes : COPY.no) },
          { key: "note", header: COPY.columnHeaders.note, cell: (c) => c.note },
        ]}
        rows={columnRows}
        rowKey={(c) => c.column}
        compact
      />
      {actionError ? (
        <Alert variant="error" role="alert">
          <p className="ds-c-alert__text">{actionError.message}</p>
        </Alert>
      ) : null}
      {missing ? (
        <Alert variant="warning" role="alert">
          <p className="ds-c-alert__text">{COPY.notFound}</p>
        </Alert>
      ) : null}
      <Form method="post" encType="multipart/form-data" action="/admin/organizations/import">
        <div className="ds-u-clearfix">
          <label className="ds-c-label" htmlFor="import-file">
            {COPY.file}
          </label>
          <p className="ds-c-hint" id="import-file-hint">
            {COPY.fileHint}
          </p>
          <input
            id="import-file"
            type="file"
            name="file"
            accept=".csv,text/csv"
            required
            aria-describedby="import-file-hint"
          />
        </div>
        <div className="actions">
          <Button variant={canImport ? "secondary" : "primary"} disabled={busy}>
            {COPY.preview}
          </Button>
        </div>
      </Form>
      <p>
        <Link to="/admin/organizations">{COPY.back}</Link>
      </p>
    </div>
  );
}

function ImportStatus({ progress, busy, canImport }: { progress: ImportProgress; busy: boolean; canImport: boolean }) {
  return (
    <>
      {progress.status === "running" ? (
        <section aria-labelledby="import-progress">
          <h2 id="import-progress">{COPY.progressHeading}</h2>
          <label htmlFor="import-progress-bar" className="ds-c-label">
            {COPY.progressLabel}
          </label>
          <progress id="import-progress-bar" max={progress.validRows} value={progress.rowsDone} />
          <p role="status">{COPY.progress(progress)}</p>
          {progress.retrying > 0 ? <p>{COPY.retrying(progress.retrying, progress.lastError)}</p> : null}
          <p className="ds-c-hint">{COPY.progressNote}</p>
          <p>
            <a href={`/admin/organizations/import?import=${progress.id}`}>{COPY.refresh}</a>
          </p>
        </section>
      ) : null}
      {progress.status === "done" ? (
        <Alert variant="success" heading={COPY.doneHeading} role="status">
          <p className="ds-c-alert__text">{COPY.done(progress)}</p>
        </Alert>
      ) : null}
      <section aria-labelledby="import-preview">
        <h2 id="import-preview">{COPY.previewHeading}</h2>
        {progress.fileError ? (
          <Alert variant="error" role="alert">
            <p className="ds-c-alert__text">{progress.fileError}</p>
          </Alert>
        ) : null}
        <p>{COPY.summary(progress)}</p>
        {progress.sha256 ? (
          <p className="ds-c-hint import-fingerprint">{COPY.fingerprint(progress.fileName, progress.sha256)}</p>
        ) : null}
        {progress.errorCount > 0 ? (
          <>
            <p className="ds-c-hint">{COPY.rowNote}</p>
            <Table
              id="import-errors"
              caption={COPY.errorsCaption(Math.min(progress.errorCount, ERRORS_SHOWN), progress.errorCount)}
              columns={errorColumns}
              rows={progress.errors}
              rowKey={(e) => `${e.row}:${e.column}`}
              compact
            />
          </>
        ) : null}
        {canImport ? (
          <Form method="post" action={`/admin/organizations/import?import=${progress.id}`}>
            <input type="hidden" name="import" value={progress.id} />
            <div className="actions">
              <Button disabled={busy}>{COPY.importRows(progress.validRows)}</Button>
            </div>
          </Form>
        ) : null}
      </section>
      {progress.skippedRows.length > 0 ? (
        <Table
          id="import-skipped"
          caption={COPY.skippedCaption}
          columns={errorColumns}
          rows={progress.skippedRows}
          rowKey={(e) => `${e.row}:${e.column}`}
          compact
        />
      ) : null}
    </>
  );
}
