import { and, eq, gt, isNull, type SQL, sql } from "drizzle-orm";
import { emailTokens } from "../db/schema";
import type { Deps } from "../deps";
import { hashToken, randomToken } from "./tokens";

/** Reset links live one hour (issue: forgot password); "This wasn't me" links a week. */
export const TOKEN_TTL_MS = {
  password_reset: 60 * 60 * 1000,
  not_me: 7 * 24 * 60 * 60 * 1000,
  /** As long as the restriction it can cancel, and a little more for a slow inbox. */
  weak_reset_not_me: 2 * 24 * 60 * 60 * 1000,
  /** Reset MFA's link that lets a session bind the first new device (docs/decisions/2026-12-07-recovery-model.md). */
  reenrollment: 24 * 60 * 60 * 1000,
} as const;

export type TokenPurpose = keyof typeof TOKEN_TTL_MS;

/**
 * A new token and the statement that stores it (hashed), for the caller's batch with the email that carries it.
 * `onlyIf`: stored only when this holds (the change the email is about happened in the same batch);
 * `ttlMs`: a lifetime other than the purpose's.
 */
export function newEmailToken(
  deps: Pick<Deps, "db" | "now">,
  userId: string,
  purpose: TokenPurpose,
  options: { onlyIf?: SQL; ttlMs?: number } = {},
) {
  const token = randomToken();
  const now = deps.now();
  const row = {
    tokenHash: hashToken(token),
    userId,
    purpose: purpose,
    createdAt: now,
    expiresAt: new Date(now.getTime() + (options.ttlMs ?? TOKEN_TTL_MS[purpose])),
  };
  const insert = options.onlyIf
    ? deps.db
        .insert(emailTokens)
        // Every column, in table order: token hash, user, purpose, expires, used, created.
        .select(
          sql`SELECT ${row.tokenHash}, ${userId}, ${purpose}, ${row.expiresAt.getTime()}, NULL, ${now.getTime()} WHERE ${options.onlyIf}`,
        )
    : deps.db.insert(emailTokens).values(row);
  return { token, insert };
}

export async function createEmailToken(
  deps: Pick<Deps, "db" | "now">,
  userId: string,
  purpose: TokenPurpose,
): Promise<string> {
  const { token, insert } = newEmailToken(deps, userId, purpose);
  await insert;
  return token;
}

/** The token's user if it is valid, unused and unexpired (it is not consumed). */
export async function peekEmailToken(deps: Pick<Deps, "db" | "now">, token: string | null, purpose: TokenPurpose) {
  if (!token || !/^[a-z2-7]{32}$/.test(token)) return null;
  const row = await deps.db
    .select()
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.tokenHash, hashToken(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, deps.now()),
      ),
    )
    .get();
  return row ?? null;
}

/** Marks the token used; false if it was used (or expired) in the meantime. Single use. */
export async function consumeEmailToken(
  deps: Pick<Deps, "db" | "now">,
  token: string,
  purpose: TokenPurpose,
): Promise<string | null> {
  const [row] = await deps.db
    .update(emailTokens)
    .set({ usedAt: deps.now() })
    .where(
      and(
        eq(emailTokens.tokenHash, hashToken(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, deps.now()),
      ),
    )
    .returning({ userId: emailTokens.userId });
  return row?.userId ?? null;
}
