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
import { drainLogoutDeliveries } from "../app/.server/oidc/backchannel";
import { rotateSigningKeys } from "../app/.server/oidc/keys";
import { purgeOidcRecords } from "../app/.server/oidc/purge";
import { resumeImports } from "../app/.server/organizations/import";

/**
 * Cron (wrangler.toml [triggers]): the lifecycle jobs of SPEC 2.6
 * (app/.server/access/lifecycle.ts), housekeeping, and what the outbox still
 * holds. Every job is idempotent, so a run that overlaps another, or repeats
 * at the same clock, changes nothing more and sends nothing more.
 */
export async function runScheduledJobs(env: Env, now: () => Date = () => new Date()) {
  const deps = createDeps(env, { traceId: `cron:${crypto.randomUUID()}`, now });
  // One job failing (a D1 hiccup, a bad row) must not stop the others, least of all the final drain.
  const run = async <T>(job: string, work: () => Promise<T>): Promise<T | null> => {
    try {
      return await work();
    } catch (error) {
      console.error(
        JSON.stringify({ level: "error", traceId: deps.traceId, msg: "cron job failed", job, error: String(error) }),
      );
      return null;
    }
  };
  // Changes first, so a request or role that ends in this run is not reminded about too.
  const expiredRequests = await run("expirePendingRequests", () => expirePendingRequests(deps));
  const requestReminders = await run("remindPendingRequests", () => remindPendingRequests(deps));
  const expiredRoles = await run("expireEndedRoles", () => expireEndedRoles(deps));
  const roleEndingNotices = await run("sendRoleEndingNotices", () => sendRoleEndingNotices(deps));
  const lapsedRoles = await run("lapseUnrecertifiedRoles", () => lapseUnrecertifiedRoles(deps));
  const recertificationReminders = await run("remindRecertifications", () => remindRecertifications(deps));
  const inactiveUsers = await run("revokeInactiveUsersRoles", () => revokeInactiveUsersRoles(deps));
  const inactivityWarnings = await run("warnInactiveUsers", () => warnInactiveUsers(deps));
  const imports = await run("resumeImports", () => resumeImports(deps));
  await run("rotateSigningKeys", () => rotateSigningKeys(deps));
  await run("purgeOidcRecords", () => purgeOidcRecords(deps));
  await run("purgeExpiredRecords", () => purgeExpiredRecords(deps));
  await run("purgeOutbox", async () => await purgeOutbox(deps));
  const purged = await run("purgeSpentCredentials", () => purgeSpentCredentials(deps));
  // Last, so the emails the jobs above wrote go out in this run.
  const queued = await run("drainOutbox", () => drainOutbox(deps));
  // Sessions the jobs above ended (expiry), and any a request could not queue: back-channel logout.
  const logoutsQueued = await run("drainLogoutDeliveries", () => drainLogoutDeliveries(deps));
  return {
    expiredRequests,
    requestReminders,
    expiredRoles,
    roleEndingNotices,
    lapsedRoles,
    recertificationReminders,
    inactiveUsers,
    inactivityWarnings,
    imports,
    purged,
    queued,
    logoutsQueued,
  };
}
