/**
 * `node scripts/local.ts [--with-program-app] COMMAND [ARGS]`: runs a local
 * development server (`vite --config vite.dev.config.ts` for `npm run dev`,
 * `wrangler dev` for `npm run start`) offline and quiet: no `Request.cf`
 * download (workerd gets miniflare's placeholder metadata) and no usage
 * metrics. Ctrl-C stops the server and this script with it.
 *
 * With --with-program-app, the Sample Program Application
 * (examples/program-app) runs beside the portal at http://localhost:8788 as a
 * second `wrangler dev`: a relying party needs an origin of its own, and
 * wrangler's multi-config dev (`-c a -c b`) gives a port to the first config
 * only (docs/decisions/2026-12-08-program-app-sample.md). When either server
 * stops, so does the other.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** The environment every local wrangler or Vite dev server starts with. */
export const localServerEnv = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
} as const;

export const PROGRAM_APP_PORT = 8788;

/** The sample's `wrangler dev` arguments (its own port, its own local KV). */
export function programAppArgs(port = PROGRAM_APP_PORT): string[] {
  return [
    "dev",
    "-c",
    "examples/program-app/wrangler.toml",
    "--port",
    String(port),
    "--ip",
    "localhost",
    "--inspector-port",
    "9230",
    "--show-interactive-dev-session=false",
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const withProgramApp = args[0] === "--with-program-app";
  const [command, ...rest] = withProgramApp ? args.slice(1) : args;
  if (!command) {
    console.error("Usage: node scripts/local.ts [--with-program-app] COMMAND [ARGS]");
    process.exit(2);
  }
  const env = { ...process.env, ...localServerEnv };
  const shell = process.platform === "win32";
  const children: ChildProcess[] = [spawn(command, rest, { stdio: "inherit", env, shell })];
  if (withProgramApp) {
    const { ensureProgramAppKey } = await import("./program-app-key.ts");
    await ensureProgramAppKey();
    // Its own stdin: the portal's server keeps the terminal's keys (Vite's shortcuts).
    children.push(spawn("wrangler", programAppArgs(), { stdio: ["ignore", "inherit", "inherit"], env, shell }));
    console.log(`Sample Program Application: http://localhost:${PROGRAM_APP_PORT}`);
  }
  // Ctrl-C reaches the servers directly (same terminal); a signal sent to this
  // script alone is passed on. Either way this script exits when a server does.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (signal !== "SIGINT") for (const child of children) child.kill(signal);
    });
  }
  let exiting = false;
  for (const child of children) {
    child.on("exit", (code, signal) => {
      if (exiting) return;
      exiting = true;
      for (const other of children) if (other !== child && other.exitCode === null) other.kill("SIGTERM");
      process.exit(code ?? (signal ? 1 : 0));
    });
  }
}
