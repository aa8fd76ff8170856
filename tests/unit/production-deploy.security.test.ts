import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

/**
 * What a plain `wrangler deploy` ships: the dry-run bundle (no --env) run in the
 * pinned wrangler's own Miniflare with the top-level bindings of wrangler.toml.
 * Needs `npm run build` first, as `npm test` does.
 */
const require = createRequire(import.meta.url);
const outdir = mkdtempSync(join(tmpdir(), "secure-portal-dry-run-"));
let printed = "";
/** The little of Miniflare's API used here (the copy that ships with wrangler). */
interface LocalWorker {
  dispatchFetch(url: string): Promise<{ status: number; text(): Promise<string> }>;
  dispose(): Promise<void>;
}
let mf: LocalWorker | null = null;

beforeAll(async () => {
  if (!existsSync("build/server/index.js"))
    throw new Error("Run `npm run build` first: the dry run bundles build/server.");
  printed = execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const config = unstable_readConfig({ config: "wrangler.toml" });
  // The Miniflare that ships with the pinned wrangler, i.e. the workerd that runs `wrangler dev`.
  const { Miniflare, convertV4MiniflareOptions } = (await import(
    require.resolve("miniflare", { paths: [require.resolve("wrangler")] })
  )) as {
    Miniflare: new (options: unknown) => LocalWorker;
    /** Miniflare 5 takes options in its own shape; the flat (v4) form below is converted. */
    convertV4MiniflareOptions: (options: Record<string, unknown>) => unknown;
  };
  const script = resolve(outdir, "index.js");
  mf = new Miniflare(
    convertV4MiniflareOptions({
      modulesRoot: outdir,
      modules: [{ type: "ESModule", path: script, contents: readFileSync(script, "utf8") }],
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      // Run as a staging deployment of the production configuration: production
      // itself refuses to serve until an identity-proofing vendor is configured.
      bindings: {
        ...(config.vars as Record<string, string>),
        PROOFING_PROVIDER: "sandbox",
        ALLOW_SANDBOX_PROOFING: "staging",
        TOTP_ENCRYPTION_KEY: "dGVzdC1vbmx5LXRvdHAta2V5LTMyLWJ5dGVzLWxvbmc=",
        OIDC_KEY_SECRET: "dGVzdC1vbmx5LW9pZGMta2V5LXNlY3JldC0zMi1ieXQ=",
      },
      d1Databases: config.d1_databases.map((d: { binding: string }) => d.binding),
      queueProducers: Object.fromEntries(
        (config.queues.producers ?? []).map((q) => [q.binding, { queueName: q.queue ?? q.binding }]),
      ),
    }),
  );
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  rmSync(outdir, { recursive: true, force: true });
});

describe("ASVS 14.1 `wrangler deploy --dry-run` (no --env) produces the production Worker", () => {
  it("binds ENVIRONMENT=production and the production origin", () => {
    expect(printed).toContain('env.ENVIRONMENT ("production")');
    expect(printed).not.toContain('"development"');
    expect(printed).toMatch(/env\.PUBLIC_ORIGIN \("https:\/\//);
  });

  it("answers 404 at /_dev/mailbox, from localhost too, and serves the portal", async () => {
    for (const path of ["/_dev/mailbox", "/_dev/mailbox/mailbox.css"]) {
      const response = await mf!.dispatchFetch(`http://localhost:8787${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain("Development mailbox");
    }
    const health = await mf!.dispatchFetch("http://localhost:8787/healthz");
    expect(health.status).toBe(200);
  }, 60_000); // the first request starts workerd, which takes a while on a busy machine
});
