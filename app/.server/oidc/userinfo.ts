import { and, eq, gt, sql } from "drizzle-orm";
import { hashToken } from "../auth/tokens";
import { oidcAccessTokens, oidcClients, oidcGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import { roleClaims, rolesStatement, scopedClaims } from "./claims";

/**
 * The UserInfo endpoint's claims (OIDC Core §5.3) for a bearer access token, in
 * one D1 round trip: the token counts only while it is unexpired, its grant
 * still exists (Disconnect revokes it), its client is active and its user too.
 * Null when the token does not count (the caller answers `invalid_token`).
 */
export async function userinfoClaims(
  deps: Pick<Deps, "db" | "now">,
  accessToken: string,
): Promise<Record<string, unknown> | null> {
  const now = deps.now();
  const tokenHash = hashToken(accessToken);
  const [rows, roleRows] = await deps.db.batch([
    deps.db
      .select({
        sub: oidcAccessTokens.sub,
        scope: oidcAccessTokens.scope,
        email: users.email,
        firstName: users.firstName,
        lastName: users.lastName,
        enrollmentCompletedAt: users.enrollmentCompletedAt,
      })
      .from(oidcAccessTokens)
      .innerJoin(
        oidcGrants,
        and(
          eq(oidcGrants.id, oidcAccessTokens.grantId),
          eq(oidcGrants.userId, oidcAccessTokens.userId),
          eq(oidcGrants.clientId, oidcAccessTokens.clientId),
        ),
      )
      .innerJoin(oidcClients, and(eq(oidcClients.id, oidcAccessTokens.clientId), eq(oidcClients.status, "active")))
      .innerJoin(users, and(eq(users.id, oidcAccessTokens.userId), eq(users.status, "active")))
      .where(and(eq(oidcAccessTokens.tokenHash, tokenHash), gt(oidcAccessTokens.expiresAt, now)))
      .limit(1),
    rolesStatement(
      deps,
      sql`(SELECT ${oidcAccessTokens.userId} FROM ${oidcAccessTokens} WHERE ${oidcAccessTokens.tokenHash} = ${tokenHash})`,
      sql`(SELECT ${oidcClients.programId} FROM ${oidcClients} JOIN ${oidcAccessTokens} ON ${oidcAccessTokens.clientId} = ${oidcClients.id} WHERE ${oidcAccessTokens.tokenHash} = ${tokenHash})`,
    ),
  ]);
  const row = rows[0];
  if (!row) return null;
  return { sub: row.sub, ...scopedClaims(row.scope, row), roles: roleClaims(roleRows) };
}
