/**
 * `npm run deploy:setup`: creates every Cloudflare Queue the production Worker
 * (the top level of wrangler.toml) names — producers, consumers and dead-letter
 * queues — that does not exist yet in the account. Running it again creates
 * nothing, so it is safe as a first-deploy step and after adding a queue.
 *   node scripts/deploy-setup.ts [--dry-run]
 *
 * It reads the queues with wrangler's own configuration reader, lists the
 * account's queues with `wrangler queues list` (a table; this wrangler has no
 * --json for it) and runs `wrangler queues create NAME` for each one missing.
 * The D1 database and the secrets stay manual steps (README, "Deploying to
 * Cloudflare"): the database id must be copied into wrangler.toml, and a secret
 * is typed, not generated here.
 */
import { execFileSync } from "node:child_process";
import { unstable_readConfig } from "wrangler";

/** The part of a wrangler configuration that names queues. */
export interface QueuesConfig {
  queues?: {
    producers?: readonly { queue?: string }[];
    consumers?: readonly { queue: string; dead_letter_queue?: string }[];
  };
}

/** Every queue named in the configuration, once each, sorted. */
export function namedQueues(config: QueuesConfig): string[] {
  const names = new Set<string>();
  for (const producer of config.queues?.producers ?? []) if (producer.queue) names.add(producer.queue);
  for (const consumer of config.queues?.consumers ?? []) {
    names.add(consumer.queue);
    if (consumer.dead_letter_queue) names.add(consumer.dead_letter_queue);
  }
  return [...names].sort();
}

/** The queues to create: those named in the configuration and not among `existing`. */
export function queuesToCreate(config: QueuesConfig, existing: Iterable<string> = []): string[] {
  const have = new Set(existing);
  return namedQueues(config).filter((name) => !have.has(name));
}

/** Colour codes, should wrangler print any despite NO_COLOR (ESC [ … m). */
const TERMINAL_COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * The queue names in the table `wrangler queues list` prints (cli-table3:
 * `│ id │ name │ created_on │ … │`). The column is found by its heading, so a
 * reordered or wider table still reads; anything that is not a table row
 * (wrangler's banner, warnings) is skipped.
 */
export function parseQueueList(output: string): string[] {
  const rows = output
    .replace(TERMINAL_COLOURS, "")
    .split(/\r?\n/)
    .filter((line) => line.trim().startsWith("│"));
  const cells = rows.map((line) =>
    line
      .trim()
      .replace(/^│|│$/g, "")
      .split("│")
      .map((cell) => cell.trim()),
  );
  const heading = cells.findIndex((row) => row.includes("name"));
  if (heading < 0) return [];
  const column = cells[heading].indexOf("name");
  return cells
    .slice(heading + 1)
    .map((row) => row[column])
    .filter((name): name is string => Boolean(name));
}

/** The account's queues, page after page until a page adds none. */
function listExistingQueues(run: (args: string[]) => string): string[] {
  const seen = new Set<string>();
  // A hundred pages is far more queues than an account holds; it only guards against a loop.
  for (let page = 1; page <= 100; page++) {
    const names = parseQueueList(run(["queues", "list", "--page", String(page)]));
    const fresh = names.filter((name) => !seen.has(name));
    if (fresh.length === 0) break;
    for (const name of fresh) seen.add(name);
  }
  return [...seen];
}

/** Runs wrangler and returns what it printed; its errors go to the terminal, and a failure stops the script. */
function wrangler(args: string[]): string {
  return execFileSync("wrangler", args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
}

async function main() {
  const dryRun = process.argv.includes("--dry-run");
  // No environment given: the top level of wrangler.toml, the production Worker that `wrangler deploy` ships.
  const config = unstable_readConfig({ config: "wrangler.toml" });
  const wanted = namedQueues(config);
  console.log(`Queues in wrangler.toml: ${wanted.join(", ")}`);
  const missing = queuesToCreate(config, listExistingQueues(wrangler));
  if (missing.length === 0) console.log("Every queue exists already; nothing to create.");
  for (const name of missing) {
    if (dryRun) {
      console.log(`Would create queue ${name}`);
      continue;
    }
    wrangler(["queues", "create", name]);
    console.log(`Created queue ${name}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
