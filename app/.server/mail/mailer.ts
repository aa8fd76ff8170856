import { devMailbox } from "../db/schema";
import type { Deps } from "../deps";
import { type Env, isProduction } from "../env";

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  idempotencyKey: string;
}

/** Where the queue consumer hands a rendered email. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

export class MailerError extends Error {}

/**
 * The header that carries the idempotency key, so a message sent twice (a
 * consumer that died after the send, before its claim was marked sent) can be
 * told apart from two messages. Email Service sets `Message-ID` itself and
 * refuses it in `headers` (E_HEADER_NOT_ALLOWED); any `X-` header is allowed
 * (https://developers.cloudflare.com/email-service/reference/headers/).
 */
export const IDEMPOTENCY_HEADER = "X-Idempotency-Key";

/**
 * Production: Cloudflare Email Service's structured `send()` on the
 * `send_email` binding (https://developers.cloudflare.com/email-service/api/send-emails/workers-api/).
 * Email Service builds the MIME message, encodes the subject and signs with
 * DKIM. A refused send throws an Error with a `code` (E_RATE_LIMIT_EXCEEDED,
 * E_DELIVERY_FAILED …); it is passed on as a MailerError naming that code, so
 * the consumer records it and retries.
 */
export class SendEmailBindingMailer implements Mailer {
  constructor(private readonly binding: SendEmail) {}

  async send(email: OutgoingEmail): Promise<void> {
    try {
      await this.binding.send({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: { [IDEMPOTENCY_HEADER]: email.idempotencyKey },
      });
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const reason = `${typeof code === "string" ? `(${code}) ` : ""}${error instanceof Error ? error.message : String(error)}`;
      throw new MailerError(`Email Service refused the message: ${reason}`, { cause: error });
    }
  }
}

/**
 * Development sandbox, documented in the README: every email is "delivered" to the
 * dev mailbox table and readable at /_dev/mailbox. Like an email provider's
 * sandbox, recipients at the reserved domain `fail.example` are refused, so
 * retries and the dead-letter path can be seen locally.
 */
export class SandboxMailer implements Mailer {
  static readonly FAILING_DOMAIN = "fail.example";

  constructor(private readonly deps: Pick<Deps, "db" | "now">) {}

  async send(email: OutgoingEmail): Promise<void> {
    if (email.to.toLowerCase().endsWith(`@${SandboxMailer.FAILING_DOMAIN}`)) {
      throw new MailerError(`Sandbox refuses recipients at ${SandboxMailer.FAILING_DOMAIN}`);
    }
    await this.deps.db.insert(devMailbox).values({
      idempotencyKey: email.idempotencyKey,
      recipient: email.to,
      sender: email.from,
      subject: email.subject,
      bodyText: email.text,
      bodyHtml: email.html,
      deliveredAt: this.deps.now(),
    });
  }
}

export function createMailer(deps: Pick<Deps, "db" | "now"> & { env: Env }): Mailer {
  if (!isProduction(deps.env)) return new SandboxMailer(deps);
  if (!deps.env.EMAIL) throw new Error("The EMAIL send_email binding is missing");
  return new SendEmailBindingMailer(deps.env.EMAIL);
}
