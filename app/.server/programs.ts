import { and, asc, eq } from "drizzle-orm";
import { programs } from "./db/schema";
import type { Deps } from "./deps";

export async function listDestinationPrograms(deps: Pick<Deps, "db">) {
  return deps.db
    .select({ code: programs.code, name: programs.name })
    .from(programs)
    .where(and(eq(programs.isDestination, true), eq(programs.active, true)))
    .orderBy(asc(programs.sortOrder));
}

export async function getDestinationProgram(deps: Pick<Deps, "db">, code: string | null) {
  if (!code) return null;
  const row = await deps.db
    .select({ code: programs.code, name: programs.name })
    .from(programs)
    .where(and(eq(programs.code, code), eq(programs.isDestination, true), eq(programs.active, true)))
    .get();
  return row ?? null;
}
