import { drizzle } from "drizzle-orm/d1";

export type Db = ReturnType<typeof createDb>;

/**
 * One per request. Without the schema: the product uses the query builder, not
 * drizzle's relational queries, and building their table map for every
 * request costs more than the rest of `createDeps`.
 */
export function createDb(d1: D1Database) {
  return drizzle(d1);
}
