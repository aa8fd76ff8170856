/**
 * `node scripts/local.ts COMMAND [ARGS]`: runs a local development server
 * (`vite --config vite.dev.config.ts` for `npm run dev`, `wrangler dev` for
 * `npm run start`) offline and quiet: no `Request.cf` download (workerd gets
 * miniflare's placeholder metadata) and no usage metrics. Ctrl-C stops the
 * server and this script with it.
 */
import { spawn } from "node:child_process";

/** The environment every local wrangler or Vite dev server starts with. */
export const localServerEnv = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
} as const;

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error("Usage: node scripts/local.ts COMMAND [ARGS]");
    process.exit(2);
  }
  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...process.env, ...localServerEnv },
    shell: process.platform === "win32",
  });
  // Ctrl-C reaches the server directly (same terminal); a signal sent to this
  // script alone is passed on. Either way this script exits when the server does.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (signal !== "SIGINT") child.kill(signal);
    });
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
