import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { localServerEnv } from "../../scripts/local.ts";
import { hashFactorySecrets } from "../e2e/support/factory-secrets";
import { localD1File } from "../e2e/support/local-d1";
import { freePort } from "./free-port";

async function waitForHealthy(url: string, child: ChildProcess, log: () => string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not become healthy:\n${log()}`);
}

/**
 * Builds a fresh local D1 (real migrations and seed) in a temporary directory,
 * starts `wrangler dev --env dev` (the top level of wrangler.toml is production) on a free port with the queue consumer, and hands the
 * URL to the tests. The app must be built first (`npm run build`).
 */
export default async function setup(project: TestProject) {
  const persistTo = mkdtempSync(join(tmpdir(), "secure-portal-e2e-"));
  // On the thread pool while the database is built and the server starts.
  const factoryHashes = hashFactorySecrets();
  const quiet = { stdio: ["ignore", "ignore", "inherit"] as ["ignore", "ignore", "inherit"] };
  execFileSync("node", ["scripts/dev-vars.ts"], quiet);
  execFileSync(
    "wrangler",
    ["d1", "migrations", "apply", "DB", "--env", "dev", "--local", "--persist-to", persistTo],
    quiet,
  );
  execFileSync("node", ["scripts/seed.ts", "--persist-to", persistTo], quiet);
  // Tests that start signed in write their users and sessions into it (tests/e2e/support/signed-in-user.ts).
  project.provide("localD1File", localD1File(persistTo));

  const port = await freePort();
  const inspectorPort = await freePort();
  const baseURL = `http://localhost:${port}`;
  let output = "";
  const child = spawn(
    "wrangler",
    [
      "dev",
      "--env",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistTo,
      "--var",
      `PUBLIC_ORIGIN:${baseURL}`,
      "--show-interactive-dev-session=false",
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, ...localServerEnv } },
  );
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  let stopping = false;
  child.on("exit", (code, signal) => {
    // A server that dies mid-run explains every later failure: say why.
    if (!stopping)
      console.error(`wrangler dev exited (code ${code}, signal ${signal}). Its last output:\n${output.slice(-6000)}`);
  });
  await waitForHealthy(baseURL, child, () => output.slice(-4000));
  project.provide("baseURL", baseURL);
  project.provide("factorySecretHashes", await factoryHashes);

  return async () => {
    stopping = true;
    if (child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    rmSync(persistTo, { recursive: true, force: true });
  };
}
