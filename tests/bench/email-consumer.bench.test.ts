import { createMessageBatch, env } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { SendEmailBindingMailer } from "../../app/.server/mail/mailer";
import type { EmailQueueMessage, QueueMessageBody } from "../../app/.server/mail/messages";
import { handleQueueBatch } from "../../worker/queue";
import { seedDatabase } from "../factories/seed";

/**
 * Emails per second through the queue's consumer inside workerd with local D1:
 * batches of 10 (wrangler.toml's max_batch_size), each message rendered (text
 * and HTML), recorded in email_log once per idempotency key, and handed to the
 * mailer: the development sandbox (which stores it in dev_mailbox), and the
 * production mailer calling Email Service's `send()` on a binding that accepts
 * at once (the email provider's own time is not ours to measure).
 * Fails only far below what the product needs.
 */
const MESSAGES = 2000;
const BATCH = 10;
const FLOOR_PER_SECOND = 20;

beforeAll(async () => {
  await seedDatabase(env.DB);
});

function messages(prefix: string): EmailQueueMessage[] {
  return Array.from({ length: MESSAGES }, (_, i) => ({
    type: "email",
    template: "test",
    to: `bench-${i}@secure-portal.localhost`,
    data: { note: "Measured by the bench." },
    idempotencyKey: `bench:${prefix}:${i}`,
  }));
}

async function run(prefix: string, mailer?: SendEmailBindingMailer) {
  const all = messages(prefix);
  const t = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    const batch = createMessageBatch<QueueMessageBody>(
      "secure-portal-email",
      all
        .slice(i, i + BATCH)
        .map((body, j) => ({ id: `${prefix}-${i + j}`, timestamp: new Date(), attempts: 1, body })),
    );
    await handleQueueBatch(batch, env, mailer ? { mailer } : {});
  }
  return performance.now() - t;
}

it("sends 2,000 emails through the consumer, with the sandbox and with the production mailer", async () => {
  const sandboxMs = await run("sandbox");
  let sent = 0;
  const binding = {
    async send() {
      sent++;
    },
  } as unknown as SendEmail;
  const production = new SendEmailBindingMailer(binding);
  const productionMs = await run("production", production);
  expect(sent).toBe(MESSAGES);
  const rate = (ms: number) => Math.round(MESSAGES / (ms / 1000));
  console.log(
    [
      "",
      `| Email consumer, ${MESSAGES.toLocaleString("en-US")} messages in batches of ${BATCH} | time | emails/s |`,
      "| --- | --- | --- |",
      `| development sandbox (stored in dev_mailbox) | ${(sandboxMs / 1000).toFixed(1)} s | ${rate(sandboxMs)} |`,
      `| production mailer (Email Service send(), binding accepts at once) | ${(productionMs / 1000).toFixed(1)} s | ${rate(productionMs)} |`,
      "",
    ].join("\n"),
  );
  expect(rate(productionMs)).toBeGreaterThan(FLOOR_PER_SECOND);
}, 600_000);
