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
 * Production: Cloudflare Email Routing's `send_email` binding, with a
 * multipart/alternative MIME message built here.
 */
export class SendEmailBindingMailer implements Mailer {
  constructor(
    private readonly binding: SendEmail,
    private readonly makeMessage: (from: string, to: string, raw: string) => EmailMessage,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    const raw = buildMimeMessage(email);
    await this.binding.send(this.makeMessage(email.from, email.to, raw));
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

export function createMailer(
  deps: Pick<Deps, "db" | "now"> & { env: Env },
  makeMessage: (from: string, to: string, raw: string) => EmailMessage,
): Mailer {
  if (!isProduction(deps.env)) return new SandboxMailer(deps);
  if (!deps.env.EMAIL) throw new Error("The EMAIL send_email binding is missing");
  return new SendEmailBindingMailer(deps.env.EMAIL, makeMessage);
}

function encodeHeader(value: string): string {
  // RFC 2047 encoded-word when the header is not plain ASCII.
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${base64Utf8(value)}?=`;
}

function base64Utf8(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function wrap76(value: string): string {
  return value.replace(/.{1,76}/g, "$&\r\n");
}

export function buildMimeMessage(email: OutgoingEmail): string {
  const boundary = `sp-${crypto.randomUUID()}`;
  const domain = email.from.split("@")[1] ?? "localhost";
  return [
    `From: ${email.from}`,
    `To: ${email.to}`,
    `Subject: ${encodeHeader(email.subject)}`,
    `Message-ID: <${email.idempotencyKey.replace(/[^A-Za-z0-9.-]/g, "-")}@${domain}>`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    wrap76(base64Utf8(email.text)),
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    wrap76(base64Utf8(email.html)),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}
