import { EmailMessage } from "cloudflare:email";
import { createDeps } from "../app/.server/deps";
import type { Env } from "../app/.server/env";
import { deliverEmail, recordDeadLetter, retryDelaySeconds } from "../app/.server/mail/deliver";
import { createMailer, type Mailer } from "../app/.server/mail/mailer";
import type { QueueMessageBody } from "../app/.server/mail/messages";

export const DEAD_LETTER_QUEUE = "secure-portal-email-dlq";

/**
 * The email consumer. Each message is acked when sent (or found already sent) and
 * retried with exponential delay when the mailer fails; after max_retries
 * (wrangler.toml) the queue moves it to the dead-letter queue, whose consumer
 * records the failure.
 */
export async function handleQueueBatch(
  batch: MessageBatch<QueueMessageBody>,
  env: Env,
  options: { mailer?: Mailer; now?: () => Date } = {},
) {
  const deps = createDeps(env, { traceId: `queue:${crypto.randomUUID()}`, now: options.now });
  if (batch.queue.endsWith("-dlq")) {
    for (const message of batch.messages) {
      if (message.body?.type === "email") await recordDeadLetter(deps, message.body);
      else console.error(JSON.stringify({ level: "error", msg: "unknown dead-lettered message", id: message.id }));
      message.ack();
    }
    return;
  }
  const mailer = options.mailer ?? createMailer(deps, (from, to, raw) => new EmailMessage(from, to, raw));
  for (const message of batch.messages) {
    if (message.body?.type !== "email") {
      // Unknown message: keep it for inspection in the dead-letter queue rather than drop it.
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      continue;
    }
    try {
      const result = await deliverEmail(deps, mailer, message.body);
      if (result.outcome === "retry") message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      else message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "email delivery crashed",
          key: message.body.idempotencyKey,
          error: String(error),
        }),
      );
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
