import { createDeps } from "../app/.server/deps";
import type { Env } from "../app/.server/env";
import { deliverEmail, recordDeadLetter, retryDelaySeconds } from "../app/.server/mail/deliver";
import { createMailer, type Mailer } from "../app/.server/mail/mailer";
import type { ImportChunkMessage, QueueMessageBody } from "../app/.server/mail/messages";
import { deliverLogout, type LogoutQueueMessage, recordLogoutDeadLetter } from "../app/.server/oidc/backchannel";
import { recordChunkFailure, writeImportChunk } from "../app/.server/organizations/import";

export const DEAD_LETTER_QUEUE = "secure-portal-email-dlq";
export const IMPORT_QUEUE = "secure-portal-import";
export const LOGOUT_QUEUE = "secure-portal-logout";
export const LOGOUT_DEAD_LETTER_QUEUE = "secure-portal-logout-dlq";

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
  const mailer = options.mailer ?? createMailer(deps);
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

/**
 * The import consumer: each message writes one chunk of an organization import
 * (app/.server/organizations/import.ts), one after the other. A chunk already
 * done is acked; a failure is recorded on the chunk (the page shows it) and
 * retried with exponential delay. When the queue gives up, the cron queues the
 * chunk again (resumeImports): nothing is lost, and nothing is written twice.
 */
export async function handleImportBatch(
  batch: MessageBatch<ImportChunkMessage>,
  env: Env,
  options: { now?: () => Date } = {},
) {
  const deps = createDeps(env, { traceId: `import:${crypto.randomUUID()}`, now: options.now });
  for (const message of batch.messages) {
    const body = message.body;
    if (body?.type !== "organization-import" || typeof body.importId !== "string" || !Number.isInteger(body.seq)) {
      console.error(JSON.stringify({ level: "error", msg: "unknown import message", id: message.id }));
      message.ack();
      continue;
    }
    try {
      await writeImportChunk(deps, body);
      message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          traceId: deps.traceId,
          msg: "import chunk failed",
          importId: body.importId,
          seq: body.seq,
          error: String(error),
        }),
      );
      await recordChunkFailure(deps, body, error).catch(() => {});
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}

/**
 * The back-channel logout consumer (app/.server/oidc/backchannel.ts): each
 * message delivers one logout token to one application. Delivered (or nothing
 * to send) is acked; a failure is retried with exponential delay, as email is;
 * after max_retries (wrangler.toml) the queue moves the message to the
 * dead-letter queue, whose consumer marks the delivery failed and audits it.
 * `fetch` is the application's endpoint's (tests hand in their own).
 */
export async function handleLogoutBatch(
  batch: MessageBatch<LogoutQueueMessage>,
  env: Env,
  options: { fetch?: typeof fetch; now?: () => Date } = {},
) {
  const deps = createDeps(env, { traceId: `logout:${crypto.randomUUID()}`, now: options.now });
  const valid = (body: LogoutQueueMessage | undefined): body is LogoutQueueMessage =>
    body?.type === "oidc-logout" && Number.isInteger(body.deliveryId);
  if (batch.queue === LOGOUT_DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) {
      if (valid(message.body)) await recordLogoutDeadLetter(deps, message.body.deliveryId);
      else console.error(JSON.stringify({ level: "error", msg: "unknown dead-lettered logout", id: message.id }));
      message.ack();
    }
    return;
  }
  for (const message of batch.messages) {
    if (!valid(message.body)) {
      // Unknown message: keep it for inspection in the dead-letter queue rather than drop it.
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      continue;
    }
    try {
      const result = await deliverLogout(deps, message.body.deliveryId, options.fetch ?? fetch);
      if (result.outcome === "retry") message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      else message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "logout delivery crashed",
          deliveryId: message.body.deliveryId,
          error: String(error),
        }),
      );
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
