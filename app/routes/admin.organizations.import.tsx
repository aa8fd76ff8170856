import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { requireCapability } from "~/.server/guards";
import { getClient } from "~/.server/http";
import { orgTypeNames } from "~/.server/organizations/admin";
import {
  type ImportOutcome,
  importOrganizations,
  type ParsedImport,
  parseImport,
  type RowError,
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

/**
 * Administration › Organizations › Import (SPEC 2.8): upload a CSV file, see
 * every row's problems before anything is written (the preview), then import
 * the valid rows. The confirm button posts the same file again with the SHA-256
 * the preview showed (see `~/.server/organizations/import.ts`): a different file
 * is previewed instead of imported. With JavaScript the chosen file stays in the
 * form; without it, choose it again.
 * Rule: the page, `can(actor, "admin.read")`; previewing and importing,
 * `can(actor, "admin.manage")` (a strong factor from the last 15 minutes, asked
 * before the file is sent, so a step-up never loses a preview).
 */

export const meta: MetaFunction = () => [{ title: "Import organizations - Administration - CMS.gov | QualityNet" }];

const MB = MAX_IMPORT_BYTES / (1024 * 1024);

const COPY = {
  heading: "Import organizations",
  intro: `Upload a CSV file (at most ${MB} MB and ${MAX_IMPORT_ROWS.toLocaleString("en-US")} rows). Its first row names the columns below, in any order. Each row is matched to an organization already in the directory by its NPI, then its CCN, then its TIN: a match is updated only where a value differs, other rows add organizations. Importing the same file again changes nothing.`,
  template: "Download a template (CSV)",
  columnsCaption: "Columns",
  columnHeaders: { column: "Column", required: "Required", note: "What to enter" },
  yes: "Yes",
  no: "No",
  file: "CSV file",
  fileHint: "The preview lists every row's problems; nothing is written until you choose Import.",
  preview: "Preview",
  importRows: (n: number) => `Import ${n.toLocaleString("en-US")} valid row${n === 1 ? "" : "s"}`,
  previewHeading: "Preview",
  summary: (p: Pick<Preview, "rows" | "invalidRows" | "validCount">) =>
    `${p.rows.toLocaleString("en-US")} row${p.rows === 1 ? "" : "s"} read: ${p.validCount.toLocaleString("en-US")} valid, ${p.invalidRows.toLocaleString("en-US")} with errors.`,
  fingerprint: (name: string, sha: string) => `File ${name}, SHA-256 ${sha}.`,
  errorsCaption: (shown: number, total: number) =>
    total > shown
      ? `Errors: the first ${shown} of ${total.toLocaleString("en-US")}`
      : `Errors (${total.toLocaleString("en-US")})`,
  errorHeaders: { row: "Row", column: "Column", message: "Problem" },
  rowNote: "Row numbers count the header as row 1, as a spreadsheet does.",
  doneHeading: "Import finished",
  done: (o: ImportOutcome) =>
    `Created ${o.created}, updated ${o.updated}, unchanged ${o.unchanged}, skipped ${o.skipped}; ${o.invalid} row${o.invalid === 1 ? "" : "s"} with errors not imported.`,
  skippedCaption: "Skipped rows",
  back: "Back to Organizations",
};

type Preview = Omit<ParsedImport, "valid"> & { validCount: number };
type ImportData =
  | { kind: "error"; message: string }
  | { kind: "preview"; preview: Preview; notice?: string }
  | { kind: "done"; outcome: ImportOutcome; preview: Preview };

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireCapability(context.deps, request, "admin.read");
  return null;
}

const publicPreview = ({ valid, ...rest }: ParsedImport): Preview => ({ ...rest, validCount: valid.length });

/** Room for the multipart envelope and the form's other fields around the file. */
const ENVELOPE_BYTES = 16 * 1024;

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireCapability(context.deps, request, "admin.manage");
  const refuse = (message: string, status = 400) => data<ImportData>({ kind: "error", message }, { status });
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_IMPORT_BYTES + ENVELOPE_BYTES) return refuse(IMPORT_MESSAGES.tooLarge(MB), 413);
  const form = await request.formData().catch(() => null);
  if (!form) return refuse(IMPORT_MESSAGES.noFile);
  const file = form.get("file");
  if (!(file instanceof File) || file.size === 0) return refuse(IMPORT_MESSAGES.noFile);
  if (file.size > MAX_IMPORT_BYTES) return refuse(IMPORT_MESSAGES.tooLarge(MB), 413);
  const parsed = await parseImport(file, new Set(await orgTypeNames(context.deps)));
  if (form.get("intent") !== "import") return data<ImportData>({ kind: "preview", preview: publicPreview(parsed) });
  const expected = form.get("sha256");
  if (typeof expected !== "string" || expected === "")
    return data<ImportData>({ kind: "preview", preview: publicPreview(parsed), notice: IMPORT_MESSAGES.notPreviewed });
  if (expected !== parsed.sha256 || parsed.fileError)
    return data<ImportData>(
      { kind: "preview", preview: publicPreview(parsed), notice: IMPORT_MESSAGES.hashMismatch },
      { status: 409 },
    );
  const outcome = await importOrganizations(
    context.deps,
    { userId: user.id },
    parsed,
    await getClient(context, request),
  );
  return data<ImportData>({ kind: "done", outcome, preview: publicPreview(parsed) });
}

const errorColumns = [
  { key: "row", header: COPY.errorHeaders.row, cell: (e: RowError) => String(e.row) },
  { key: "column", header: COPY.errorHeaders.column, cell: (e: RowError) => e.column },
  { key: "message", header: COPY.errorHeaders.message, cell: (e: RowError) => e.message },
];

const columnRows = IMPORT_COLUMNS.map((c) => ({ ...c }));

export default function ImportOrganizations() {
  const result = useActionData<typeof action>() as ImportData | undefined;
  const busy = useNavigation().state === "submitting";
  const preview = result && result.kind !== "error" ? result.preview : null;
  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
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
      {result?.kind === "error" ? (
        <Alert variant="error" role="alert">
          <p className="ds-c-alert__text">{result.message}</p>
        </Alert>
      ) : null}
      {result?.kind === "done" ? (
        <Alert variant="success" heading={COPY.doneHeading} role="status">
          <p className="ds-c-alert__text">{COPY.done(result.outcome)}</p>
        </Alert>
      ) : null}
      {result?.kind === "preview" && result.notice ? (
        <Alert variant="warning" role="alert">
          <p className="ds-c-alert__text">{result.notice}</p>
        </Alert>
      ) : null}
      <Form method="post" encType="multipart/form-data">
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
        {preview && result?.kind === "preview" && !preview.fileError ? (
          <input type="hidden" name="sha256" value={preview.sha256} />
        ) : null}
        <div className="actions">
          <Button name="intent" value="preview" variant={preview ? "secondary" : "primary"} disabled={busy}>
            {COPY.preview}
          </Button>
          {preview && result?.kind === "preview" && !preview.fileError && preview.validCount > 0 ? (
            <Button name="intent" value="import" disabled={busy}>
              {COPY.importRows(preview.validCount)}
            </Button>
          ) : null}
        </div>
      </Form>
      {preview ? (
        <section aria-labelledby="import-preview">
          <h2 id="import-preview">{COPY.previewHeading}</h2>
          {preview.fileError ? (
            <Alert variant="error" role="alert">
              <p className="ds-c-alert__text">{preview.fileError}</p>
            </Alert>
          ) : null}
          <p>{COPY.summary(preview)}</p>
          <p className="ds-c-hint">{COPY.fingerprint(preview.fileName, preview.sha256)}</p>
          {preview.errorCount > 0 ? (
            <>
              <p className="ds-c-hint">{COPY.rowNote}</p>
              <Table
                id="import-errors"
                caption={COPY.errorsCaption(Math.min(preview.errorCount, ERRORS_SHOWN), preview.errorCount)}
                columns={errorColumns}
                rows={preview.errors}
                rowKey={(e) => `${e.row}:${e.column}`}
                compact
              />
            </>
          ) : null}
        </section>
      ) : null}
      {result?.kind === "done" && result.outcome.skippedRows.length > 0 ? (
        <Table
          id="import-skipped"
          caption={COPY.skippedCaption}
          columns={errorColumns}
          rows={result.outcome.skippedRows}
          rowKey={(e) => `${e.row}:${e.column}`}
          compact
        />
      ) : null}
      <p>
        <Link to="/admin/organizations">{COPY.back}</Link>
      </p>
    </div>
  );
}
