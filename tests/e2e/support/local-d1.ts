import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { drizzle, type SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import * as schema from "../../../app/.server/db/schema";

export type LocalDb = SqliteRemoteDatabase<typeof schema>;

/**
 * The SQLite file behind the local D1 that `wrangler dev --persist-to DIR`
 * serves. Miniflare keeps one file per database next to its own
 * `metadata.sqlite`; the e2e Worker binds a single database.
 */
export function localD1File(persistTo: string): string {
  const dir = join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1)
    throw new Error(`Expected one local D1 database in ${dir}, found: ${files.join(", ") || "none"}`);
  return join(dir, files[0]);
}

/**
 * Writes to the local D1 while `wrangler dev` runs, straight into its SQLite
 * file, through drizzle and the app's schema (so a renamed column is a type
 * error here too). Measured against `wrangler d1 execute --local --file`: both
 * are seen by the running Worker at once, but wrangler takes about 3 s a call
 * (a Node and a workerd start) and this about 10 ms.
 *
 * The file is in WAL mode and workerd locks it like any SQLite client, so reads
 * on both sides go on during a write. Workerd sets no busy timeout, though: a
 * write of its own that meets this one's lock fails at once (SQLITE_BUSY). So
 * `work` runs in one IMMEDIATE transaction and must only write: hash passwords
 * and seal secrets before calling this, and the lock is held for milliseconds.
 */
export async function writeLocalD1<T>(file: string, work: (db: LocalDb) => Promise<T>): Promise<T> {
  const sqlite = new DatabaseSync(file);
  try {
    // Waits for a write the Worker is in the middle of, rather than failing.
    sqlite.exec("PRAGMA busy_timeout = 5000");
    sqlite.exec("PRAGMA foreign_keys = ON");
    const db = drizzle(
      async (sql, params, method) => {
        const statement = sqlite.prepare(sql);
        const values = params as SQLInputValue[];
        if (method === "run") {
          statement.run(...values);
          return { rows: [] };
        }
        // drizzle's proxy driver maps rows by position.
        statement.setReturnArrays(true);
        if (method === "get") return { rows: (statement.get(...values) ?? undefined) as unknown as unknown[] };
        return { rows: statement.all(...values) as unknown as unknown[][] };
      },
      { schema },
    );
    sqlite.exec("BEGIN IMMEDIATE");
    try {
      const result = await work(db);
      sqlite.exec("COMMIT");
      return result;
    } catch (error) {
      sqlite.exec("ROLLBACK");
      throw error;
    }
  } finally {
    sqlite.close();
  }
}
