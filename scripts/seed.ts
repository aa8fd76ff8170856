/**
 * `npm run db:seed`: writes the seed as SQL and applies it to the local D1 with
 * wrangler. Development accounts are included unless --production is given.
 *   node scripts/seed.ts [--persist-to DIR] [--production] [--remote]
 *
 * Local runs target `--env dev`, the database `wrangler dev --env dev` reads;
 * `--remote` targets the top-level (production) database and needs --production.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { buildSeedStatements } from "../app/.server/db/seed/build-seed.ts";
import { readDevVars } from "./dev-vars.ts";

export interface SeedOptions {
  production: boolean;
  remote: boolean;
  persistTo?: string;
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
  if (remote && persistTo)
    return { ok: false, message: "--persist-to applies to a local database only, not with --remote." };
  return { ok: true, value: { production, remote, persistTo } };
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
  const statements = await buildSeedStatements({ devUsers });
  mkdirSync(".wrangler", { recursive: true });
  const file = ".wrangler/seed.sql";
  writeFileSync(file, `${statements.join("\n")}\n`);
  execFileSync("wrangler", wranglerSeedArgs(options, file), { stdio: ["ignore", "ignore", "inherit"] });
  console.log(`Seeded ${statements.length} statements (${devUsers ? "with" : "without"} development accounts).`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
