import type { D1Migration } from "cloudflare:test";
import type { Env as AppEnvBindings } from "../../app/.server/env";

declare global {
  namespace Cloudflare {
    interface Env extends AppEnvBindings {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

declare module "vitest" {
  interface ProvidedContext {
    baseURL: string;
    /** The Sample Program Application (examples/program-app), a relying party of the portal at baseURL. */
    programAppURL: string;
    /** The SQLite file of the local D1 that the e2e `wrangler dev` serves. */
    localD1File: string;
    /** scrypt hashes of the factory users' default password and answers, by secret (tests/e2e/support/factory-secrets.ts). */
    factorySecretHashes: Record<string, string>;
    /** The top-level [vars] of wrangler.toml: what `wrangler deploy` ships (integration tests). */
    productionVars: Record<string, string>;
  }
}
