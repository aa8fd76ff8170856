import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { auditInsert } from "../audit/record";
import { oidcClients, oidcLogoutDeliveries } from "../db/schema";
import type { Deps } from "../deps";
import { issuerOf, LIFETIMES, sidForClient } from "./config";
import { signJwt } from "./keys";

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0, SPEC 2.9). Every
 * way a portal session ends deletes its `sessions` row; a trigger (migration
 * 0017) turns the applications it signed in to into oidc_logout_deliveries rows
 * in that same statement. This module hands those rows to the logout queue (a
 * drain like the email outbox's: after the response that ended the session,
 * and from the cron), and the queue's consumer signs a logout token for each
 * and POSTs it to the application, with retries; what fails every retry is
 * recorded on the row (and in the audit log) by the dead-letter consumer.
 */

export interface LogoutQueueMessage {
  type: "oidc-logout";
  deliveryId: number;
}

/** The back-channel logout event (Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** A drain that claimed rows and died is presumed dead after this; the next drain takes them. */
export const LOGOUT_CLAIM_MS = 60 * 1000;
/** How long the portal waits for an application's answer. */
export const LOGOUT_FETCH_TIMEOUT_MS = 5000;
/** Queues.sendBatch takes at most 100 messages. */
const DRAIN_LIMIT = 100;

type DrainDeps = Pick<Deps, "db" | "now" | "enqueueLogout">;

/**
 * Hands unqueued deliveries to the logout queue: claims them in one conditional
 * UPDATE (two drains never take the same row), sends them in one `sendBatch`,
 * then marks them queued. A failure leaves them claimed; after LOGOUT_CLAIM_MS
 * any drain (the cron) takes them again. Returns how many were queued.
 */
export async function drainLogoutDeliveries(deps: DrainDeps): Promise<number> {
  let total = 0;
  for (;;) {
    const now = deps.now();
    const claimable = and(
      isNull(oidcLogoutDeliveries.queuedAt),
      or(
        isNull(oidcLogoutDeliveries.claimedAt),
        lt(oidcLogoutDeliveries.claimedAt, new Date(now.getTime() - LOGOUT_CLAIM_MS)),
      ),
    );
    const candidates = deps.db
      .select({ id: oidcLogoutDeliveries.id })
      .from(oidcLogoutDeliveries)
      .where(claimable)
      .orderBy(asc(oidcLogoutDeliveries.id))
      .limit(DRAIN_LIMIT);
    const claimed = await deps.db
      .update(oidcLogoutDeliveries)
      .set({ claimedAt: now })
      .where(and(inArray(oidcLogoutDeliveries.id, candidates), claimable))
      .returning({ id: oidcLogoutDeliveries.id });
    if (claimed.length === 0) return total;
    const ids = claimed.map((row) => row.id);
    await deps.enqueueLogout(ids.map((deliveryId) => ({ type: "oidc-logout", deliveryId })));
    await deps.db
      .update(oidcLogoutDeliveries)
      .set({ queuedAt: deps.now() })
      .where(and(inArray(oidcLogoutDeliveries.id, ids), eq(oidcLogoutDeliveries.claimedAt, now)));
    total += ids.length;
    if (claimed.length < DRAIN_LIMIT) return total;
  }
}

/**
 * Called where a request ended sessions (Sign Out, "sign out everywhere",
 * ending one session, a password change, deactivation, Reset MFA): drains once
 * the answer is complete, so it costs the answer nothing, and never fails the
 * request (the cron queues whatever this could not). Outside a request (tests
 * calling services, the cron) it is awaited.
 */
export async function drainLogoutsAfterResponse(
  deps: DrainDeps & Pick<Deps, "traceId" | "waitUntil" | "afterResponse">,
): Promise<void> {
  const work = () =>
    drainLogoutDeliveries(deps).then(
      () => undefined,
      (error) => {
        console.error(
          JSON.stringify({
            level: "warn",
            traceId: deps.traceId,
            msg: "logout delivery drain deferred to cron",
            error: String(error),
          }),
        );
      },
    );
  if (deps.afterResponse) deps.afterResponse(work);
  else if (deps.waitUntil) deps.waitUntil(work());
  else await work();
}

export type LogoutOutcome = "delivered" | "skipped" | "done" | "retry";

type DeliverDeps = Pick<Deps, "db" | "env" | "now">;

/**
 * Delivers one logout token. The attempt is counted in one conditional UPDATE
 * (nothing happens to a delivery already delivered or given up on), in the
 * same round trip as reading its application. A disabled application, or one
 * without a back-channel logout URI, is sent nothing. The token (typ
 * logout+jwt, no nonce) is POSTed as a form; 200 or 204 is success, anything
 * else (a redirect is not followed) is retried.
 */
export async function deliverLogout(
  deps: DeliverDeps,
  deliveryId: number,
  fetcher: typeof fetch = fetch,
): Promise<{ outcome: LogoutOutcome; error?: string }> {
  const now = deps.now();
  const [claimed, clients] = await deps.db.batch([
    deps.db
      .update(oidcLogoutDeliveries)
      .set({ attempts: sql`${oidcLogoutDeliveries.attempts} + 1` })
      .where(
        and(
          eq(oidcLogoutDeliveries.id, deliveryId),
          isNull(oidcLogoutDeliveries.deliveredAt),
          isNull(oidcLogoutDeliveries.failedAt),
        ),
      )
      .returning(),
    deps.db
      .select()
      .from(oidcClients)
      .where(
        eq(
          oidcClients.id,
          sql`(SELECT ${oidcLogoutDeliveries.clientId} FROM ${oidcLogoutDeliveries} WHERE ${oidcLogoutDeliveries.id} = ${deliveryId})`,
        ),
      )
      .limit(1),
  ]);
  const delivery = claimed[0];
  if (!delivery) return { outcome: "done" };
  const client = clients[0];
  if (client?.status !== "active" || !client.backchannelLogoutUri) {
    await deps.db
      .update(oidcLogoutDeliveries)
      .set({
        deliveredAt: now,
        lastError: "Not sent: the application is disabled or has no back-channel logout URI",
      })
      .where(eq(oidcLogoutDeliveries.id, deliveryId));
    return { outcome: "skipped" };
  }

  const iat = Math.floor(now.getTime() / 1000);
  const token = await signJwt(deps, {
    alg: client.idTokenSignedResponseAlg,
    typ: "logout+jwt",
    claims: {
      iss: issuerOf(deps.env),
      aud: client.id,
      iat,
      exp: iat + Math.floor(LIFETIMES.logoutTokenMs / 1000),
      jti: crypto.randomUUID(),
      sub: delivery.sub,
      sid: sidForClient(deps.env, client.id, delivery.sid),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    },
  });

  let error: string;
  try {
    const response = await fetcher(client.backchannelLogoutUri, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ logout_token: token }).toString(),
      redirect: "manual",
      signal: AbortSignal.timeout(LOGOUT_FETCH_TIMEOUT_MS),
    });
    // The body is not needed; release the connection.
    await response.body?.cancel().catch(() => {});
    if (response.status === 200 || response.status === 204) {
      await deps.db
        .update(oidcLogoutDeliveries)
        .set({ deliveredAt: deps.now(), lastError: null })
        .where(eq(oidcLogoutDeliveries.id, deliveryId));
      return { outcome: "delivered" };
    }
    error = `The application answered HTTP ${response.status}`;
  } catch (thrown) {
    error =
      thrown instanceof Error && (thrown.name === "TimeoutError" || thrown.name === "AbortError")
        ? `No answer within ${LOGOUT_FETCH_TIMEOUT_MS / 1000} seconds`
        : `Could not reach the application: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
  }
  await deps.db
    .update(oidcLogoutDeliveries)
    .set({ lastError: error.slice(0, 500) })
    .where(and(eq(oidcLogoutDeliveries.id, deliveryId), isNull(oidcLogoutDeliveries.deliveredAt)));
  return { outcome: "retry", error };
}

/**
 * For a message that used up its retries: the delivery is marked failed (an
 * administrator sees it in Administration → Failed Email) and an
 * `oidc.logout_failed` audit event is written in the same batch, only if this
 * call is the one that marked it.
 */
export async function recordLogoutDeadLetter(deps: Pick<Deps, "db" | "now" | "traceId">, deliveryId: number) {
  const now = deps.now();
  const [row] = await deps.db
    .select({ clientId: oidcLogoutDeliveries.clientId })
    .from(oidcLogoutDeliveries)
    .where(eq(oidcLogoutDeliveries.id, deliveryId));
  if (!row) return false;
  const markedHere = sql`EXISTS (SELECT 1 FROM ${oidcLogoutDeliveries} WHERE ${oidcLogoutDeliveries.id} = ${deliveryId} AND ${oidcLogoutDeliveries.failedAt} = ${now.getTime()})`;
  const [marked] = await deps.db.batch([
    deps.db
      .update(oidcLogoutDeliveries)
      .set({
        failedAt: now,
        lastError: sql`COALESCE(${oidcLogoutDeliveries.lastError}, 'Never delivered: no attempt was recorded')`,
      })
      .where(
        and(
          eq(oidcLogoutDeliveries.id, deliveryId),
          isNull(oidcLogoutDeliveries.deliveredAt),
          isNull(oidcLogoutDeliveries.failedAt),
        ),
      )
      .returning({ id: oidcLogoutDeliveries.id }),
    auditInsert(
      deps,
      { eventType: "oidc.logout_failed", outcome: "failure", details: { deliveryId, clientId: row.clientId } },
      markedHere,
    ),
  ]);
  return marked.length > 0;
}

/** How many failed deliveries the Administration page lists at most (newest first). */
export const FAILED_LOGOUTS_SHOWN = 100;

/**
 * Deliveries that failed every retry, newest first, with their application's
 * name (Administration → Failed email, beside the emails): an administrator
 * sees which application may still hold a session the portal ended.
 */
export function listFailedLogouts(deps: Pick<Deps, "db">) {
  return deps.db
    .select({
      id: oidcLogoutDeliveries.id,
      clientId: oidcLogoutDeliveries.clientId,
      application: oidcClients.name,
      attempts: oidcLogoutDeliveries.attempts,
      lastError: oidcLogoutDeliveries.lastError,
      failedAt: oidcLogoutDeliveries.failedAt,
    })
    .from(oidcLogoutDeliveries)
    .leftJoin(oidcClients, eq(oidcClients.id, oidcLogoutDeliveries.clientId))
    .where(isNotNull(oidcLogoutDeliveries.failedAt))
    .orderBy(desc(oidcLogoutDeliveries.failedAt), desc(oidcLogoutDeliveries.id))
    .limit(FAILED_LOGOUTS_SHOWN);
}
