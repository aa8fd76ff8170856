import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { expireEndedRoles, expirePendingRequests } from "../../app/.server/access/lifecycle";
import { createDeps } from "../../app/.server/deps";
import type { QueueMessageBody } from "../../app/.server/mail/messages";
import { seedDatabase } from "../factories/seed";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-22T12:00:00Z");

function depsCollectingMail() {
  const sent: QueueMessageBody[] = [];
  const deps = {
    ...createDeps(env, { now: () => NOW }),
    enqueue: async (m: QueueMessageBody[]) => void sent.push(...m),
  };
  return { deps, sent };
}

async function insertUser(id: string) {
  await env.DB.prepare(
    "INSERT INTO users (id, login_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, 'Pat', 'Example', ?, ?, ?)",
  )
    .bind(id, id.toUpperCase().slice(0, 8), `${id}@example.test`, NOW.getTime(), NOW.getTime())
    .run();
}

async function insertRequest(id: string, userId: string, createdAt: number, orgKey: string) {
  await env.DB.prepare(
    `INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, submission_key, created_at)
     VALUES (?, ?, (SELECT id FROM programs WHERE code = 'IQR'), (SELECT id FROM organizations WHERE external_key = ?), (SELECT id FROM roles WHERE code = 'END_USER'), 'security_official', 'pending', ?, ?)`,
  )
    .bind(id, userId, orgKey, `sk-${id}`, createdAt)
    .run();
}

beforeAll(async () => {
  await seedDatabase(env.DB);
});

describe("scheduled expiry jobs", () => {
  it("expires pending requests older than 30 days, and only those, with an email and an audit event", async () => {
    await insertUser("sched-u1");
    await insertRequest("old-req", "sched-u1", NOW.getTime() - 31 * DAY, "provider:1");
    await insertRequest("new-req", "sched-u1", NOW.getTime() - 29 * DAY, "provider:2");
    const { deps, sent } = depsCollectingMail();
    expect(await expirePendingRequests(deps)).toBe(1);
    const statuses = await env.DB.prepare(
      "SELECT id, status FROM access_requests WHERE id IN ('old-req','new-req') ORDER BY id",
    ).all<{ id: string; status: string }>();
    expect(statuses.results).toEqual([
      { id: "new-req", status: "pending" },
      { id: "old-req", status: "expired" },
    ]);
    expect(sent).toEqual([
      expect.objectContaining({
        template: "request_expired",
        to: "sched-u1@example.test",
        idempotencyKey: "request_expired:old-req",
      }),
    ]);
    const audit = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE event_type = 'access_request.expired' AND subject_user_id = 'sched-u1'",
    ).first<{ n: number }>();
    expect(audit?.n).toBe(1);
    // A second run finds nothing more to do.
    expect(await expirePendingRequests(depsCollectingMail().deps)).toBe(0);
  });

  it("ends roles after their end date and tells the holder", async () => {
    await insertUser("sched-u2");
    const insertRole = (id: string, endDate: string | null) =>
      env.DB.prepare(
        "INSERT INTO user_roles (id, user_id, role_id, status, end_date, granted_at) VALUES (?, 'sched-u2', (SELECT id FROM roles WHERE code = 'END_USER'), 'active', ?, ?)",
      )
        .bind(id, endDate, NOW.getTime())
        .run();
    await insertRole("role-ended", "2026-11-21");
    await insertRole("role-today", "2026-11-22");
    await insertRole("role-open", null);
    const { deps, sent } = depsCollectingMail();
    expect(await expireEndedRoles(deps)).toBe(1);
    const rows = await env.DB.prepare("SELECT id, status FROM user_roles WHERE user_id = 'sched-u2' ORDER BY id").all<{
      id: string;
      status: string;
    }>();
    expect(rows.results).toEqual([
      { id: "role-ended", status: "expired" },
      { id: "role-open", status: "active" },
      { id: "role-today", status: "active" },
    ]);
    expect(sent).toEqual([expect.objectContaining({ template: "role_expired", to: "sched-u2@example.test" })]);
  });
});
