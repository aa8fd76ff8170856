import { expireEndedRoles, expirePendingRequests, purgeExpiredRecords } from "../app/.server/access/expiry";
import { purgeSpentCredentials } from "../app/.server/auth/purge";
import { createDeps } from "../app/.server/deps";
import type { Env } from "../app/.server/env";

/** Cron (wrangler.toml [triggers]): expiry jobs of SPEC 2.6 and housekeeping. */
export async function runScheduledJobs(env: Env, now: () => Date = () => new Date()) {
  const deps = createDeps(env, { traceId: `cron:${crypto.randomUUID()}`, now });
  const expiredRequests = await expirePendingRequests(deps);
  const expiredRoles = await expireEndedRoles(deps);
  await purgeExpiredRecords(deps);
  const purged = await purgeSpentCredentials(deps);
  return { expiredRequests, expiredRoles, purged };
}
