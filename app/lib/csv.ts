/**
 * A small streaming CSV reader (RFC 4180): fields separated by commas, records
 * by CRLF or LF, fields in double quotes may hold commas, line breaks and
 * doubled quotes (""). It reads text chunk by chunk and yields one record at a
 * time, so a large file is never held as one string nor as an array of lines.
 * A byte-order mark at the start is dropped; blank lines are skipped.
 */

/** A record may hold at most this many fields, each at most this long: a hostile file cannot fill memory. */
export const CSV_MAX_FIELDS = 64;
export const CSV_MAX_FIELD_LENGTH = 4096;

export class CsvError extends Error {
  constructor(
    readonly record: number,
    readonly kind: "quote" | "size" = "quote",
  ) {
    super(kind === "quote" ? `Unfinished quoted value in record ${record}` : `Record ${record} is too long`);
  }
}

/** Yields each record's fields; `record` counts records from 1 (the header is record 1). */
export async function* csvRecords(text: ReadableStream<string>): AsyncGenerator<{ record: number; fields: string[] }> {
  const reader = text.getReader();
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  /** Inside quotes, a quote just seen: the end of the value or the first of "". */
  let quotePending = false;
  /** Whether the current record has any content yet (blank lines are skipped). */
  let started = false;
  let record = 0;
  let first = true;
  const endRecord = () => {
    fields.push(field);
    const done = fields;
    fields = [];
    field = "";
    started = false;
    return done;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let chunk = value;
      if (first) {
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        if (chunk.length > 0) first = false;
      }
      const out: string[][] = [];
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        const c = chunk[i];
        if (quoted) {
          if (quotePending) {
            quotePending = false;
            if (c === '"') {
              field += '"';
              i++;
              continue;
            }
            quoted = false;
            // Fall through: this character follows the closing quote.
          } else {
            // Copy a run of plain characters at once.
            const next = chunk.indexOf('"', i);
            if (next === -1) {
              field += chunk.slice(i);
              i = n;
            } else {
              field += chunk.slice(i, next);
              quotePending = true;
              i = next + 1;
            }
            continue;
          }
        }
        if (c === ",") {
          fields.push(field);
          field = "";
          started = true;
        } else if (c === "\n") {
          if (started || field !== "") out.push(endRecord());
          else fields = [];
        } else if (c === "\r") {
          // CR before LF ends the record at the LF; a lone CR is dropped.
        } else if (c === '"' && field === "") {
          quoted = true;
          started = true;
        } else {
          field += c;
          started = true;
        }
        i++;
      }
      // Checked once a chunk: what is held stays within a chunk and these bounds.
      if (
        fields.length >= CSV_MAX_FIELDS ||
        field.length > CSV_MAX_FIELD_LENGTH ||
        out.some((f) => f.length > CSV_MAX_FIELDS || f.some((v) => v.length > CSV_MAX_FIELD_LENGTH))
      ) {
        const at = out.findIndex((f) => f.length > CSV_MAX_FIELDS || f.some((v) => v.length > CSV_MAX_FIELD_LENGTH));
        throw new CsvError(record + 1 + (at === -1 ? out.length : at), "size");
      }
      for (const f of out) yield { record: ++record, fields: f };
    }
    if (quoted && !quotePending) throw new CsvError(record + 1);
    if (started || field !== "") yield { record: ++record, fields: endRecord() };
  } finally {
    reader.releaseLock();
  }
}
