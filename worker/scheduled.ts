import { expireEndedRoles, expirePendingRequests, purgeExpiredRecords } from "../app/.server/access/expiry";
import { purgeSpentCredentials } from "../app/.server/auth/purge";
import { createDeps } from "../app/.server/deps";
import type { Env } from "../app/.server/env";
import { drainOutbox, purgeOutbox } from "../app/.server/mail/outbox";

/** Cron (wrangler.toml [triggers]): lifecycle jobs of SPEC 2.6, housekeeping, and what the outbox still holds. */
export async function runScheduledJobs(env: Env, now: () => Date = () => new Date()) {
  const deps = createDeps(env, { traceId: `cron:${crypto.randomUUID()}`, now });
  const expiredRequests = await expirePendingRequests(deps);
  const expiredRoles = await expireEndedRoles(deps);
  await purgeExpiredRecords(deps);
  await purgeOutbox(deps);
  const purged = await purgeSpentCredentials(deps);
  // Last, so the emails the jobs above wrote go out in this run.
  const queued = await drainOutbox(deps);
  return { expiredRequests, expiredRoles, purged, queued };
}
