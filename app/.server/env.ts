import type { QueueMessageBody } from "./mail/messages";

/** Bindings and variables from wrangler.toml and its secrets. */
export interface Env {
  DB: D1Database;
  EMAIL_QUEUE: Queue<QueueMessageBody>;
  EMAIL?: SendEmail;
  ASSETS?: Fetcher;
  ENVIRONMENT: "development" | "production" | "test";
  MAIL_FROM: string;
  PUBLIC_ORIGIN: string;
  /** Base64 of 32 bytes: AES-256-GCM key for TOTP secrets at rest. */
  TOTP_ENCRYPTION_KEY: string;
}

export function isDevelopment(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT === "development";
}
