import { buildSeedStatements, type SeedOptions } from "../../app/.server/db/seed/build-seed";

/** Runs the real seed (as `npm run db:seed` does) against a test D1 database. */
export async function seedDatabase(db: D1Database, options: SeedOptions = {}) {
  const statements = await buildSeedStatements(options);
  await db.batch(statements.map((s) => db.prepare(s)));
}
