import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { registerUser } from "../../app/.server/auth/accounts";
import { remindUserId } from "../../app/.server/auth/credentials";
import { removeDevice, sendEmailCode } from "../../app/.server/auth/mfa";
import { users } from "../../app/.server/db/schema";
import { createDeps, type Deps } from "../../app/.server/deps";
import type { EmailQueueMessage, QueueMessageBody } from "../../app/.server/mail/messages";
import { drainOutbox, OUTBOX_CLAIM_MS, outboxEmail, outboxInsert } from "../../app/.server/mail/outbox";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, waitForEmail } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

interface OutboxRow {
  id: number;
  idempotency_key: string;
  template: string;
  sealed: ArrayBuffer | number[] | null;
  trace_id: string | null;
  created_at: number;
  claimed_at: number | null;
  attempts: number;
  queued_at: number | null;
}

const outboxRow = (key: string) =>
  env.DB.prepare("SELECT * FROM outbox WHERE idempotency_key = ?").bind(key).first<OutboxRow>();

const userByEmail = (email: string) =>
  env.DB.prepare("SELECT id, created_at FROM users WHERE email = ?")
    .bind(email)
    .first<{ id: string; created_at: number }>();

const auditOf = (userId: string, eventType: string) =>
  env.DB.prepare(
    "SELECT trace_id, occurred_at FROM audit_events WHERE subject_user_id = ? AND event_type = ? ORDER BY id",
  )
    .bind(userId, eventType)
    .all<{ trace_id: string; occurred_at: number }>()
    .then((r) => r.results);

/** Request deps whose queue is `enqueue`, at `now` if given. */
function depsWith(enqueue: Deps["enqueue"], now?: Date): Deps {
  return { ...createDeps(env, now ? { now: () => now } : {}), enqueue };
}

/** A queue that keeps what it is given. */
function collectingQueue() {
  const sent: QueueMessageBody[] = [];
  const enqueue: Deps["enqueue"] = async (messages) => {
    sent.push(...messages);
  };
  return { sent, enqueue, count: (key: string) => sent.filter((m) => m.idempotencyKey === key).length };
}

const brokenQueue: Deps["enqueue"] = async () => {
  throw new Error("queue unavailable");
};

/** The SQL of every statement of every `db.batch()` the deps run. */
function recordBatches(deps: Deps) {
  const batches: string[][] = [];
  const original = deps.db.batch.bind(deps.db);
  deps.db.batch = ((items: readonly { toSQL(): { sql: string } }[]) => {
    batches.push(items.map((item) => item.toSQL().sql));
    return original(items as unknown as Parameters<typeof original>[0]);
  }) as unknown as typeof deps.db.batch;
  return batches;
}

const registration = (email: string) => ({ firstName: "Olive", lastName: "Outbox", email, phone: "614-555-0190" });
const client = () => ({ ip: `203.0.113.${Math.floor(Math.random() * 250) + 1}`, userAgent: "vitest" });
const ascii = (bytes: ArrayBuffer | number[]) => String.fromCharCode(...new Uint8Array(bytes));

describe("outbox: the email is written with the state change that causes it", () => {
  it("registration through the Worker writes the user, its audit event and its email in one request, then queues and delivers the email", async () => {
    const email = `olive.worker.${Date.now()}@example.test`;
    const response = await new Browser().post("/register", {
      firstName: "Olive",
      lastName: "Outbox",
      email,
      phone: "614-555-0190",
    });
    expect(response.status).toBe(200);
    const traceId = response.headers.get("X-Trace-Id");
    expect(traceId).toBeTruthy();

    const user = await userByEmail(email);
    expect(user).not.toBeNull();
    const [registered] = await auditOf(user!.id, "user.registered");
    const row = await outboxRow(`registration:${user!.id}`);
    expect(row?.template).toBe("registration");
    // Written by the same request as the user and its audit event.
    expect(registered.trace_id).toBe(traceId);
    expect(row?.trace_id).toBe(traceId);
    // Drained after the write: queued, and the sealed message is gone.
    expect(row?.queued_at).not.toBeNull();
    expect(row?.sealed).toBeNull();
    expect(row?.attempts).toBe(1);
    const mail = await waitForEmail(email, "User ID and temporary password");
    expect(mail.body_text).toContain("OLIVOU");
  });

  it("registration puts the user, its audit event and its email in the same batch; the sealed row holds no address or password", async () => {
    const email = `olive.sealed.${Date.now()}@example.test`;
    const queue = collectingQueue();
    const atEnqueue: (OutboxRow | null)[] = [];
    const deps = depsWith(async (messages) => {
      // The drain has claimed the row but not yet marked it queued: the sealed message is still there.
      for (const m of messages) atEnqueue.push(await outboxRow(m.idempotencyKey));
      await queue.enqueue(messages);
    });
    const batches = recordBatches(deps);

    const result = await registerUser(deps, registration(email), client());
    expect(result.ok).toBe(true);

    const writes = batches.filter((b) => b.some((s) => s.startsWith('insert into "users"')));
    expect(writes).toHaveLength(1);
    expect(writes[0].some((s) => s.startsWith('insert into "password_credentials"'))).toBe(true);
    expect(writes[0].some((s) => s.startsWith('insert into "audit_events"'))).toBe(true);
    expect(writes[0].some((s) => s.startsWith('insert into "outbox"'))).toBe(true);

    const user = await userByEmail(email);
    const key = `registration:${user!.id}`;
    expect(queue.sent).toHaveLength(1);
    const message = queue.sent[0] as EmailQueueMessage<"registration">;
    expect(message).toMatchObject({ template: "registration", to: email, idempotencyKey: key });
    const temporaryPassword = message.data.temporaryPassword;
    expect(temporaryPassword).toHaveLength(16);

    expect(atEnqueue).toHaveLength(1);
    const sealed = atEnqueue[0]?.sealed;
    expect(sealed).toBeTruthy();
    const text = ascii(sealed!);
    expect(text).not.toContain(email);
    expect(text).not.toContain(temporaryPassword);
    expect(text).not.toContain("Olive");

    const after = await outboxRow(key);
    expect(after?.queued_at).not.toBeNull();
    expect(after?.sealed).toBeNull();
  });

  it("Forgot User ID? writes its audit event and its email in one batch; a security code is written with its email", async () => {
    const user = await createUser();
    const owner = (await createDeps(env).db.select().from(users).where(eq(users.id, user.id)).get())!;
    const queue = collectingQueue();

    const reminding = depsWith(queue.enqueue);
    const reminderBatches = recordBatches(reminding);
    expect((await remindUserId(reminding, { email: user.email }, client())).ok).toBe(true);
    expect(reminderBatches).toHaveLength(1);
    expect(reminderBatches[0].map((sql) => sql.split(" (")[0])).toEqual([
      'insert into "audit_events"',
      'insert into "outbox"',
    ]);

    const coding = depsWith(queue.enqueue);
    const codeBatches = recordBatches(coding);
    expect((await sendEmailCode(coding, owner, "email_mfa")).ok).toBe(true);
    expect(codeBatches).toHaveLength(1);
    expect(codeBatches[0].map((sql) => sql.split(" (")[0].replace(/ set .*/, ""))).toEqual([
      'update "one_time_codes"',
      'insert into "one_time_codes"',
      'insert into "audit_events"',
      'insert into "outbox"',
    ]);

    expect(queue.sent.map((m) => [m.template, m.to])).toEqual([
      ["user_id_reminder", user.email],
      ["security_code", user.email],
    ]);
  });
});

describe("outbox: a crash between the write and the queue", () => {
  it("the service still succeeds, the email stays in the outbox, and later drains queue it exactly once", async () => {
    const email = `olive.crash.${Date.now()}@example.test`;
    const result = await registerUser(depsWith(brokenQueue), registration(email), client());
    expect(result.ok).toBe(true);

    const user = await userByEmail(email);
    expect(user).not.toBeNull();
    expect(await auditOf(user!.id, "user.registered")).toHaveLength(1);
    const key = `registration:${user!.id}`;
    const stuck = await outboxRow(key);
    expect(stuck?.queued_at).toBeNull();
    expect(stuck?.sealed).not.toBeNull();
    // The failed drain had claimed it.
    expect(stuck?.claimed_at).not.toBeNull();

    // The cron, once the dead drain's claim is stale; then again.
    const queue = collectingQueue();
    const later = depsWith(queue.enqueue, new Date(stuck!.claimed_at! + OUTBOX_CLAIM_MS + 1));
    expect(await drainOutbox(later)).toBeGreaterThanOrEqual(1);
    expect(await drainOutbox(later)).toBe(0);
    expect(queue.count(key)).toBe(1);
    expect(queue.sent.find((m) => m.idempotencyKey === key)).toMatchObject({ template: "registration", to: email });

    const queued = await outboxRow(key);
    expect(queued?.queued_at).not.toBeNull();
    expect(queued?.sealed).toBeNull();
    expect(queued?.attempts).toBe(2);
  });

  it("two drains running at once queue each row once", async () => {
    const deps = createDeps(env);
    const keys: string[] = [];
    for (let i = 0; i < 12; i++) {
      const entry = await outboxEmail(deps, {
        template: "test",
        to: `parallel-${i}@example.test`,
        data: { note: `Parallel ${i}.` },
      });
      await outboxInsert(deps, entry);
      keys.push(entry.idempotencyKey);
    }
    // A slow queue keeps each drain's claim open while the other runs.
    const slow = (queue: ReturnType<typeof collectingQueue>): Deps["enqueue"] => {
      return async (messages) => {
        await new Promise((r) => setTimeout(r, 20));
        await queue.enqueue(messages);
      };
    };
    const a = collectingQueue();
    const b = collectingQueue();
    const c = collectingQueue();
    await Promise.all([
      drainOutbox(depsWith(slow(a)), keys),
      drainOutbox(depsWith(slow(b))),
      drainOutbox(depsWith(slow(c)), keys),
    ]);
    for (const key of keys) {
      expect(a.count(key) + b.count(key) + c.count(key)).toBe(1);
      const row = await outboxRow(key);
      expect(row?.queued_at).not.toBeNull();
      expect(row?.attempts).toBe(1);
    }
  });
});

describe("outbox: a drain that died", () => {
  it("leaves its claimed rows to a later drain, but only after OUTBOX_CLAIM_MS", async () => {
    const base = Date.now();
    const deps = createDeps(env, { now: () => new Date(base) });
    const entry = await outboxEmail(deps, { template: "test", to: "claimed@example.test", data: { note: "Claimed." } });
    await outboxInsert(deps, entry);
    const key = entry.idempotencyKey;

    // A drain claims the row and dies before marking it queued.
    await expect(drainOutbox(depsWith(brokenQueue, new Date(base)), [key])).rejects.toThrow("queue unavailable");
    const claimed = await outboxRow(key);
    expect(claimed?.claimed_at).toBe(base);
    expect(claimed?.queued_at).toBeNull();

    const queue = collectingQueue();
    for (const offset of [1, OUTBOX_CLAIM_MS / 2, OUTBOX_CLAIM_MS]) {
      await drainOutbox(depsWith(queue.enqueue, new Date(base + offset)));
      expect(queue.count(key)).toBe(0);
    }
    expect((await outboxRow(key))?.claimed_at).toBe(base);

    await drainOutbox(depsWith(queue.enqueue, new Date(base + OUTBOX_CLAIM_MS + 1)));
    expect(queue.count(key)).toBe(1);
    const queued = await outboxRow(key);
    expect(queued?.queued_at).toBe(base + OUTBOX_CLAIM_MS + 1);
    expect(queued?.sealed).toBeNull();
    expect(queued?.attempts).toBe(2);
  });
});

describe("outbox: no state change, no email", () => {
  it("two removals of one device at once record one removal and write one email", async () => {
    const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    const deviceId = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, created_at, confirmed_at) VALUES (?, ?, 'email', 'Email', 'MAIL-TEST', ?, ?)",
    )
      .bind(deviceId, user.id, Date.now(), Date.now())
      .run();
    const owner = (await createDeps(env).db.select().from(users).where(eq(users.id, user.id)).get())!;
    const queue = collectingQueue();
    const remove = () =>
      removeDevice(depsWith(queue.enqueue), owner, deviceId, { ip: null }, { keepStrongDevice: true });
    await Promise.all([remove(), remove(), remove()]);

    const removals = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE event_type = 'mfa.device_removed' AND details_json LIKE ?",
    )
      .bind(`%${deviceId}%`)
      .first<{ n: number }>();
    expect(removals?.n).toBe(1);
    const key = `mfa_device_changed:removed:${deviceId}`;
    expect(await outboxRow(key)).not.toBeNull();
    expect(queue.count(key)).toBe(1);
    expect(queue.sent.filter((m) => m.to === user.email)).toHaveLength(1);
  });
});

describe("outbox: one bad row holds up nothing", () => {
  it("a row that cannot be opened is skipped while the others are queued, and after 10 tries it is left for a person", async () => {
    const queue = collectingQueue();
    const deps = depsWith(queue.enqueue);
    const good = await outboxEmail(deps, { template: "test", to: "good@example.test", data: { note: "good" } });
    const bad = await outboxEmail(deps, { template: "test", to: "bad@example.test", data: { note: "bad" } });
    // Sealed for another key: what a rotated encryption key would leave behind.
    const moved = { ...bad, idempotencyKey: `test:moved-${crypto.randomUUID()}` };
    await deps.db.batch([outboxInsert(deps, moved), outboxInsert(deps, good)]);

    const first = await drainOutbox(deps, [moved, good]);
    expect(first).toBe(1);
    expect(queue.count(good.idempotencyKey)).toBe(1);
    expect((await outboxRow(moved.idempotencyKey))?.queued_at ?? null).toBeNull();

    // Each later drain (after the claim goes stale) tries it again, ten times in all.
    for (let i = 1; i <= 12; i++)
      await drainOutbox(depsWith(queue.enqueue, new Date(Date.now() + i * 2 * OUTBOX_CLAIM_MS)), [moved]);
    const row = await env.DB.prepare("SELECT attempts, queued_at FROM outbox WHERE idempotency_key = ?")
      .bind(moved.idempotencyKey)
      .first<{ attempts: number; queued_at: number | null }>();
    expect(row).toEqual({ attempts: 10, queued_at: null });
    expect(queue.sent).toHaveLength(1);
  });
});
