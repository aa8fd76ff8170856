import type { Deps } from "../app/.server/deps";
import type { Env } from "../app/.server/env";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    deps: Deps;
    traceId: string;
    secureHeadersNonce?: string;
  };
};
