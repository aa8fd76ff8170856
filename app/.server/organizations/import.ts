import type { BatchItem } from "drizzle-orm/batch";
import { CsvError, csvRecords } from "~/lib/csv";
import {
  columnKey,
  ERRORS_SHOWN,
  IDENTIFIER_LABELS,
  IDENTIFIERS,
  IMPORT_COLUMNS,
  IMPORT_MESSAGES,
  MAX_IMPORT_ROWS,
  ORGANIZATION_MESSAGES,
  OrganizationSchema,
  type OrganizationValues,
  valuesOf,
} from "~/lib/organization-admin";
import { auditInsert } from "../audit/record";
import type { Client } from "../http";
import {
  differences,
  holdersOf,
  insertOrganization,
  type OrganizationRecord,
  orgTypeIds,
  updateOrganization,
  type WriteDeps,
} from "./admin";

/**
 * CSV import of organizations (SPEC 2.8), in two requests:
 *
 * 1. Preview: the file is read as a stream (`file.stream()` through a
 *    TextDecoderStream and the RFC 4180 reader in `~/lib/csv`), its SHA-256
 *    computed on the way (a DigestStream on the other branch of a tee), and every
 *    row checked with the form's schema (`OrganizationSchema`), plus: a known
 *    organization type, at least one identifier, and no identifier repeated in
 *    the file. Nothing is written.
 * 2. Import: the same form posts the same file again with the SHA-256 the
 *    preview showed; a different file is refused (and previewed instead). The
 *    valid rows are written in chunks of {@link IMPORT_CHUNK}, one `db.batch()`
 *    each: a row matches an organization by NPI, then CCN, then TIN; a matched
 *    organization is updated only if a value differs (a blank identifier in the
 *    file keeps the stored one), others are created. Each write is conditional
 *    (see `./admin.ts`), so a row whose identifiers belong to two different
 *    organizations, or that another change overtook, is skipped, never forced.
 *    Importing the same file again finds every row unchanged and writes nothing
 *    but the import's own audit event (one per import, with the counts).
 *
 * Bounds: the synchronous path imports at most {@link MAX_IMPORT_ROWS} rows and
 * MAX_IMPORT_BYTES bytes per file; larger files are refused with a
 * message asking to split them (no background import yet).
 */

export const IMPORT_CHUNK = 100;

export interface RowError {
  /** The spreadsheet's row number: the header is row 1. */
  row: number;
  column: string;
  message: string;
}

export interface ImportRow {
  row: number;
  values: OrganizationValues;
}

export interface ParsedImport {
  fileName: string;
  sha256: string;
  /** Data rows read (the header not counted). */
  rows: number;
  valid: ImportRow[];
  /** Rows with at least one error. */
  invalidRows: number;
  errorCount: number;
  /** The first {@link ERRORS_SHOWN} errors. */
  errors: RowError[];
  /** A problem with the whole file: nothing can be imported. */
  fileError: string | null;
}

const FIELD_COLUMN = new Map(IMPORT_COLUMNS.map((c) => [c.field as string, c.column]));

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function parseImport(file: File, orgTypes: Set<string>): Promise<ParsedImport> {
  const result: ParsedImport = {
    fileName: file.name.slice(0, 200),
    sha256: "",
    rows: 0,
    valid: [],
    invalidRows: 0,
    errorCount: 0,
    errors: [],
    fileError: null,
  };
  // Workers' incremental hash (the DOM typing of `crypto` does not list it), fed each chunk on its way to the decoder.
  const { DigestStream: Digest } = crypto as unknown as { DigestStream: typeof DigestStream };
  const digest = new Digest("SHA-256");
  const hashWriter = digest.getWriter();
  const hashing = new TransformStream<Uint8Array, BufferSource>({
    async transform(chunk, controller) {
      // The request body's bytes: never a SharedArrayBuffer.
      const bytes = chunk as Uint8Array<ArrayBuffer>;
      await hashWriter.write(bytes);
      controller.enqueue(bytes);
    },
    async flush() {
      await hashWriter.close();
    },
  });
  const addError = (error: RowError) => {
    result.errorCount++;
    if (result.errors.length < ERRORS_SHOWN) result.errors.push(error);
  };
  /** Identifier value → the row that first gave it. */
  const seen = { ccn: new Map<string, number>(), npi: new Map<string, number>(), tin: new Map<string, number>() };
  let columns: (keyof OrganizationValues | null)[] | null = null;
  const text = file.stream().pipeThrough(hashing).pipeThrough(new TextDecoderStream());
  try {
    for await (const { record, fields } of csvRecords(text)) {
      // After a problem with the whole file, the rest is only read through, so the hash covers every byte.
      if (result.fileError) continue;
      if (!columns) {
        const known = new Map(IMPORT_COLUMNS.map((c) => [columnKey(c.column), c.field]));
        columns = fields.map((h) => known.get(columnKey(h)) ?? null);
        const missing = IMPORT_COLUMNS.filter((c) => c.required && !columns?.includes(c.field)).map((c) => c.column);
        if (missing.length > 0) {
          result.fileError = IMPORT_MESSAGES.missingColumns(missing);
        }
        continue;
      }
      result.rows++;
      if (result.rows > MAX_IMPORT_ROWS) {
        result.fileError = IMPORT_MESSAGES.tooManyRows(MAX_IMPORT_ROWS);
        continue;
      }
      const input: Record<string, string> = {};
      columns.forEach((field, i) => {
        if (field) input[field] = fields[i] ?? "";
      });
      const parsed = OrganizationSchema.safeParse(input);
      const rowErrors: RowError[] = [];
      if (!parsed.success) {
        const byField = new Set<string>();
        for (const issue of parsed.error.issues) {
          const field = String(issue.path[0] ?? "");
          if (byField.has(field)) continue;
          byField.add(field);
          rowErrors.push({ row: record, column: FIELD_COLUMN.get(field) ?? field, message: issue.message });
        }
      } else {
        const values = valuesOf(parsed.data);
        if (!orgTypes.has(values.orgType))
          rowErrors.push({ row: record, column: "org_type", message: ORGANIZATION_MESSAGES.orgType });
        if (!values.ccn && !values.npi && !values.tin)
          rowErrors.push({ row: record, column: "npi", message: IMPORT_MESSAGES.noIdentifier });
        for (const key of IDENTIFIERS) {
          const value = values[key];
          const first = value ? seen[key].get(value) : undefined;
          if (first !== undefined)
            rowErrors.push({
              row: record,
              column: key,
              message: IMPORT_MESSAGES.repeated(IDENTIFIER_LABELS[key], first),
            });
        }
        if (rowErrors.length === 0) {
          for (const key of IDENTIFIERS) {
            const value = values[key];
            if (value) seen[key].set(value, record);
          }
          result.valid.push({ row: record, values });
        }
      }
      if (rowErrors.length > 0) {
        result.invalidRows++;
        for (const e of rowErrors) addError(e);
      }
    }
    if (!columns && !result.fileError) result.fileError = IMPORT_MESSAGES.empty;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    result.fileError = IMPORT_MESSAGES.badCsv(error.record);
  }
  result.sha256 = hex(await digest.digest);
  if (result.fileError) result.valid = [];
  return result;
}

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  /** Rows the preview refused. */
  invalid: number;
}

export interface ImportOutcome extends ImportCounts {
  /** Why rows were skipped (the first {@link ERRORS_SHOWN}). */
  skippedRows: RowError[];
}

/** Which stored organization a row is, or why it cannot be decided. */
function matchRow(
  values: OrganizationValues,
  holders: OrganizationRecord[],
): { match: OrganizationRecord | null } | { conflict: string; column: string } {
  const holderOf = (key: (typeof IDENTIFIERS)[number]) =>
    values[key] ? holders.find((h) => h[key] === values[key]) : undefined;
  const byKey = { npi: holderOf("npi"), ccn: holderOf("ccn"), tin: holderOf("tin") };
  const match = byKey.npi ?? byKey.ccn ?? byKey.tin ?? null;
  for (const key of IDENTIFIERS) {
    const holder = byKey[key];
    if (holder && match && holder.id !== match.id)
      return { conflict: ORGANIZATION_MESSAGES.duplicate(IDENTIFIER_LABELS[key], holder.name), column: key };
  }
  return { match };
}

/** Writes the valid rows of a preview (see the top of this file) and records one audit event with the counts. */
export async function importOrganizations(
  deps: WriteDeps,
  actor: { userId: string },
  parsed: ParsedImport,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<ImportOutcome> {
  const types = await orgTypeIds(deps);
  const outcome: ImportOutcome = {
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    invalid: parsed.invalidRows,
    skippedRows: [],
  };
  const skip = (row: number, column: string, message: string) => {
    outcome.skipped++;
    if (outcome.skippedRows.length < ERRORS_SHOWN) outcome.skippedRows.push({ row, column, message });
  };
  let failure: unknown = null;
  try {
    for (let start = 0; start < parsed.valid.length; start += IMPORT_CHUNK) {
      const chunk = parsed.valid.slice(start, start + IMPORT_CHUNK);
      const ids = { ccn: [] as string[], npi: [] as string[], tin: [] as string[] };
      for (const { values } of chunk)
        for (const key of IDENTIFIERS) if (values[key]) ids[key].push(values[key] as string);
      const holders = await holdersOf(deps, ids);
      const writes: { row: number; kind: "created" | "updated"; statement: BatchItem<"sqlite"> }[] = [];
      for (const { row, values } of chunk) {
        const found = matchRow(values, holders);
        if ("conflict" in found) {
          skip(row, found.column, found.conflict);
          continue;
        }
        const typeId = types.get(values.orgType) as number;
        if (!found.match) {
          writes.push({
            row,
            kind: "created",
            statement: insertOrganization(deps, `import:${crypto.randomUUID()}`, values, typeId),
          });
          continue;
        }
        const match = found.match;
        // A blank identifier in the file keeps the stored one.
        const after: OrganizationValues = {
          ...values,
          ccn: values.ccn ?? match.ccn,
          npi: values.npi ?? match.npi,
          tin: values.tin ?? match.tin,
        };
        if (differences(match, after).changed.length === 0) {
          outcome.unchanged++;
          continue;
        }
        writes.push({
          row,
          kind: "updated",
          statement: updateOrganization(deps, match.id, match, types.get(match.orgType) as number, after, typeId),
        });
      }
      if (writes.length === 0) continue;
      const statements = writes.map((w) => w.statement) as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];
      const results = (await deps.db.batch(statements)) as unknown as { id: number }[][];
      results.forEach((rows, i) => {
        const write = writes[i];
        if (rows.length > 0) outcome[write.kind]++;
        else skip(write.row, "npi", ORGANIZATION_MESSAGES.changed);
      });
    }
  } catch (error) {
    failure = error;
  }
  const { skippedRows: _, ...counts } = outcome;
  await auditInsert(deps, {
    eventType: "organization.imported",
    outcome: failure ? "failure" : "success",
    actorUserId: actor.userId,
    ip: client.ip,
    userAgent: client.userAgent,
    details: { fileName: parsed.fileName, sha256: parsed.sha256, rows: parsed.rows, ...counts },
  });
  if (failure) throw failure;
  return outcome;
}
