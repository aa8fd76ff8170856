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
