import { createDb, type Db } from "./db/client";
import { countRoundTrips } from "./db/round-trips";
import { assertKnownEnvironment, type Env } from "./env";
import type { ImportChunkMessage, QueueMessageBody } from "./mail/messages";
import type { LogoutQueueMessage } from "./oidc/backchannel";
import { createProofingProvider } from "./proofing/configure";
import type { IdentityProofingProvider } from "./proofing/provider";

/**
 * What every service needs, built once per request (or per queue batch, or per
 * cron run) in the Worker and handed to React Router through the load context and to
 * Hono through `c.set("deps", …)`.
 */
export interface Deps {
  db: Db;
  env: Env;
  now: () => Date;
  /** Sends messages to the email queue (only the outbox drain calls it: app/.server/mail/outbox.ts). */
  enqueue: (messages: QueueMessageBody[]) => Promise<void>;
  /** Sends chunk messages to the import queue (app/.server/organizations/import.ts). */
  enqueueImport: (messages: ImportChunkMessage[]) => Promise<void>;
  /** Sends back-channel logout deliveries to the logout queue (only their drain calls it: app/.server/oidc/backchannel.ts). */
  enqueueLogout: (messages: LogoutQueueMessage[]) => Promise<void>;
  traceId: string;
  /** D1 round trips made so far with `db` (see ./db/round-trips.ts). */
  roundTrips: () => number;
  /**
   * The D1 session's bookmark after this request's queries (null before any, or
   * where D1 gives none): the browser keeps it to read its own writes next time.
   */
  bookmark: () => string | null;
  /** The identity-proofing provider chosen by PROOFING_PROVIDER. */
  proofing: IdentityProofingProvider;
  /**
   * Work that finishes after the response (the outbox drain): the answer does not
   * wait for the queue, and an email's existence does not show in response times.
   * Absent in cron runs and tests that call services directly: the work is awaited.
   */
  waitUntil?: (work: Promise<unknown>) => void;
  /**
   * Work started only once the answer is complete (then kept alive with
   * `waitUntil`): what would make an answer slower for an account that exists.
   * Absent outside a Worker request: callers fall back to `waitUntil`, or await.
   */
  afterResponse?: (work: () => Promise<unknown>) => void;
}

/**
 * Throws a `ProofingConfigurationError` when the configuration is unsafe (the
 * sandbox proofing provider in production), and an `EnvironmentConfigurationError`
 * when ENVIRONMENT is not a known value: the Worker then answers with its error
 * page instead of serving.
 */
export function createDeps(
  env: Env,
  options: {
    traceId?: string;
    now?: () => Date;
    proofing?: IdentityProofingProvider;
    waitUntil?: (work: Promise<unknown>) => void;
    afterResponse?: (work: () => Promise<unknown>) => void;
    /**
     * Where this request's reads may go (D1's Sessions API, read replicas): a
     * bookmark (at least as new as that), "first-unconstrained" (any replica) or
     * "first-primary" (the default: the primary, for everything that decides).
     */
    readFrom?: string;
  } = {},
): Deps {
  assertKnownEnvironment(env);
  const session = env.DB.withSession(options.readFrom ?? "first-primary");
  // The Sessions API object has the query methods drizzle uses (prepare, batch).
  const counted = countRoundTrips(session as unknown as D1Database);
  return {
    db: createDb(counted.d1),
    roundTrips: counted.roundTrips,
    bookmark: () => session.getBookmark(),
    env,
    now: options.now ?? (() => new Date()),
    enqueue: async (messages) => {
      if (messages.length > 0) await env.EMAIL_QUEUE.sendBatch(messages.map((body) => ({ body, contentType: "json" })));
    },
    enqueueImport: async (messages) => {
      // A sendBatch carries at most 100 messages.
      for (let i = 0; i < messages.length; i += 100)
        await env.IMPORT_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" })));
    },
    enqueueLogout: async (messages) => {
      for (let i = 0; i < messages.length; i += 100)
        await env.LOGOUT_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" })));
    },
    traceId: options.traceId ?? crypto.randomUUID(),
    proofing: options.proofing ?? createProofingProvider(env),
    waitUntil: options.waitUntil,
    afterResponse: options.afterResponse,
  };
}
