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
    if (child.exitCode !== null) throw new Error(`wrangler dev (${url}) exited early:\n${log()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev (${url}) did not become healthy:\n${log()}`);
}

/** Starts `wrangler dev` in a process group of its own, keeping its output to explain a failure. */
function startWrangler(name: string, args: string[]) {
  let output = "";
  let stopping = false;
  const child = spawn("wrangler", args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, ...localServerEnv },
  });
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  child.on("exit", (code, signal) => {
    // A server that dies mid-run explains every later failure: say why.
    if (!stopping)
      console.error(`${name} exited (code ${code}, signal ${signal}). Its last output:\n${output.slice(-6000)}`);
  });
  return {
    child,
    log: () => output.slice(-4000),
    stop() {
      stopping = true;
      if (child.pid) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * Builds a fresh local D1 (real migrations and seed) in a temporary directory,
 * starts `wrangler dev --env dev` (the top level of wrangler.toml is production) on a free port with the queue consumer, and hands the
 * URL to the tests. The app must be built first (`npm run build`).
 *
 * Beside it, the Sample Program Application (examples/program-app) runs as a
 * relying party on a free port of its own, with the portal's PUBLIC_ORIGIN as
 * its ISSUER; the seed registers it at that origin (`--program-app-origin`).
 */
export default async function setup(project: TestProject) {
  const persistTo = mkdtempSync(join(tmpdir(), "secure-portal-e2e-"));
  // On the thread pool while the database is built and the server starts.
  const factoryHashes = hashFactorySecrets();
  const quiet = { stdio: ["ignore", "ignore", "inherit"] as ["ignore", "ignore", "inherit"] };
  const programAppURL = `http://localhost:${await freePort()}`;
  execFileSync("node", ["scripts/dev-vars.ts"], quiet);
  execFileSync(
    "wrangler",
    ["d1", "migrations", "apply", "DB", "--env", "dev", "--local", "--persist-to", persistTo],
    quiet,
  );
  execFileSync("node", ["scripts/seed.ts", "--persist-to", persistTo, "--program-app-origin", programAppURL], quiet);
  // Tests that start signed in write their users and sessions into it (tests/e2e/support/signed-in-user.ts).
  project.provide("localD1File", localD1File(persistTo));

  const port = await freePort();
  const baseURL = `http://localhost:${port}`;
  const portal = startWrangler("wrangler dev", [
    "dev",
    "--env",
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    persistTo,
    "--var",
    `PUBLIC_ORIGIN:${baseURL}`,
    "--show-interactive-dev-session=false",
  ]);
  const programApp = startWrangler("The sample program application's wrangler dev", [
    "dev",
    "-c",
    "examples/program-app/wrangler.toml",
    "--port",
    new URL(programAppURL).port,
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    join(persistTo, "program-app"),
    "--var",
    `ISSUER:${baseURL}`,
    "--var",
    `APP_ORIGIN:${programAppURL}`,
    "--var",
    `REDIRECT_URI:${programAppURL}/callback`,
    "--show-interactive-dev-session=false",
  ]);
  await waitForHealthy(baseURL, portal.child, portal.log);
  await waitForHealthy(programAppURL, programApp.child, programApp.log);
  project.provide("baseURL", baseURL);
  project.provide("programAppURL", programAppURL);
  project.provide("factorySecretHashes", await factoryHashes);

  return async () => {
    programApp.stop();
    portal.stop();
    await new Promise((r) => setTimeout(r, 500));
    rmSync(persistTo, { recursive: true, force: true });
  };
}
