/**
 * `npm run db:seed`: writes the seed as SQL and applies it to the local D1 with
 * wrangler. Development accounts are included unless --production is given.
 *   node scripts/seed.ts [--persist-to DIR] [--production] [--remote]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { buildSeedStatements } from "../app/.server/db/seed/build-seed.ts";
import { readDevVars } from "./dev-vars.ts";

const args = process.argv.slice(2);
const production = args.includes("--production");
const remote = args.includes("--remote");
const persistIndex = args.indexOf("--persist-to");
const persistTo = persistIndex >= 0 ? args[persistIndex + 1] : undefined;

const devUsers = production ? undefined : { totpKey: readDevVars().TOTP_ENCRYPTION_KEY };
const statements = await buildSeedStatements({ devUsers });
mkdirSync(".wrangler", { recursive: true });
const file = ".wrangler/seed.sql";
writeFileSync(file, statements.join("\n") + "\n");

const wranglerArgs = ["d1", "execute", "DB", "--file", file, remote ? "--remote" : "--local"];
if (remote) wranglerArgs.push("--env", "production");
if (persistTo) wranglerArgs.push("--persist-to", persistTo);
execFileSync("wrangler", wranglerArgs, { stdio: ["ignore", "ignore", "inherit"] });
console.log(`Seeded ${statements.length} statements (${devUsers ? "with" : "without"} development accounts).`);
