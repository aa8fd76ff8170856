import { and, desc, eq, sql } from "drizzle-orm";
import type { Actor } from "../access/authorize";
import { can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { oidcAccessTokens, oidcClients, oidcGrants, oidcLogins, oidcLogoutDeliveries, programs } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result, refused } from "../result";
import type { Requester } from "./authorize";

/**
 * Profile → "Connected Applications" (SPEC 2.9): the applications a user allowed
 * to know who they are, and "Disconnect".
 */

/** The user's grants with their application and program, most recently used first (the query; await it). */
export function connectedApplicationsQuery(deps: Pick<Deps, "db">, userId: string) {
  return deps.db
    .select({
      clientId: oidcGrants.clientId,
      application: oidcClients.name,
      program: programs.name,
      scope: oidcGrants.scope,
      allowedAt: oidcGrants.updatedAt,
      lastUsedAt: oidcGrants.lastUsedAt,
    })
    .from(oidcGrants)
    .innerJoin(oidcClients, eq(oidcClients.id, oidcGrants.clientId))
    .innerJoin(programs, eq(programs.id, oidcClients.programId))
    .where(eq(oidcGrants.userId, userId))
    .orderBy(desc(sql`coalesce(${oidcGrants.lastUsedAt}, ${oidcGrants.updatedAt})`));
}

/**
 * "Disconnect", in one batch: the grant goes (the conditional DELETE decides:
 * its event is written only if this batch deleted it), every access token the
 * user holds at the application stops working, and the sessions' logins at it
 * become back-channel logout deliveries (the logout queue tells the application,
 * as when a portal session ends).
 */
export async function disconnectApplication(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  actor: Actor,
  clientId: string,
  requester: Requester,
): Promise<Result<{ application: string }, "not_found">> {
  const decision = can(actor, "application.disconnect", { ownerUserId: actor.userId }, deps.now());
  if (!decision.ok) return refused(decision);
  const userId = actor.userId;
  const [row] = await deps.db
    .select({ application: oidcClients.name, programId: oidcClients.programId })
    .from(oidcGrants)
    .innerJoin(oidcClients, eq(oidcClients.id, oidcGrants.clientId))
    .where(and(eq(oidcGrants.userId, userId), eq(oidcGrants.clientId, clientId)));
  if (!row) return fail("not_found");
  const now = deps.now();
  const mine = { user: eq(oidcLogins.userId, userId), client: eq(oidcLogins.clientId, clientId) };
  const [deleted] = await deps.db.batch([
    deps.db
      .delete(oidcGrants)
      .where(and(eq(oidcGrants.userId, userId), eq(oidcGrants.clientId, clientId)))
      .returning({ id: oidcGrants.id }),
    // changes() is the DELETE just above: 0 when another request disconnected it first.
    auditInsert(
      deps,
      {
        eventType: "oidc.disconnected",
        outcome: "success",
        actorUserId: userId,
        subjectUserId: userId,
        programId: row.programId,
        ...requester,
        details: { clientId },
      },
      sql`changes() > 0`,
    ),
    deps.db
      .delete(oidcAccessTokens)
      .where(and(eq(oidcAccessTokens.userId, userId), eq(oidcAccessTokens.clientId, clientId))),
    deps.db
      .insert(oidcLogoutDeliveries)
      .select(
        sql`SELECT NULL, ${oidcLogins.clientId}, ${oidcLogins.sub}, ${oidcLogins.sid}, ${now.getTime()}, NULL, NULL, 0, NULL, NULL, NULL FROM ${oidcLogins} WHERE ${and(mine.user, mine.client)}`,
      ),
    deps.db.delete(oidcLogins).where(and(mine.user, mine.client)),
  ]);
  if (deleted.length === 0) return fail("not_found");
  return ok({ application: row.application });
}
