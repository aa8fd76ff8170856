/**
 * `node scripts/dev-reload-time.ts FILE FROM TO URL [RUNS]`, while `npm run dev`
 * runs: the development loop's edit-to-reload time. Each run replaces FROM (which
 * must occur once in FILE) with TO, whose word EDIT becomes a fresh marker, then
 * fetches URL every 100 ms until the answer carries the marker, and prints the
 * time from the file write to that answer. The file is restored after every run
 * (and on Ctrl-C or an error); the next run starts once the marker is gone from
 * URL. Prints the median of RUNS (3 unless given). For example:
 *
 *   node scripts/dev-reload-time.ts app/routes/_index.tsx \
 *     "Register and prove who you are." "Register and prove who you are. EDIT" http://localhost:8787/
 */
import { readFileSync, writeFileSync } from "node:fs";

const [file, from, to, url, runsArg] = process.argv.slice(2);
if (!file || !from || !to?.includes("EDIT") || !url) {
  console.error("Usage: node scripts/dev-reload-time.ts FILE FROM TO URL [RUNS]  (TO contains the word EDIT)");
  process.exit(2);
}
const runs = Number(runsArg ?? 3);
const original = readFileSync(file, "utf8");
if (original.split(from).length !== 2) {
  console.error(`"${from}" must occur exactly once in ${file}.`);
  process.exit(2);
}
const restore = () => writeFileSync(file, original);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    restore();
    process.exit(1);
  });
}

const POLL_MS = 100;
const TIMEOUT_MS = 120_000;

/** Milliseconds from `since` until `accept(body)` holds for an answer from URL. */
async function waitFor(accept: (body: string) => boolean, since: number): Promise<number> {
  while (performance.now() - since < TIMEOUT_MS) {
    try {
      const response = await fetch(url, { headers: { "Cache-Control": "no-cache" } });
      if (accept(await response.text())) return performance.now() - since;
    } catch {
      // the server is reloading
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${url} did not change within ${TIMEOUT_MS / 1000} s`);
}

const times: number[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    const marker = `edit-${Date.now().toString(36)}`;
    const started = performance.now();
    writeFileSync(file, original.replace(from, to.replace("EDIT", marker)));
    const ms = await waitFor((body) => body.includes(marker), started);
    times.push(ms);
    console.log(`run ${run}: ${(ms / 1000).toFixed(2)} s`);
    restore();
    await waitFor((body) => !body.includes(marker), performance.now());
  }
} finally {
  restore();
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`median of ${runs}: ${(sorted[Math.floor(sorted.length / 2)] / 1000).toFixed(2)} s`);
