import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { namedQueues, parseQueueList, queuesToCreate } from "../../scripts/deploy-setup";

/**
 * The deploy steps (README, "Deploying to Cloudflare", and `npm run deploy:setup`)
 * must create everything the production Worker — the top level of wrangler.toml —
 * is bound to, or a first `wrangler deploy` is refused.
 */
const toml = readFileSync("wrangler.toml", "utf8");
const config = unstable_readConfig({ config: "wrangler.toml" });
const readme = readFileSync("README.md", "utf8");
const deploySection = readme.slice(readme.indexOf("## Deploying to Cloudflare"));
/** The section with its line breaks and indentation folded to single spaces. */
const deploySteps = deploySection.slice(0, deploySection.indexOf("\n## ", 1)).replace(/\s+/g, " ");

/** Every queue name at the top level of wrangler.toml, read from the text itself (before the first `[env.`). */
function queuesInTomlText(): string[] {
  const topLevel = toml.slice(0, toml.search(/^\[env\./m));
  const names = [...topLevel.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)].map((m) => m[1]);
  return [...new Set(names)].sort();
}

/** The members of the Worker's `Env` (app/.server/env.ts), and whether each is optional. */
function envMembers(): { name: string; optional: boolean }[] {
  const source = readFileSync("app/.server/env.ts", "utf8");
  const body = source.slice(source.indexOf("export interface Env {"));
  const block = body.slice(0, body.indexOf("\n}"));
  return [...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*)(\?)?:/gm)].map((m) => ({ name: m[1], optional: m[2] === "?" }));
}

describe("npm run deploy:setup creates every queue of the production Worker", () => {
  it("would create every queue named at the top level of wrangler.toml: producers, consumers and dead-letter queues", () => {
    const inText = queuesInTomlText();
    expect(inText).toEqual([
      "secure-portal-email",
      "secure-portal-email-dlq",
      "secure-portal-import",
      "secure-portal-logout",
      "secure-portal-logout-dlq",
    ]);
    expect(queuesToCreate(config)).toEqual(inText);
    expect(namedQueues(config)).toEqual(inText);
  });

  it("creates only the missing ones", () => {
    expect(queuesToCreate(config, ["secure-portal-email", "someone-elses-queue"])).toEqual([
      "secure-portal-email-dlq",
      "secure-portal-import",
      "secure-portal-logout",
      "secure-portal-logout-dlq",
    ]);
    expect(queuesToCreate(config, queuesInTomlText())).toEqual([]);
  });

  it("picks up a queue added to the configuration, whichever key names it", () => {
    const added = {
      queues: {
        producers: [...(config.queues.producers ?? []), { binding: "AUDIT_EXPORT", queue: "secure-portal-audit" }],
        consumers: [
          ...(config.queues.consumers ?? []),
          { queue: "secure-portal-reports", dead_letter_queue: "secure-portal-reports-dlq" },
        ],
      },
    };
    expect(queuesToCreate(added, queuesInTomlText())).toEqual([
      "secure-portal-audit",
      "secure-portal-reports",
      "secure-portal-reports-dlq",
    ]);
  });

  it("reads the queue names from the table `wrangler queues list` prints", () => {
    const printed = [
      "",
      " ⛅️ wrangler 4.94.0",
      "───────────────────",
      "┌──────────────────────────────────┬─────────────────────┬──────────────────────┬──────────────────────┬───────────┬───────────┐",
      "│ id                               │ name                │ created_on           │ modified_on          │ producers │ consumers │",
      "├──────────────────────────────────┼─────────────────────┼──────────────────────┼──────────────────────┼───────────┼───────────┤",
      "│ 0f3c1a3b5d7e4f6a8b9c0d1e2f3a4b5c │ secure-portal-email │ 2026-12-07T00:00:00Z │ 2026-12-07T00:00:00Z │ 1         │ 1         │",
      "│ 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d │ another-queue       │ 2026-12-07T00:00:00Z │ 2026-12-07T00:00:00Z │ 0         │ 0         │",
      "└──────────────────────────────────┴─────────────────────┴──────────────────────┴──────────────────────┴───────────┴───────────┘",
    ].join("\n");
    expect(parseQueueList(printed)).toEqual(["secure-portal-email", "another-queue"]);
    expect(parseQueueList(" ⛅️ wrangler 4.94.0\n\n")).toEqual([]);
    const coloured = printed.replaceAll("│", "\u001b[90m│\u001b[39m").replace(" name ", " \u001b[34mname\u001b[39m ");
    expect(parseQueueList(coloured)).toEqual(["secure-portal-email", "another-queue"]);
  });

  it("is the npm script the README's deploy steps run", () => {
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
    expect(scripts["deploy:setup"]).toBe("node scripts/deploy-setup.ts");
    expect(deploySteps).toContain("npm run deploy:setup");
  });
});

describe("the README's deploy steps name what wrangler.toml binds", () => {
  it("creates the D1 database wrangler.toml names and migrates its binding", () => {
    const [database] = config.d1_databases;
    expect(config.d1_databases).toHaveLength(1);
    const created = [...deploySteps.matchAll(/wrangler d1 create ([\w-]+)/g)].map((m) => m[1]);
    expect(created).toEqual([database.database_name]);
    const migrated = [...deploySteps.matchAll(/wrangler d1 migrations apply (\w+) --remote/g)].map((m) => m[1]);
    expect(migrated).toEqual([database.binding]);
  });

  it("names no queue that wrangler.toml does not", () => {
    const named = new Set(deploySteps.match(/secure-portal-[a-z-]*[a-z]/g) ?? []);
    named.delete(config.d1_databases[0].database_name ?? "");
    for (const name of named) expect(queuesInTomlText(), name).toContain(name);
  });

  it("sets up Email Service for the send_email binding the production mailer uses", () => {
    expect(config.send_email.map((binding: { name: string }) => binding.name)).toEqual(["EMAIL"]);
    expect(deploySteps).toContain("Email Service");
    expect(deploySteps).toContain("`[[send_email]]` binding `EMAIL`");
    expect(deploySteps).not.toMatch(/Email Routing/);
  });

  it("sets under the top-level [vars] the variables it tells people to set", () => {
    const told = [...deploySteps.matchAll(/set `([A-Z_]+)`[^`]*and `([A-Z_]+)` under the top-level `\[vars\]`/g)];
    expect(told.flatMap((m) => m.slice(1))).toEqual(["MAIL_FROM", "PUBLIC_ORIGIN"]);
    for (const name of ["MAIL_FROM", "PUBLIC_ORIGIN"]) expect(Object.keys(config.vars), name).toContain(name);
  });

  it("puts every secret the Worker requires and wrangler.toml does not provide, and no other", () => {
    const provided = new Set([
      ...config.d1_databases.map((d: { binding: string }) => d.binding),
      ...(config.queues.producers ?? []).map((q: { binding: string }) => q.binding),
      ...config.send_email.map((s: { name: string }) => s.name),
      ...(config.assets?.binding ? [config.assets.binding] : []),
      ...Object.keys(config.vars),
    ]);
    const members = envMembers();
    expect(members.map((m) => m.name)).toContain("TOTP_ENCRYPTION_KEY");
    const secrets = members.filter((m) => !m.optional && !provided.has(m.name)).map((m) => m.name);
    expect(secrets.sort()).toEqual(["OIDC_KEY_SECRET", "TOTP_ENCRYPTION_KEY"]);
    const put = [...deploySteps.matchAll(/wrangler secret put (\w+)/g)].map((m) => m[1]);
    expect(put.sort()).toEqual(secrets.sort());
    // Every binding the Worker requires is provided by wrangler.toml or a secret.
    for (const m of members.filter((m) => !m.optional)) expect([...provided, ...put], m.name).toContain(m.name);
    // And every name the steps quote on its own is one of those: nothing stale.
    const quoted = [...deploySteps.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
    expect(quoted.length).toBeGreaterThan(0);
    for (const name of quoted) expect([...provided, ...put], name).toContain(name);
  });
});

/**
 * The script itself against a stand-in for the Cloudflare API (the outside
 * service): wrangler lists and creates queues there. Run twice, it creates the
 * missing queues once.
 */
describe("npm run deploy:setup run twice", () => {
  const queues = new Set(["secure-portal-email", "someone-elses-queue"]);
  const created: string[] = [];
  let server: Server;
  let baseUrl = "";

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const url = new URL(request.url ?? "/", "http://localhost");
        response.setHeader("Content-Type", "application/json");
        if (!url.pathname.endsWith("/queues")) {
          response.statusCode = 404;
          response.end(JSON.stringify({ success: false, errors: [{ code: 7003, message: "No route" }], result: null }));
          return;
        }
        if (request.method === "POST") {
          const name = JSON.parse(body).queue_name as string;
          queues.add(name);
          created.push(name);
          response.end(JSON.stringify({ success: true, errors: [], messages: [], result: { queue_name: name } }));
          return;
        }
        // Two queues a page, so the script has to follow the pages.
        const page = Number(url.searchParams.get("page") ?? "1");
        const perPage = 2;
        const all = [...queues].map((name, i) => ({
          queue_id: String(i).padStart(32, "0"),
          queue_name: name,
          created_on: "2026-12-07T00:00:00Z",
          modified_on: "2026-12-07T00:00:00Z",
          producers_total_count: 0,
          consumers_total_count: 0,
        }));
        const result = all.slice((page - 1) * perPage, page * perPage);
        response.end(
          JSON.stringify({
            success: true,
            errors: [],
            messages: [],
            result,
            result_info: { page, per_page: perPage, count: result.length, total_count: all.length },
          }),
        );
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  function deploySetup() {
    // The project's Node (22, which runs .ts files) and wrangler, as `npm run` finds them.
    const bin = resolve("node_modules/.bin");
    return promisify(execFile)("node", ["scripts/deploy-setup.ts"], {
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        CLOUDFLARE_API_BASE_URL: baseUrl,
        CLOUDFLARE_API_TOKEN: "test-token",
        CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
        WRANGLER_SEND_METRICS: "false",
      },
    });
  }

  // Each wrangler run takes seconds (more on a busy machine); five queues make about a dozen runs.
  it("creates the missing queues the first time and nothing the second", async () => {
    const first = await deploySetup();
    expect(created).toEqual([
      "secure-portal-email-dlq",
      "secure-portal-import",
      "secure-portal-logout",
      "secure-portal-logout-dlq",
    ]);
    expect(first.stdout).toContain("Created queue secure-portal-import");
    expect(first.stdout).toContain("Created queue secure-portal-logout-dlq");
    const second = await deploySetup();
    expect(created).toEqual([
      "secure-portal-email-dlq",
      "secure-portal-import",
      "secure-portal-logout",
      "secure-portal-logout-dlq",
    ]);
    expect(second.stdout).toContain("Every queue exists already; nothing to create.");
  }, 300_000);
});
