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
    /** The top-level [vars] of wrangler.toml: what `wrangler deploy` ships (integration tests). */
    productionVars: Record<string, string>;
  }
}
