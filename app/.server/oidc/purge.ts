import { lt } from "drizzle-orm";
import { oidcAccessTokens, oidcAuthorizationCodes, oidcClientAssertions } from "../db/schema";
import type { Deps } from "../deps";
import { LIFETIMES } from "./config";

/** A minute past an assertion's `exp`: beyond the skew the token endpoint allows, a replay is refused as expired. */
const ASSERTION_KEEP_MS = 60 * 1000;

/**
 * The cron's housekeeping of the token endpoint's single-use records, once they
 * can no longer matter: access tokens past expiry, client assertions' `jti`s
 * once the assertion itself would be refused as expired, and codes once every
 * access token they could have issued has expired (a code reused before then
 * still finds its row, and revokes what it issued).
 */
export async function purgeOidcRecords(deps: Pick<Deps, "db" | "now">): Promise<void> {
  const now = deps.now().getTime();
  await deps.db.batch([
    deps.db.delete(oidcAccessTokens).where(lt(oidcAccessTokens.expiresAt, new Date(now))),
    deps.db.delete(oidcClientAssertions).where(lt(oidcClientAssertions.expiresAt, new Date(now - ASSERTION_KEEP_MS))),
    deps.db
      .delete(oidcAuthorizationCodes)
      .where(lt(oidcAuthorizationCodes.expiresAt, new Date(now - LIFETIMES.accessTokenMs))),
  ]);
}
