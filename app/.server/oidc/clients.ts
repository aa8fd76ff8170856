import { eq } from "drizzle-orm";
import { oidcClients } from "../db/schema";
import type { Deps } from "../deps";

export type OidcClient = typeof oidcClients.$inferSelect;

/** The statement reading one client (await it, or put it in a batch). */
export function clientStatement(deps: Pick<Deps, "db">, clientId: string) {
  return deps.db.select().from(oidcClients).where(eq(oidcClients.id, clientId)).limit(1);
}

/** An active client, or null (unknown and disabled clients are treated alike). */
export async function getActiveClient(deps: Pick<Deps, "db">, clientId: string): Promise<OidcClient | null> {
  const [client] = await clientStatement(deps, clientId);
  return client && client.status === "active" ? client : null;
}

/** The pairwise sector of a client: the host its redirect URIs share (registration refuses more than one). */
export function sectorHostOf(client: Pick<OidcClient, "redirectUris">): string {
  return new URL(client.redirectUris[0]).host;
}

/**
 * Whether a URI may be registered as a redirect, post-logout, back-channel or
 * initiate-login URI: absolute, https, no fragment; `http://localhost` and
 * `http://127.0.0.1` (any port) only outside production. The caller compares
 * redirect URIs exactly as registered.
 */
export function registrableUri(value: string, options: { production: boolean }): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.hash || url.username || url.password) return null;
  if (url.protocol === "https:") return url;
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  return url.protocol === "http:" && loopback && !options.production ? url : null;
}
