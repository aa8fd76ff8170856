import {
  expireEndedRoles,
  expirePendingRequests,
  lapseUnrecertifiedRoles,
  purgeExpiredRecords,
  remindPendingRequests,
  remindRecertifications,
  revokeInactiveUsersRoles,
  sendRoleEndingNotices,
  warnInactiveUsers,
} from "../app/.server/access/lifecycle";
import { purgeSpentCredentials } from "../app/.server/auth/purge";
import { createDeps } from "../app/.server/deps";
import type { Env } from "../app/.server/env";
import { drainOutbox, purgeOutbox } from "../app/.server/mail/outbox";

/**
 * Cron (wrangler.toml [triggers]): the lifecycle jobs of SPEC 2.6
 * (app/.server/access/lifecycle.ts), housekeeping, and what the outbox still
 * holds. Every job is idempotent, so a run that overlaps another, or repeats
 * at the same clock, changes nothing more and sends nothing more.
 */
export async function runScheduledJobs(env: Env, now: () => Date = () => new Date()) {
  const deps = createDeps(env, { traceId: `cron:${crypto.randomUUID()}`, now });
  // Changes first, so a request or role that ends in this run is not reminded about too.
  const expiredRequests = await expirePendingRequests(deps);
  const requestReminders = await remindPendingRequests(deps);
  const expiredRoles = await expireEndedRoles(deps);
  const roleEndingNotices = await sendRoleEndingNotices(deps);
  const lapsedRoles = await lapseUnrecertifiedRoles(deps);
  const recertificationReminders = await remindRecertifications(deps);
  const inactiveUsers = await revokeInactiveUsersRoles(deps);
  const inactivityWarnings = await warnInactiveUsers(deps);
  await purgeExpiredRecords(deps);
  await purgeOutbox(deps);
  const purged = await purgeSpentCredentials(deps);
  // Last, so the emails the jobs above wrote go out in this run.
  const queued = await drainOutbox(deps);
  return {
    expiredRequests,
    requestReminders,
    expiredRoles,
    roleEndingNotices,
    lapsedRoles,
    recertificationReminders,
    inactiveUsers,
    inactivityWarnings,
    purged,
    queued,
  };
}
