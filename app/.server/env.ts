import type { ImportChunkMessage, QueueMessageBody } from "./mail/messages";
import type { LogoutQueueMessage } from "./oidc/backchannel";

/** Bindings and variables from wrangler.toml and its secrets. */
export interface Env {
  DB: D1Database;
  EMAIL_QUEUE: Queue<QueueMessageBody>;
  /** Organization CSV imports, one message a chunk of rows. */
  IMPORT_QUEUE: Queue<ImportChunkMessage>;
  /** Back-channel logout deliveries, one message a delivery (app/.server/oidc/backchannel.ts). */
  LOGOUT_QUEUE: Queue<LogoutQueueMessage>;
  EMAIL?: SendEmail;
  ASSETS?: Fetcher;
  /**
   * "development" (`npm run dev`, the dev mailbox) and "test" are the only
   * non-production values; "staging" and "production" are production. Any other
   * value is refused at start-up ({@link assertKnownEnvironment}).
   */
  ENVIRONMENT: Environment;
  MAIL_FROM: string;
  PUBLIC_ORIGIN: string;
  /** Base64 of 32 bytes: AES-256-GCM key for TOTP secrets at rest. */
  TOTP_ENCRYPTION_KEY: string;
  /**
   * Base64 of 32 bytes, a secret of its own (never the TOTP key): seals the
   * OpenID Connect signing keys at rest and keys the pairwise subject identifiers.
   */
  OIDC_KEY_SECRET: string;
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

export const ENVIRONMENTS = ["development", "test", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The Worker cannot tell how to behave with this configuration: refuse to serve rather than guess. */
export class EnvironmentConfigurationError extends Error {
  override readonly name = "EnvironmentConfigurationError";
}

/**
 * Production unless explicitly development or test: a misspelt or missing
 * ENVIRONMENT must never switch on the sandbox, drop HSTS or open the dev mailbox.
 */
export function isProduction(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT !== "development" && env.ENVIRONMENT !== "test";
}

/** Throws for an ENVIRONMENT that is not one of {@link ENVIRONMENTS} ("prod", "", unset): every request then gets the error page. */
export function assertKnownEnvironment(env: Pick<Env, "ENVIRONMENT">): void {
  if (!(ENVIRONMENTS as readonly unknown[]).includes(env.ENVIRONMENT))
    throw new EnvironmentConfigurationError(
      `ENVIRONMENT ${JSON.stringify(env.ENVIRONMENT ?? null)} is not known (known: ${ENVIRONMENTS.join(", ")}). ` +
        'Set ENVIRONMENT="production" (or "staging") on a deployment, "development" locally.',
    );
}

export function isDevelopment(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT === "development";
}
