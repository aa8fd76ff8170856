import type { Deps } from "~/.server/deps";

declare module "react-router" {
  interface AppLoadContext {
    deps: Deps;
    /** Per-request CSP nonce for React Router's inline scripts. */
    cspNonce: string;
    /** Client address as Cloudflare reports it (for audit and throttling). */
    clientIp: string | null;
    /** "City, Region, Country" from Cloudflare's request metadata, when known. */
    clientLocation: string | null;
  }
}
