/**
 * `npm run db:seed`: writes the seed as SQL and applies it to the local D1 with
 * wrangler. Development accounts are included unless --production is given.
 *   node scripts/seed.ts [--persist-to DIR] [--production] [--remote] [--program-app-origin URL]
 *
 * The development seed also registers the Sample Program Application
 * (examples/program-app, its key from scripts/program-app-key.ts) at
 * http://localhost:8788, or at --program-app-origin (the e2e setup runs it on a free port).
 *
 * Local runs target `--env dev`, the database `wrangler dev --env dev` reads;
 * `--remote` targets the top-level (production) database and needs --production.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { buildSeedStatements, PROGRAM_APP } from "../app/.server/db/seed/build-seed.ts";
import { readDevVars } from "./dev-vars.ts";
import { ensureProgramAppKey } from "./program-app-key.ts";

export interface SeedOptions {
  production: boolean;
  remote: boolean;
  persistTo?: string;
  /** Development seed only: where the sample program application runs. */
  programAppOrigin: string;
}

/**
 * Parses the command line. Development accounts have well-known passwords and
 * TOTP secrets (README), so they must never reach a remote database: `--remote`
 * without `--production` is refused rather than quietly dropping the accounts.
 */
export function parseSeedArgs(
  args: readonly string[],
): { ok: true; value: SeedOptions } | { ok: false; message: string } {
  const production = args.includes("--production");
  const remote = args.includes("--remote");
  const persistIndex = args.indexOf("--persist-to");
  const persistTo = persistIndex >= 0 ? args[persistIndex + 1] : undefined;
  if (remote && !production) {
    return {
      ok: false,
      message:
        "Refusing to seed a remote database with development accounts (well-known passwords). Use `node scripts/seed.ts --production --remote` for the production reference data.",
    };
  }
  if (persistIndex >= 0 && (!persistTo || persistTo.startsWith("--")))
    return { ok: false, message: "--persist-to needs a directory." };
  const originIndex = args.indexOf("--program-app-origin");
  const programAppOrigin = originIndex >= 0 ? args[originIndex + 1] : PROGRAM_APP.origin;
  if (originIndex >= 0) {
    if (production)
      return { ok: false, message: "--program-app-origin registers a development application: not with --production." };
    if (!programAppOrigin || !/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(programAppOrigin))
      return { ok: false, message: "--program-app-origin needs a local origin, e.g. http://localhost:8788." };
  }
  if (remote && persistTo)
    return { ok: false, message: "--persist-to applies to a local database only, not with --remote." };
  return { ok: true, value: { production, remote, persistTo, programAppOrigin } };
}

/** The `wrangler d1 execute` arguments for a seed file. */
export function wranglerSeedArgs(options: SeedOptions, file: string): string[] {
  // Remote is the top-level (production) environment; local is [env.dev], like `npm run dev`.
  const target = options.remote ? ["--remote"] : ["--local", "--env", "dev"];
  return [
    "d1",
    "execute",
    "DB",
    "--file",
    file,
    ...target,
    ...(options.persistTo ? ["--persist-to", options.persistTo] : []),
  ];
}

async function main() {
  const parsed = parseSeedArgs(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(parsed.message);
    process.exit(2);
  }
  const options = parsed.value;
  const devUsers = options.production ? undefined : { totpKey: readDevVars().TOTP_ENCRYPTION_KEY };
  const programApp = options.production
    ? undefined
    : { origin: options.programAppOrigin, jwks: (await ensureProgramAppKey()).publicJwks };
  const statements = await buildSeedStatements({ devUsers, programApp });
  mkdirSync(".wrangler", { recursive: true });
  const file = ".wrangler/seed.sql";
  writeFileSync(file, `${statements.join("\n")}\n`);
  execFileSync("wrangler", wranglerSeedArgs(options, file), { stdio: ["ignore", "ignore", "inherit"] });
  console.log(
    `Seeded ${statements.length} statements (${devUsers ? `with development accounts and the sample program application at ${options.programAppOrigin}` : "without development accounts"}).`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
