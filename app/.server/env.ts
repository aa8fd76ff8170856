import type { ImportChunkMessage, QueueMessageBody } from "./mail/messages";

/** Bindings and variables from wrangler.toml and its secrets. */
export interface Env {
  DB: D1Database;
  EMAIL_QUEUE: Queue<QueueMessageBody>;
  /** Organization CSV imports, one message a chunk of rows. */
  IMPORT_QUEUE: Queue<ImportChunkMessage>;
  EMAIL?: SendEmail;
  ASSETS?: Fetcher;
  ENVIRONMENT: "development" | "production" | "test";
  MAIL_FROM: string;
  PUBLIC_ORIGIN: string;
  /** Base64 of 32 bytes: AES-256-GCM key for TOTP secrets at rest. */
  TOTP_ENCRYPTION_KEY: string;
  /**
   * Which identity-proofing provider New User Enrollment uses. "sandbox" (the
   * documented fictional records) is the only one today; it is the default
   * outside production. Production refuses the sandbox (see ALLOW_SANDBOX_PROOFING).
   */
  PROOFING_PROVIDER?: "sandbox" | (string & {});
  /**
   * "staging" lets a production-mode deployment (a staging copy) use the sandbox
   * provider. Never set it on the real production deployment.
   */
  ALLOW_SANDBOX_PROOFING?: string;
}

export function isDevelopment(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT === "development";
}
