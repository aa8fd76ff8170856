import type { Deps } from "../deps";
import type { TemplateData, TemplateName } from "./templates";

/** The one message type on the email queue; `template` picks the renderer. */
export interface EmailQueueMessage<T extends TemplateName = TemplateName> {
  type: "email";
  template: T;
  to: string;
  data: TemplateData[T];
  /** Same key, same email: a redelivered message is sent once. */
  idempotencyKey: string;
  traceId?: string;
}

export type QueueMessageBody = EmailQueueMessage;

/**
 * Queues an email for the consumer (worker/queue.ts) to render and send. Request
 * handlers never send mail themselves, so a slow provider never slows a page.
 */
export async function enqueueEmail<T extends TemplateName>(
  deps: Pick<Deps, "enqueue" | "traceId">,
  input: { template: T; to: string; data: TemplateData[T]; idempotencyKey?: string },
): Promise<string> {
  const idempotencyKey = input.idempotencyKey ?? `${input.template}:${crypto.randomUUID()}`;
  await deps.enqueue({
    type: "email",
    template: input.template,
    to: input.to,
    data: input.data,
    idempotencyKey,
    traceId: deps.traceId,
  } as EmailQueueMessage);
  return idempotencyKey;
}
