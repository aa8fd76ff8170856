import { and, asc, eq, sql } from "drizzle-orm";
import { programs } from "./db/schema";
import type { Deps } from "./deps";
import { issuerOf } from "./oidc/config";

/**
 * "Choose Your QualityNet Destination": each destination program and where its
 * link goes. A program with an active application that has an Initiate Login
 * URI starts there, with `iss` added (OIDC Core §4, third-party-initiated
 * login; the earliest registered such application when there are several);
 * any other goes to the Terms for that program. One statement (the
 * application is a subquery), so the screen stays one D1 round trip.
 */
export async function listDestinationPrograms(deps: Pick<Deps, "db" | "env">) {
  const rows = await deps.db
    .select({
      code: programs.code,
      name: programs.name,
      // Written out with its table names: drizzle leaves a column in a select field unqualified, and inside
      // the subquery "id" would then be the application's own.
      initiateLoginUri: sql<
        string | null
      >`(SELECT c.initiate_login_uri FROM oidc_clients c WHERE c.program_id = "programs"."id" AND c.status = 'active' AND c.initiate_login_uri IS NOT NULL ORDER BY c.created_at, c.id LIMIT 1)`,
    })
    .from(programs)
    .where(and(eq(programs.isDestination, true), eq(programs.active, true)))
    .orderBy(asc(programs.sortOrder));
  const issuer = issuerOf(deps.env);
  return rows.map((p) => ({
    code: p.code,
    name: p.name,
    href: p.initiateLoginUri
      ? initiateLoginHref(p.initiateLoginUri, issuer)
      : `/terms?program=${encodeURIComponent(p.code)}`,
  }));
}

/** An application's Initiate Login URI with `iss` set to the portal's issuer (its own query kept). */
export function initiateLoginHref(uri: string, issuer: string): string {
  const url = new URL(uri);
  url.searchParams.set("iss", issuer);
  return url.toString();
}

export async function getDestinationProgram(deps: Pick<Deps, "db">, code: string | null) {
  if (!code) return null;
  const row = await deps.db
    .select({ code: programs.code, name: programs.name })
    .from(programs)
    .where(and(eq(programs.code, code), eq(programs.isDestination, true), eq(programs.active, true)))
    .get();
  return row ?? null;
}
