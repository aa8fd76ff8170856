import { and, asc, eq, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { CSV_MAX_FIELD_LENGTH, CSV_MAX_FIELDS, CsvError, csvRecords } from "~/lib/csv";
import {
  columnKey,
  ERRORS_SHOWN,
  IDENTIFIER_LABELS,
  IDENTIFIERS,
  IMPORT_COLUMNS,
  IMPORT_MESSAGES,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
  ORGANIZATION_MESSAGES,
  OrganizationSchema,
  type OrganizationValues,
  valuesOf,
} from "~/lib/organization-admin";
import { auditInsert } from "../audit/record";
import type { Client } from "../client";
import {
  auditEvents,
  organizationImportChunks as chunks,
  organizationImports as imports,
  organizations,
} from "../db/schema";
import type { Deps } from "../deps";
import type { ImportChunkMessage } from "../mail/messages";
import { fail, ok, type Result } from "../result";
import {
  differences,
  holdersOf,
  insertOrganization,
  type OrganizationRecord,
  organizationAudit,
  orgTypeIds,
  updateOrganization,
} from "./admin";

/**
 * CSV import of organizations (SPEC 2.8), in the background:
 *
 * 1. Preview (`previewImport`): the upload is read as a stream (the multipart
 *    body straight from the request, through a TextDecoderStream and the RFC 4180
 *    reader in `~/lib/csv`), its SHA-256 computed on the way, and every row
 *    checked with the form's schema (`OrganizationSchema`), plus: a known
 *    organization type, at least one identifier, and no identifier repeated in
 *    the file. Nothing is written to the directory: the valid rows are staged in
 *    `organization_import_chunks`, {@link IMPORT_CHUNK} rows a chunk, a few
 *    chunks a D1 batch, so memory holds one chunk and the identifiers seen.
 * 2. Import (`startImport`): one conditional update moves the import from
 *    previewed to running (a second click, or a second administrator, finds it
 *    running), with its audit event in the same batch; then one queue message a
 *    chunk goes to the import queue.
 * 3. Each chunk (`writeImportChunk`, the import queue's consumer): a row matches
 *    an organization by NPI, then CCN, then TIN; a matched organization is
 *    updated only if a value differs (a blank identifier in the file keeps the
 *    stored one), others are created. Every write is conditional (see
 *    `./admin.ts`) and followed by its own audit event (`changes() > 0`), and
 *    the chunk is marked done in the same `db.batch()`: a redelivered or
 *    concurrent message writes nothing more. A row whose identifiers belong to
 *    two organizations, or that another change overtook, is skipped, never forced.
 * 4. The last chunk to finish marks the import done and writes its
 *    `organization.imported` event with the totals (one conditional batch).
 *    Importing the same file again finds every row unchanged.
 *
 * The cron re-queues chunks of a running import that no consumer finished within
 * {@link STALLED_AFTER_MS} (a lost message, a send that failed half-way), and
 * removes imports that were previewed but never started after a day, and all
 * others after {@link KEEP_IMPORTS_DAYS} days (the audit log keeps their events).
 */

export const IMPORT_CHUNK = 100;
/** Staged chunks written per D1 batch during the preview. */
const STAGE_BATCH = 20;
export const STALLED_AFTER_MS = 15 * 60 * 1000;
/** After this many failed attempts a chunk's rows are reported as not written, and its import can finish. */
export const MAX_CHUNK_ATTEMPTS = 20;
const KEEP_IMPORTS_DAYS = 30;
const DAY = 24 * 60 * 60 * 1000;

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
  validCount: number;
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

/**
 * Reads and checks a CSV upload row by row; each valid row goes to `onValid` as
 * it is read (see the top of this file). Never holds the file.
 */
export async function parseImport(
  input: ReadableStream<Uint8Array>,
  fileName: string,
  orgTypes: Set<string>,
  onValid: (row: ImportRow) => Promise<void>,
): Promise<ParsedImport> {
  const result: ParsedImport = {
    fileName: fileName.slice(0, 200),
    sha256: "",
    rows: 0,
    validCount: 0,
    invalidRows: 0,
    errorCount: 0,
    errors: [],
    fileError: null,
  };
  // Workers' incremental hash (the DOM typing of `crypto` does not list it), fed each chunk on its way to the decoder.
  const { DigestStream: Digest } = crypto as unknown as { DigestStream: typeof DigestStream };
  const digest = new Digest("SHA-256");
  const hashWriter = digest.getWriter();
  let bytesRead = 0;
  const hashing = new TransformStream<Uint8Array, BufferSource>({
    async transform(chunk, controller) {
      // The request body's bytes: never a SharedArrayBuffer.
      const bytes = chunk as Uint8Array<ArrayBuffer>;
      bytesRead += bytes.byteLength;
      // Refused mid-stream, whatever the request declared.
      if (bytesRead > MAX_IMPORT_BYTES) throw new ImportTooLarge();
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
  const text = input.pipeThrough(hashing).pipeThrough(new TextDecoderStream());
  try {
    for await (const { record, fields } of csvRecords(text)) {
      // A problem with the whole file: nothing of it can be imported, so the rest is not read.
      if (result.fileError) break;
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
          result.validCount++;
          await onValid({ row: record, values });
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
    result.fileError =
      error.kind === "size"
        ? IMPORT_MESSAGES.rowTooLong(error.record, CSV_MAX_FIELDS, CSV_MAX_FIELD_LENGTH)
        : IMPORT_MESSAGES.badCsv(error.record);
  }
  if (result.fileError) {
    // The rest is read through the same stream, unparsed (the upload's parts must be read to their end),
    // still counted against the size limit. No fingerprint: nothing of this file can be imported.
    const reader = text.getReader();
    while (!(await reader.read()).done);
    result.validCount = 0;
    return result;
  }
  result.sha256 = hex(await digest.digest);
  return result;
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

/** Stops reading an upload that passes {@link MAX_IMPORT_BYTES}: `previewImport` answers `too_large`. */
class ImportTooLarge extends Error {}

export type ImportDeps = Pick<Deps, "db" | "now" | "traceId">;

/**
 * The preview: reads the upload, stages its valid rows and records the counts
 * and first errors. Returns the import's id (the page `?import=<id>` shows it),
 * or `too_large` when the upload passed {@link MAX_IMPORT_BYTES} (nothing is kept;
 * the reading stopped there).
 */
export async function previewImport(
  deps: ImportDeps,
  actor: { userId: string },
  input: ReadableStream<Uint8Array>,
  fileName: string,
): Promise<Result<string, "too_large">> {
  const id = crypto.randomUUID();
  const orgTypes = new Set((await orgTypeIds(deps)).keys());
  await deps.db.insert(imports).values({
    id,
    actorUserId: actor.userId,
    fileName: fileName.slice(0, 200),
    sha256: "",
    status: "staging",
    createdAt: deps.now(),
  });
  let current: ImportRow[] = [];
  let staged: BatchItem<"sqlite">[] = [];
  let seq = 0;
  const cut = () => {
    if (current.length === 0) return;
    staged.push(
      deps.db
        .insert(chunks)
        .values({ importId: id, seq: seq++, rowsJson: JSON.stringify(current), rowCount: current.length }),
    );
    current = [];
  };
  const flush = async () => {
    if (staged.length === 0) return;
    const statements = staged as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];
    staged = [];
    await deps.db.batch(statements);
  };
  let parsed: ParsedImport;
  try {
    parsed = await parseImport(input, fileName, orgTypes, async (row) => {
      current.push(row);
      if (current.length === IMPORT_CHUNK) cut();
      if (staged.length === STAGE_BATCH) await flush();
    });
  } catch (error) {
    // Nothing of a refused upload is kept.
    await deps.db.delete(imports).where(eq(imports.id, id));
    if (error instanceof ImportTooLarge) return fail("too_large");
    throw error;
  }
  if (!parsed.fileError) {
    cut();
    await flush();
  }
  const record = deps.db
    .update(imports)
    .set({
      status: "previewed",
      sha256: parsed.sha256,
      rows: parsed.rows,
      validRows: parsed.validCount,
      invalidRows: parsed.invalidRows,
      errorCount: parsed.errorCount,
      errorsJson: JSON.stringify(parsed.errors),
      fileError: parsed.fileError,
      chunks: parsed.fileError ? 0 : seq,
    })
    .where(eq(imports.id, id));
  if (parsed.fileError) await deps.db.batch([deps.db.delete(chunks).where(eq(chunks.importId, id)), record]);
  else await record;
  return ok(id);
}

export interface ImportProgress {
  id: string;
  fileName: string;
  sha256: string;
  status: "staging" | "previewed" | "running" | "done";
  rows: number;
  validRows: number;
  invalidRows: number;
  errorCount: number;
  errors: RowError[];
  fileError: string | null;
  chunks: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Rows of finished chunks. */
  rowsDone: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  /** Why rows were skipped (the first {@link ERRORS_SHOWN}). */
  skippedRows: RowError[];
  /** Chunks whose last attempt failed and that wait to be retried, with one of their errors. */
  retrying: number;
  lastError: string | null;
}

/** An import's preview and progress: one `db.batch()`. */
export async function loadImport(deps: Pick<Deps, "db">, id: string): Promise<ImportProgress | null> {
  const [job, totals, skippedLists] = await deps.db.batch([
    deps.db.select().from(imports).where(eq(imports.id, id)),
    deps.db
      .select({
        rowsDone: sql<number>`coalesce(sum(CASE WHEN ${chunks.status} = 'done' THEN ${chunks.rowCount} END), 0)`,
        created: sql<number>`coalesce(sum(${chunks.created}), 0)`,
        updated: sql<number>`coalesce(sum(${chunks.updated}), 0)`,
        unchanged: sql<number>`coalesce(sum(${chunks.unchanged}), 0)`,
        skipped: sql<number>`coalesce(sum(${chunks.skipped}), 0)`,
        retrying: sql<number>`coalesce(sum(CASE WHEN ${chunks.status} = 'pending' AND ${chunks.lastError} IS NOT NULL THEN 1 END), 0)`,
        lastError: sql<
          string | null
        >`(SELECT ${chunks.lastError} FROM ${chunks} WHERE ${chunks.importId} = ${id} AND ${chunks.status} = 'pending' AND ${chunks.lastError} IS NOT NULL LIMIT 1)`,
      })
      .from(chunks)
      .where(eq(chunks.importId, id)),
    deps.db
      .select({ skippedJson: chunks.skippedJson })
      .from(chunks)
      .where(and(eq(chunks.importId, id), sql`${chunks.skipped} > 0`))
      .orderBy(asc(chunks.seq))
      .limit(ERRORS_SHOWN),
  ]);
  const row = job[0];
  if (!row) return null;
  const t = totals[0];
  const skippedRows = skippedLists.flatMap((c) => JSON.parse(c.skippedJson) as RowError[]).slice(0, ERRORS_SHOWN);
  return {
    id: row.id,
    fileName: row.fileName,
    sha256: row.sha256,
    status: row.status,
    rows: row.rows,
    validRows: row.validRows,
    invalidRows: row.invalidRows,
    errorCount: row.errorCount,
    errors: JSON.parse(row.errorsJson) as RowError[],
    fileError: row.fileError,
    chunks: row.chunks,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    rowsDone: Number(t?.rowsDone ?? 0),
    created: Number(t?.created ?? 0),
    updated: Number(t?.updated ?? 0),
    unchanged: Number(t?.unchanged ?? 0),
    skipped: Number(t?.skipped ?? 0),
    skippedRows,
    retrying: Number(t?.retrying ?? 0),
    lastError: t?.lastError ?? null,
  };
}

function chunkMessages(importId: string, seqs: number[]): ImportChunkMessage[] {
  return seqs.map((seq) => ({ type: "organization-import", importId, seq }));
}

/**
 * "Import": previewed → running in one conditional update with its audit event,
 * then one message a chunk. False when the import was already started (or has
 * nothing to import): nothing is queued twice.
 */
export async function startImport(
  deps: ImportDeps & Pick<Deps, "enqueueImport">,
  actor: { userId: string },
  id: string,
  client: Pick<Client, "ip" | "userAgent">,
): Promise<boolean> {
  const now = deps.now();
  const [started] = await deps.db.batch([
    deps.db
      .update(imports)
      .set({ status: "running", startedAt: now, startedByUserId: actor.userId })
      .where(
        and(
          eq(imports.id, id),
          eq(imports.status, "previewed"),
          isNull(imports.fileError),
          sql`${imports.validRows} > 0`,
        ),
      )
      .returning({ chunks: imports.chunks, fileName: imports.fileName, sha256: imports.sha256, rows: imports.rows }),
    auditInsert(
      deps,
      {
        eventType: "organization.import_started",
        outcome: "success",
        actorUserId: actor.userId,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { importId: id },
      },
      sql`changes() > 0`,
    ),
  ]);
  const job = started[0];
  if (!job) return false;
  await deps.enqueueImport(
    chunkMessages(
      id,
      Array.from({ length: job.chunks }, (_, i) => i),
    ),
  );
  await deps.db.update(chunks).set({ enqueuedAt: now }).where(eq(chunks.importId, id));
  return true;
}

type ChunkWrite = { row: number; kind: "created" | "updated"; statements: [BatchItem<"sqlite">, BatchItem<"sqlite">] };

/**
 * Writes one chunk (see the top of this file). Returns what happened to it:
 * "written" by this call, or "done" already (by another delivery, or its import
 * is gone).
 */
export async function writeImportChunk(
  deps: ImportDeps,
  message: Pick<ImportChunkMessage, "importId" | "seq">,
): Promise<"written" | "done"> {
  const found = await deps.db
    .select({
      rowsJson: chunks.rowsJson,
      status: chunks.status,
      importStatus: imports.status,
      actorUserId: imports.startedByUserId,
    })
    .from(chunks)
    .innerJoin(imports, eq(imports.id, chunks.importId))
    .where(and(eq(chunks.importId, message.importId), eq(chunks.seq, message.seq)))
    .get();
  if (!found || found.status === "done" || found.importStatus !== "running" || !found.actorUserId) return "done";
  const actor = { userId: found.actorUserId };
  const who = { ip: null, userAgent: null };
  const rows = JSON.parse(found.rowsJson) as ImportRow[];
  const types = await orgTypeIds(deps);
  const ids = { ccn: [] as string[], npi: [] as string[], tin: [] as string[] };
  for (const { values } of rows) for (const key of IDENTIFIERS) if (values[key]) ids[key].push(values[key] as string);
  const holders = await holdersOf(deps, ids);
  const counts = { unchanged: 0 };
  const skippedRows: RowError[] = [];
  const writes: ChunkWrite[] = [];
  const where = { importId: message.importId };
  for (const { row, values } of rows) {
    const matched = matchRow(values, holders);
    if ("conflict" in matched) {
      skippedRows.push({ row, column: matched.column, message: matched.conflict });
      continue;
    }
    const typeId = types.get(values.orgType);
    if (typeId === undefined) {
      // The type was removed between the preview and this chunk.
      skippedRows.push({ row, column: "org_type", message: ORGANIZATION_MESSAGES.orgType });
      continue;
    }
    const match = matched.match;
    if (!match) {
      // One key per import and row: a second delivery could never add the row twice.
      const externalKey = `import:${message.importId}:${row}`;
      writes.push({
        row,
        kind: "created",
        statements: [
          insertOrganization(deps, externalKey, values, typeId),
          organizationAudit(deps, {
            eventType: "organization.created",
            actor,
            client: who,
            organizationId: sql`(SELECT ${organizations.id} FROM ${organizations} WHERE ${organizations.externalKey} = ${externalKey})`,
            details: { after: values, ...where, row },
          }),
        ],
      });
      continue;
    }
    // A blank identifier in the file keeps the stored one.
    const after: OrganizationValues = {
      ...values,
      ccn: values.ccn ?? match.ccn,
      npi: values.npi ?? match.npi,
      tin: values.tin ?? match.tin,
    };
    const diff = differences(match, after);
    if (diff.changed.length === 0) {
      counts.unchanged++;
      continue;
    }
    writes.push({
      row,
      kind: "updated",
      statements: [
        updateOrganization(deps, match.id, match, types.get(match.orgType) as number, after, typeId),
        organizationAudit(deps, {
          eventType: "organization.updated",
          actor,
          client: who,
          organizationId: match.id,
          details: { before: diff.before, after: diff.after, ...where, row },
        }),
      ],
    });
  }
  const thisChunk = and(
    eq(chunks.importId, message.importId),
    eq(chunks.seq, message.seq),
    eq(chunks.status, "pending"),
  );
  // Counted in the same batch, after each write's audit event: +1 only if that event was written (`changes() > 0`),
  // that is, only if the write happened. A write whose condition no longer held (another change overtook it) is
  // counted as skipped by the last statement.
  const count = (kind: ChunkWrite["kind"]) =>
    deps.db
      .update(chunks)
      .set({ [kind]: sql`${chunks[kind]} + 1` })
      .where(and(thisChunk, sql`changes() > 0`));
  const listed = skippedRows.length;
  // The writes, their events and counts, and "done": one transaction, all of it or none.
  const results = (await deps.db.batch([
    ...writes.flatMap((w) => [...w.statements, count(w.kind)]),
    deps.db
      .update(chunks)
      .set({
        status: "done",
        unchanged: counts.unchanged,
        skipped: sql`${chunks.rowCount} - ${chunks.created} - ${chunks.updated} - ${counts.unchanged}`,
        skippedJson: JSON.stringify(skippedRows.slice(0, ERRORS_SHOWN)),
        rowsJson: "[]",
        finishedAt: deps.now(),
      })
      .where(thisChunk)
      .returning({ seq: chunks.seq }),
  ] as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];
  if (results[results.length - 1].length === 0) return "done";
  // Name the overtaken rows on the page (their count is already right).
  const missed = writes.filter((_, i) => results[i * 3].length === 0);
  if (missed.length > 0 && listed < ERRORS_SHOWN) {
    for (const w of missed) skippedRows.push({ row: w.row, column: "npi", message: ORGANIZATION_MESSAGES.changed });
    skippedRows.sort((x, y) => x.row - y.row);
    await deps.db
      .update(chunks)
      .set({ skippedJson: JSON.stringify(skippedRows.slice(0, ERRORS_SHOWN)) })
      .where(and(eq(chunks.importId, message.importId), eq(chunks.seq, message.seq)));
  }
  await finishImport(deps, message.importId);
  return "written";
}

/** Marks an import done once no chunk is pending, with its event and totals: one conditional batch. */
export async function finishImport(deps: ImportDeps, id: string) {
  const job = await deps.db.select().from(imports).where(eq(imports.id, id)).get();
  if (job?.status !== "running") return;
  const now = deps.now();
  const sum = (column: SQLiteColumn) =>
    sql`coalesce((SELECT sum(${column}) FROM ${chunks} WHERE ${chunks.importId} = ${id}), 0)`;
  await deps.db.batch([
    deps.db
      .update(imports)
      .set({ status: "done", finishedAt: now })
      .where(
        and(
          eq(imports.id, id),
          eq(imports.status, "running"),
          sql`NOT EXISTS (SELECT 1 FROM ${chunks} WHERE ${chunks.importId} = ${id} AND ${chunks.status} = 'pending')`,
        ),
      ),
    deps.db
      .insert(auditEvents)
      .select(
        sql`SELECT NULL, ${now.getTime()}, 'organization.imported', 'success', ${job.startedByUserId}, NULL, NULL, NULL, NULL, NULL, ${deps.traceId}, NULL, json_object('importId', ${id}, 'fileName', ${job.fileName}, 'sha256', ${job.sha256}, 'rows', ${job.rows}, 'created', ${sum(chunks.created)}, 'updated', ${sum(chunks.updated)}, 'unchanged', ${sum(chunks.unchanged)}, 'skipped', ${sum(chunks.skipped)}, 'invalid', ${job.invalidRows}) WHERE changes() > 0`,
      ),
  ]);
}

/**
 * Cron: queues again the chunks of running imports that nobody finished within
 * {@link STALLED_AFTER_MS} of being queued (or that were never queued), at most
 * `limit` a run; removes stale imports (see the top of this file).
 */
export async function resumeImports(deps: ImportDeps & Pick<Deps, "enqueueImport">, limit = 1000) {
  const now = deps.now();
  const givenUp = await giveUpFailingChunks(deps);
  const stalled = await deps.db
    .select({ importId: chunks.importId, seq: chunks.seq })
    .from(chunks)
    .innerJoin(imports, eq(imports.id, chunks.importId))
    .where(
      pendingInRunningImport(
        and(
          lt(chunks.attempts, MAX_CHUNK_ATTEMPTS),
          or(isNull(chunks.enqueuedAt), lt(chunks.enqueuedAt, new Date(now.getTime() - STALLED_AFTER_MS))),
        ),
      ),
    )
    .limit(limit);
  if (stalled.length > 0) {
    await deps.enqueueImport(stalled.map((c) => ({ type: "organization-import", importId: c.importId, seq: c.seq })));
    const byImport = new Map<string, number[]>();
    for (const c of stalled) byImport.set(c.importId, [...(byImport.get(c.importId) ?? []), c.seq]);
    for (const [importId, seqs] of byImport)
      await deps.db
        .update(chunks)
        .set({ enqueuedAt: now })
        .where(
          and(
            eq(chunks.importId, importId),
            sql`${chunks.seq} IN (SELECT value FROM json_each(${JSON.stringify(seqs)}))`,
          ),
        );
  }
  // Finished imports whose last chunk's finishing step did not run.
  const running = await deps.db
    .select({ id: imports.id })
    .from(imports)
    .where(
      and(
        eq(imports.status, "running"),
        sql`NOT EXISTS (SELECT 1 FROM ${chunks} WHERE ${chunks.importId} = ${imports.id} AND ${chunks.status} = 'pending')`,
      ),
    )
    .limit(100);
  for (const { id } of running) await finishImport(deps, id);
  const removed = await deps.db
    .delete(imports)
    .where(
      or(
        and(inArray(imports.status, ["staging", "previewed"]), lt(imports.createdAt, new Date(now.getTime() - DAY))),
        and(eq(imports.status, "done"), lt(imports.createdAt, new Date(now.getTime() - KEEP_IMPORTS_DAYS * DAY))),
      ),
    )
    .returning({ id: imports.id });
  return { requeued: stalled.length, givenUp, finished: running.length, removed: removed.length };
}

/**
 * Chunks that failed {@link MAX_CHUNK_ATTEMPTS} times: their rows are reported
 * as skipped, with the error, so the import finishes and says which rows to
 * import again. Conditional on the chunk still pending.
 */
async function giveUpFailingChunks(deps: ImportDeps): Promise<number> {
  const failing = await deps.db
    .select({ importId: chunks.importId, seq: chunks.seq, rowsJson: chunks.rowsJson, lastError: chunks.lastError })
    .from(chunks)
    .innerJoin(imports, eq(imports.id, chunks.importId))
    .where(pendingInRunningImport(sql`${chunks.attempts} >= ${MAX_CHUNK_ATTEMPTS}`))
    .limit(100);
  for (const chunk of failing) {
    let rows: number[] = [];
    try {
      rows = (JSON.parse(chunk.rowsJson) as ImportRow[]).map((r) => r.row);
    } catch {
      // Unreadable rows: reported without their numbers.
    }
    const first = rows.length > 0 ? Math.min(...rows) : 0;
    const last = rows.length > 0 ? Math.max(...rows) : 0;
    await deps.db
      .update(chunks)
      .set({
        status: "done",
        created: 0,
        updated: 0,
        unchanged: 0,
        skipped: sql`${chunks.rowCount}`,
        skippedJson: JSON.stringify([
          { row: first, column: "", message: IMPORT_MESSAGES.notWritten(first, last, chunk.lastError ?? "") },
        ]),
        rowsJson: "[]",
        finishedAt: deps.now(),
      })
      .where(and(eq(chunks.importId, chunk.importId), eq(chunks.seq, chunk.seq), eq(chunks.status, "pending")));
  }
  return failing.length;
}

/** A chunk still to write, of an import that is running (chunks joined to imports), and `also`. */
function pendingInRunningImport(also: SQL | undefined) {
  return and(eq(chunks.status, "pending"), eq(imports.status, "running"), also);
}

/** Records a chunk's failed attempt, so the page can say it is being retried. */
export async function recordChunkFailure(
  deps: Pick<Deps, "db">,
  message: Pick<ImportChunkMessage, "importId" | "seq">,
  error: unknown,
) {
  await deps.db
    .update(chunks)
    .set({ attempts: sql`${chunks.attempts} + 1`, lastError: String(error).slice(0, 300) })
    .where(and(eq(chunks.importId, message.importId), eq(chunks.seq, message.seq)));
}
