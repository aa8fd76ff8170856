import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Mailer, OutgoingEmail } from "../../app/.server/mail/mailer";
import type { EmailQueueMessage, QueueMessageBody } from "../../app/.server/mail/messages";
import worker, { app } from "../../worker/index";
import { handleQueueBatch } from "../../worker/queue";
import { get, ORIGIN, postForm } from "../factories/http";

const QUEUE = "secure-portal-email";
const DLQ = "secure-portal-email-dlq";

function emailMessage(overrides: Partial<EmailQueueMessage> = {}): EmailQueueMessage {
  return {
    type: "email",
    template: "test",
    to: "someone@secure-portal.localhost",
    data: { note: "From a test." },
    idempotencyKey: `test:${crypto.randomUUID()}`,
    ...overrides,
  } as EmailQueueMessage;
}

async function deliver(queue: string, bodies: QueueMessageBody[], attempts = 1) {
  const batch = createMessageBatch<QueueMessageBody>(
    queue,
    bodies.map((body, i) => ({ id: `m-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

async function mailboxRows(key: string) {
  const { results } = await env.DB.prepare("SELECT * FROM dev_mailbox WHERE idempotency_key = ?")
    .bind(key)
    .all<Record<string, string>>();
  return results;
}

async function logRow(key: string) {
  return env.DB.prepare("SELECT * FROM email_log WHERE idempotency_key = ?")
    .bind(key)
    .first<Record<string, string | number>>();
}

describe("email queue consumer", () => {
  it("renders a queued email as text and HTML, sends it and acknowledges the message", async () => {
    const message = emailMessage();
    const result = await deliver(QUEUE, [message]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(0);
    const [mail] = await mailboxRows(message.idempotencyKey);
    expect(mail.subject).toBe("QualityNet test email");
    expect(mail.recipient).toBe(message.to);
    expect(mail.body_text).toContain("From a test.");
    expect(mail.body_text).toContain("http://localhost:8787/");
    expect(mail.body_html).toContain('<a href="http://localhost:8787/"');
    expect((await logRow(message.idempotencyKey))?.status).toBe("sent");
  });

  it("sends one email when the same message is delivered twice", async () => {
    const message = emailMessage();
    await deliver(QUEUE, [message]);
    const second = await deliver(QUEUE, [message]);
    expect(second.explicitAcks).toHaveLength(1);
    expect(await mailboxRows(message.idempotencyKey)).toHaveLength(1);
    // Both copies in one batch, too.
    const twin = emailMessage();
    await deliver(QUEUE, [twin, twin]);
    expect(await mailboxRows(twin.idempotencyKey)).toHaveLength(1);
  });

  it("retries a failed send with exponential delay and records the error", async () => {
    const message = emailMessage({ to: "nobody@fail.example" });
    const delays: (number | undefined)[] = [];
    for (const attempts of [1, 3]) {
      const batch = createMessageBatch<QueueMessageBody>(QUEUE, [
        { id: `r${attempts}`, timestamp: new Date(), attempts, body: message },
      ]);
      const retry = vi.spyOn(batch.messages[0], "retry");
      await worker.queue(batch, env);
      expect((await getQueueResult(batch, createExecutionContext())).retryMessages).toHaveLength(1);
      delays.push(retry.mock.calls[0]?.[0]?.delaySeconds);
    }
    expect(delays).toEqual([10, 40]);
    const row = await logRow(message.idempotencyKey);
    expect(row?.status).toBe("retrying");
    expect(row?.attempts).toBe(2);
    expect(String(row?.last_error)).toContain("fail.example");
    expect(await mailboxRows(message.idempotencyKey)).toHaveLength(0);
  });

  it("a retry that succeeds sends once and marks the message sent", async () => {
    const message = emailMessage();
    let calls = 0;
    const flaky: Mailer = {
      async send(_email: OutgoingEmail) {
        calls++;
        if (calls === 1) throw new Error("provider timeout");
      },
    };
    const batch1 = createMessageBatch<QueueMessageBody>(QUEUE, [
      { id: "a", timestamp: new Date(), attempts: 1, body: message },
    ]);
    await handleQueueBatch(batch1, env, { mailer: flaky });
    expect((await getQueueResult(batch1, createExecutionContext())).retryMessages).toHaveLength(1);
    const batch2 = createMessageBatch<QueueMessageBody>(QUEUE, [
      { id: "a", timestamp: new Date(), attempts: 2, body: message },
    ]);
    await handleQueueBatch(batch2, env, { mailer: flaky });
    expect((await getQueueResult(batch2, createExecutionContext())).explicitAcks).toEqual(["a"]);
    expect(calls).toBe(2);
    expect((await logRow(message.idempotencyKey))?.status).toBe("sent");
  });

  it("the dead-letter consumer records a message that exhausted its retries", async () => {
    const message = emailMessage({ to: "nobody@fail.example" });
    await deliver(QUEUE, [message], 6);
    const result = await deliver(DLQ, [message]);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await logRow(message.idempotencyKey))?.status).toBe("failed");
    const audit = await env.DB.prepare(
      "SELECT * FROM audit_events WHERE event_type = 'email.dead_lettered' AND details_json LIKE ?",
    )
      .bind(`%${message.idempotencyKey}%`)
      .first();
    expect(audit).not.toBeNull();
  });

  it("a dead-lettered message that was in fact sent stays sent", async () => {
    const message = emailMessage();
    await deliver(QUEUE, [message]);
    await deliver(DLQ, [message]);
    expect((await logRow(message.idempotencyKey))?.status).toBe("sent");
  });
});

describe("development mailbox", () => {
  it("lists delivered and failed email with bodies and working links", async () => {
    const sent = emailMessage({ to: "reader@secure-portal.localhost" });
    const failed = emailMessage({ to: "broken@fail.example" });
    await deliver(QUEUE, [sent, failed]);
    const html = await (await get("/_dev/mailbox")).text();
    expect(html).toContain("reader@secure-portal.localhost");
    expect(html).toContain("QualityNet test email");
    expect(html).toContain('<a href="http://localhost:8787/">http://localhost:8787/</a>');
    expect(html).toContain("broken@fail.example");
    expect(html).toContain("Failed, will retry");
  });

  it("the test-email button queues a message and returns to the mailbox", async () => {
    const response = await postForm("/_dev/mailbox/test", { to: "button@secure-portal.localhost" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/_dev/mailbox?sent=1");
  });

  it("answers 404 outside development", async () => {
    // A staging deployment of production (a real one refuses to serve until a proofing vendor is set).
    const production = {
      ...env,
      ENVIRONMENT: "production" as const,
      PROOFING_PROVIDER: "sandbox",
      ALLOW_SANDBOX_PROOFING: "staging",
    };
    const ctx = createExecutionContext();
    const page = await app.fetch(new Request(`${ORIGIN}/_dev/mailbox`), production, ctx);
    expect(page.status).toBe(404);
    const post = await app.fetch(
      new Request(`${ORIGIN}/_dev/mailbox/test`, {
        method: "POST",
        headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
        body: "to=a@b.c",
      }),
      production,
      ctx,
    );
    expect(post.status).toBe(404);
  });
});
