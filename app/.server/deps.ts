import { createDb, type Db } from "./db/client";
import type { Env } from "./env";
import type { QueueMessageBody } from "./mail/messages";

/**
 * What every service needs, built once per request (or per queue batch, or per
 * cron run) in the Worker and handed to Remix through the load context and to
 * Hono through `c.set("deps", …)`.
 */
export interface Deps {
  db: Db;
  env: Env;
  now: () => Date;
  enqueue: (message: QueueMessageBody) => Promise<void>;
  requestId: string;
}

export function createDeps(env: Env, options: { requestId?: string; now?: () => Date } = {}): Deps {
  return {
    db: createDb(env.DB),
    env,
    now: options.now ?? (() => new Date()),
    enqueue: async (message) => {
      await env.EMAIL_QUEUE.send(message, { contentType: "json" });
    },
    requestId: options.requestId ?? crypto.randomUUID(),
  };
}
