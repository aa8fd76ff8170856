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

/** The email queue's messages. */
export type QueueMessageBody = EmailQueueMessage;

/**
 * The import queue's one message: write chunk `seq` of organization import
 * `importId` (app/.server/organizations/import.ts). The rows wait in D1, so a
 * message is small and a redelivered one finds its chunk already done.
 */
export interface ImportChunkMessage {
  type: "organization-import";
  importId: string;
  seq: number;
}
