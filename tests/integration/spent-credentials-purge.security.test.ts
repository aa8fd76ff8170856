import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SPENT_CODE_RETENTION_MS } from "../../app/.server/auth/purge";
import { runScheduledJobs } from "../../worker/scheduled";
import { seedDatabase } from "../factories/seed";
import { createUser } from "../factories/users";

const MINUTE = 60 * 1000;
const NOW = new Date("2026-11-22T12:00:00Z");
const at = (offsetMs: number) => NOW.getTime() + offsetMs;

beforeAll(async () => {
  await seedDatabase(env.DB);
});

async function ids(table: string, column = "id") {
  const rows = await env.DB.prepare(
    `SELECT ${column} AS id FROM ${table} WHERE ${column} LIKE 'purge-%' ORDER BY ${column}`,
  ).all<{ id: string }>();
  return rows.results.map((r) => r.id);
}

describe("ASVS 3.x / 2.5 spent single-use secrets are purged by the cron", () => {
  it("deletes used and expired WebAuthn challenges, email tokens and one-time codes, and keeps live ones", async () => {
    const user = await createUser({ verified: true });
    const challenge = (id: string, expiresAt: number, usedAt: number | null) =>
      env.DB.prepare(
        "INSERT INTO webauthn_challenges (id, user_id, purpose, challenge, expires_at, used_at) VALUES (?, ?, 'authenticate', 'c', ?, ?)",
      ).bind(id, user.id, expiresAt, usedAt);
    const token = (id: string, expiresAt: number, usedAt: number | null) =>
      env.DB.prepare(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at, used_at, created_at) VALUES (?, ?, 'password_reset', ?, ?, ?)",
      ).bind(id, user.id, expiresAt, usedAt, at(-60 * MINUTE));
    const code = (id: string, createdAt: number, expiresAt: number, usedAt: number | null) =>
      env.DB.prepare(
        "INSERT INTO one_time_codes (id, user_id, purpose, code_hash, attempts, expires_at, used_at, created_at) VALUES (?, ?, 'email_mfa', 'h', 0, ?, ?, ?)",
      ).bind(id, user.id, expiresAt, usedAt, createdAt);
    await env.DB.batch([
      challenge("purge-ch-expired", at(-1 * MINUTE), null),
      challenge("purge-ch-used", at(4 * MINUTE), at(-10_000)),
      challenge("purge-ch-live", at(4 * MINUTE), null),
      token("purge-tok-expired", at(-1 * MINUTE), null),
      token("purge-tok-used", at(30 * MINUTE), at(-5 * MINUTE)),
      token("purge-tok-live", at(30 * MINUTE), null),
      // Codes sent in the last 15 minutes are counted by the send limit, used or not: kept.
      code("purge-code-used-recent", at(-5 * MINUTE), at(5 * MINUTE), at(-4 * MINUTE)),
      code("purge-code-expired-recent", at(-12 * MINUTE), at(-2 * MINUTE), null),
      code("purge-code-live", at(-1 * MINUTE), at(9 * MINUTE), null),
      code(
        "purge-code-used-old",
        at(-SPENT_CODE_RETENTION_MS - MINUTE),
        at(-SPENT_CODE_RETENTION_MS + 9 * MINUTE),
        at(-SPENT_CODE_RETENTION_MS),
      ),
      code(
        "purge-code-expired-old",
        at(-SPENT_CODE_RETENTION_MS - MINUTE),
        at(-SPENT_CODE_RETENTION_MS + 9 * MINUTE),
        null,
      ),
    ]);

    const result = await runScheduledJobs(env, () => NOW);
    expect(result.purged).toMatchObject({
      webauthnChallenges: expect.any(Number),
      emailTokens: expect.any(Number),
      oneTimeCodes: expect.any(Number),
    });

    expect(await ids("webauthn_challenges")).toEqual(["purge-ch-live"]);
    expect(await ids("email_tokens", "token_hash")).toEqual(["purge-tok-live"]);
    expect(await ids("one_time_codes")).toEqual([
      "purge-code-expired-recent",
      "purge-code-live",
      "purge-code-used-recent",
    ]);

    // A second run has nothing left to delete among these.
    await runScheduledJobs(env, () => NOW);
    expect(await ids("webauthn_challenges")).toEqual(["purge-ch-live"]);
  });
});
