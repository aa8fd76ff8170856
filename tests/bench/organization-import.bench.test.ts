import { createMessageBatch, env } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { createDb } from "../../app/.server/db/client";
import type { ImportChunkMessage } from "../../app/.server/mail/messages";
import { loadImport, previewImport, startImport } from "../../app/.server/organizations/import";
import { npiCheckDigit } from "../../app/lib/organization-identifiers";
import { handleImportBatch, IMPORT_QUEUE } from "../../worker/queue";
import { seedDatabase } from "../factories/seed";

/**
 * A CSV import of 100,000 organizations inside workerd against local D1: the
 * preview (the file streamed, checked and staged) and the writes (the import
 * queue's consumer, four chunk messages a batch as wrangler.toml delivers them),
 * then the same file again (every row matched and unchanged). Prints rows per
 * second for each; fails only far below what the product needs, so a busy
 * machine does not break it.
 */
const ROWS = 100_000;
const FLOOR_ROWS_PER_SECOND = 200;
const BATCH = 4;

const ADMIN = crypto.randomUUID();

function csv(): string {
  const lines = ["name,org_type,address1,address2,city,state,zip,country,ccn,npi,tin"];
  for (let i = 0; i < ROWS; i++) {
    const nine = String(100_000_000 + i);
    lines.push(
      `Bench Import Clinic ${i},Provider,${i} Main Street,,Columbus,OH,43215,US,B${String(i).padStart(5, "0").slice(-5)},${nine}${npiCheckDigit(nine)},`,
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

function streamOfText(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      // 64 KB at a time, as a request body arrives.
      controller.enqueue(bytes.slice(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

async function runOnce(file: string) {
  const deps = { db: createDb(env.DB), now: () => new Date(), traceId: "bench" };
  let t = performance.now();
  const preview = await previewImport(deps, { userId: ADMIN }, streamOfText(file), "bench.csv");
  if (!preview.ok) throw new Error(`The bench file was refused: ${preview.code}`);
  const id = preview.value;
  const previewMs = performance.now() - t;
  const sent: ImportChunkMessage[] = [];
  await startImport(
    {
      ...deps,
      enqueueImport: async (m) => {
        sent.push(...m);
      },
    },
    { userId: ADMIN },
    id,
    { ip: null, userAgent: null },
  );
  t = performance.now();
  for (let i = 0; i < sent.length; i += BATCH) {
    const batch = createMessageBatch<ImportChunkMessage>(
      IMPORT_QUEUE,
      sent.slice(i, i + BATCH).map((body, j) => ({ id: `b-${i + j}`, timestamp: new Date(), attempts: 1, body })),
    );
    await handleImportBatch(batch, env);
  }
  const writeMs = performance.now() - t;
  const progress = await loadImport(deps, id);
  return { previewMs, writeMs, chunks: sent.length, progress };
}

beforeAll(async () => {
  await seedDatabase(env.DB);
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO users (id, login_id, first_name, last_name, email, created_at, updated_at) VALUES (?, 'BENCHADM01', 'Bench', 'Admin', 'bench@example.test', ?, ?)",
  )
    .bind(ADMIN, now, now)
    .run();
}, 120_000);

it("imports 100,000 organizations through the queue, then the same file again", async () => {
  const file = csv();
  const first = await runOnce(file);
  // A few rows share an identifier with a seeded organization, which they update.
  expect(first.progress).toMatchObject({ status: "done", skipped: 0, invalidRows: 0 });
  expect((first.progress?.created ?? 0) + (first.progress?.updated ?? 0)).toBe(ROWS);
  const again = await runOnce(file);
  expect(again.progress).toMatchObject({ status: "done", unchanged: ROWS, created: 0, updated: 0 });

  const rate = (ms: number) => Math.round(ROWS / (ms / 1000));
  const line = (label: string, r: typeof first) =>
    `| ${label} | ${(r.previewMs / 1000).toFixed(1)} s (${rate(r.previewMs).toLocaleString("en-US")} rows/s) | ${(r.writeMs / 1000).toFixed(1)} s (${rate(r.writeMs).toLocaleString("en-US")} rows/s) | ${rate(r.previewMs + r.writeMs).toLocaleString("en-US")} rows/s |`;
  console.log(
    [
      "",
      `| CSV import, ${ROWS.toLocaleString("en-US")} rows (${(file.length / 1024 / 1024).toFixed(1)} MB, ${first.chunks} chunks) | preview (stream, check, stage) | write (queue consumer) | overall |`,
      "| --- | --- | --- | --- |",
      line("new organizations", first),
      line("the same file again (unchanged)", again),
      "",
    ].join("\n"),
  );
  expect(rate(first.previewMs + first.writeMs)).toBeGreaterThan(FLOOR_ROWS_PER_SECOND);
}, 900_000);
