import { describe, expect, it } from "vitest";
import type { Env } from "../../app/.server/env";
import {
  createMailer,
  IDEMPOTENCY_HEADER,
  MailerError,
  type OutgoingEmail,
  SandboxMailer,
  SendEmailBindingMailer,
} from "../../app/.server/mail/mailer";

/**
 * The production mailer hands each email to Cloudflare Email Service's
 * structured `send()` on the `send_email` binding. The binding is the outside
 * service, so a recording fake stands in for it.
 */
type SendArgument = Parameters<SendEmail["send"]>[0];

function recordingBinding(fail?: Error) {
  const calls: SendArgument[] = [];
  const binding = {
    async send(message: SendArgument) {
      calls.push(message);
      if (fail) throw fail;
      return { messageId: `<${calls.length}@email.example>` };
    },
  } as SendEmail;
  return { binding, calls };
}

const longNonAsciiSubject =
  "Código de seguridad para Señora Núñez-Éléonore: su solicitud de acceso al Programa de Calidad Hospitalaria ✓";

const email: OutgoingEmail = {
  from: "noreply@example.gov",
  to: "thomas@example.test",
  subject: longNonAsciiSubject,
  text: "Hello Thomas,\n\nYour code is 123456.",
  html: "<p>Hello Thomas,</p><p>Your code is <strong>123456</strong>.</p>",
  idempotencyKey: "request_expired:QR-7K3M9P2X:1",
};

/** Deps whose database throws when touched: only the sandbox writes to it, and only when it sends. */
function depsWithoutDatabase(env: Partial<Env>) {
  const db = new Proxy(
    {},
    {
      get() {
        throw new Error("the production mailer must not use the database");
      },
    },
  );
  return { db: db as never, now: () => new Date("2026-12-07T12:00:00Z"), env: env as Env };
}

describe("production mailer (Email Service send())", () => {
  it("passes from, to, subject, text and HTML untouched and the idempotency key as a header", async () => {
    const { binding, calls } = recordingBinding();
    await new SendEmailBindingMailer(binding).send(email);
    expect(longNonAsciiSubject.length).toBeGreaterThan(75);
    expect(calls).toEqual([
      {
        from: "noreply@example.gov",
        to: "thomas@example.test",
        subject: longNonAsciiSubject,
        text: "Hello Thomas,\n\nYour code is 123456.",
        html: "<p>Hello Thomas,</p><p>Your code is <strong>123456</strong>.</p>",
        headers: { "X-Idempotency-Key": "request_expired:QR-7K3M9P2X:1" },
      },
    ]);
    // Email Service sets Message-ID itself and refuses it in headers; X- headers are allowed.
    expect(IDEMPOTENCY_HEADER).toMatch(/^X-[A-Za-z0-9\-_]+$/);
  });

  it("rejects when the binding throws, naming Email Service's error code, so the queue retries", async () => {
    const refusal = Object.assign(new Error("Sending rate limit reached"), { code: "E_RATE_LIMIT_EXCEEDED" });
    const { binding, calls } = recordingBinding(refusal);
    const sent = new SendEmailBindingMailer(binding).send(email);
    await expect(sent).rejects.toBeInstanceOf(MailerError);
    await expect(sent).rejects.toThrow(
      "Email Service refused the message: (E_RATE_LIMIT_EXCEEDED) Sending rate limit reached",
    );
    expect(calls).toHaveLength(1);
  });

  it("rejects on a failure that is not an Error too", async () => {
    const binding = {
      send: () => Promise.reject("connection reset"),
    } as unknown as SendEmail;
    await expect(new SendEmailBindingMailer(binding).send(email)).rejects.toThrow(
      "Email Service refused the message: connection reset",
    );
  });
});

describe("createMailer", () => {
  it("uses the send_email binding in production and staging, never the sandbox", async () => {
    for (const ENVIRONMENT of ["production", "staging"] as const) {
      const { binding, calls } = recordingBinding();
      const mailer = createMailer(depsWithoutDatabase({ ENVIRONMENT, EMAIL: binding }));
      expect(mailer).toBeInstanceOf(SendEmailBindingMailer);
      expect(mailer).not.toBeInstanceOf(SandboxMailer);
      // A recipient the sandbox would refuse goes to Email Service like any other.
      await mailer.send({ ...email, to: "someone@fail.example" });
      expect(calls.map((c) => c.to)).toEqual(["someone@fail.example"]);
    }
  });

  it("treats a misspelt ENVIRONMENT as production", () => {
    const { binding } = recordingBinding();
    const mailer = createMailer(depsWithoutDatabase({ ENVIRONMENT: "prod" as Env["ENVIRONMENT"], EMAIL: binding }));
    expect(mailer).toBeInstanceOf(SendEmailBindingMailer);
  });

  it("refuses in production without the binding rather than fall back to the sandbox", () => {
    expect(() => createMailer(depsWithoutDatabase({ ENVIRONMENT: "production" }))).toThrow(
      "The EMAIL send_email binding is missing",
    );
  });

  it("uses the sandbox in development and test, even with a binding", () => {
    const { binding } = recordingBinding();
    for (const ENVIRONMENT of ["development", "test"] as const)
      expect(createMailer(depsWithoutDatabase({ ENVIRONMENT, EMAIL: binding }))).toBeInstanceOf(SandboxMailer);
  });
});
