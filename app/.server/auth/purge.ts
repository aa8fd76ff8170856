import { and, isNotNull, lt, or } from "drizzle-orm";
import { emailTokens, oneTimeCodes, webauthnChallenges } from "../db/schema";
import type { Deps } from "../deps";

/**
 * How long a spent emailed code is kept. sendEmailCode (mfa.ts) counts every code
 * sent in its 15-minute window, used or not, to limit sends; an hour keeps that
 * count exact with room to spare. Nothing reads spent WebAuthn challenges or
 * email tokens, so they go at the first run after they are used or expire.
 */
export const SPENT_CODE_RETENTION_MS = 60 * 60 * 1000;

/**
 * Cron housekeeping: deletes WebAuthn challenges, email tokens and one-time codes
 * that can no longer be used. Each is single-use and short-lived; keeping them
 * only grows the tables (anyone can request challenges) and keeps hashes of
 * secrets around for no purpose.
 */
export async function purgeSpentCredentials(deps: Pick<Deps, "db" | "now">) {
  const now = deps.now();
  const codeCutoff = new Date(now.getTime() - SPENT_CODE_RETENTION_MS);
  const [challenges, tokens, codes] = await deps.db.batch([
    deps.db
      .delete(webauthnChallenges)
      .where(or(isNotNull(webauthnChallenges.usedAt), lt(webauthnChallenges.expiresAt, now)))
      .returning({ id: webauthnChallenges.id }),
    deps.db
      .delete(emailTokens)
      .where(or(isNotNull(emailTokens.usedAt), lt(emailTokens.expiresAt, now)))
      .returning({ id: emailTokens.tokenHash }),
    deps.db
      .delete(oneTimeCodes)
      .where(
        and(
          lt(oneTimeCodes.createdAt, codeCutoff),
          or(isNotNull(oneTimeCodes.usedAt), lt(oneTimeCodes.expiresAt, now)),
        ),
      )
      .returning({ id: oneTimeCodes.id }),
  ]);
  return { webauthnChallenges: challenges.length, emailTokens: tokens.length, oneTimeCodes: codes.length };
}
