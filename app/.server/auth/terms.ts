import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type Actor, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { readCookie, serializeCookie } from "../cookies";
import { termsAcceptances, termsVersions, users } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result, refused } from "../result";

/**
 * The Terms and Conditions (SPEC 2.1, 2.8). Their text and version live in D1
 * (`terms_versions`); the newest published version is in force. Accepting before
 * sign-in writes an acceptance row that records the version, and the cookie holds
 * its random id; sign-in links it to the account. Publishing a new version makes
 * every earlier acceptance stale, so everyone accepts again at their next sign-in.
 */
export const TERMS_COOKIE = "__Host-sp-terms";
/** One working day; a new visit after that accepts again, as the original portal asks. */
const TERMS_COOKIE_MAX_AGE_S = 12 * 60 * 60;
const ACCEPTANCE_ID = /^[0-9a-f-]{36}$/;

/** The version in force, as SQL (the newest published). */
const currentVersion = sql`(SELECT ${termsVersions.version} FROM ${termsVersions} ORDER BY ${termsVersions.publishedAt} DESC LIMIT 1)`;

/** The Set-Cookie header that remembers an acceptance in this browser. */
export function termsSetCookie(acceptanceId: string): string {
  return serializeCookie(TERMS_COOKIE, acceptanceId, { maxAge: TERMS_COOKIE_MAX_AGE_S });
}

/** The Terms and Conditions in force: version, Markdown text, when published. */
export async function currentTerms(deps: Pick<Deps, "db">) {
  return termsInForce(await currentTermsQuery(deps));
}

/** The query behind {@link currentTerms}, for a batch; its rows go through {@link termsInForce}. */
export function currentTermsQuery(deps: Pick<Deps, "db">) {
  return deps.db.select().from(termsVersions).orderBy(desc(termsVersions.publishedAt)).limit(1);
}

export function termsInForce<T>(rows: T[]): T {
  const row = rows[0];
  if (!row) throw new Error("No Terms and Conditions are published (migration 0013 publishes the first)");
  return row;
}

const publishers = alias(users, "publisher");

/** Every published version, newest first, with who published it (Administration). */
export async function listTermsVersions(deps: Pick<Deps, "db">) {
  return termsVersionsOf(await listTermsVersionsQuery(deps));
}

/** The query behind {@link listTermsVersions}, for a batch; its rows go through {@link termsVersionsOf}. */
export function listTermsVersionsQuery(deps: Pick<Deps, "db">) {
  return deps.db
    .select({
      version: termsVersions.version,
      publishedAt: termsVersions.publishedAt,
      firstName: publishers.firstName,
      lastName: publishers.lastName,
    })
    .from(termsVersions)
    .leftJoin(publishers, eq(publishers.id, termsVersions.publishedByUserId))
    .orderBy(desc(termsVersions.publishedAt))
    .limit(50);
}

export function termsVersionsOf(
  rows: { version: string; publishedAt: Date; firstName: string | null; lastName: string | null }[],
) {
  return rows.map((r) => ({
    version: r.version,
    publishedAt: r.publishedAt,
    by: r.firstName ? `${r.firstName} ${r.lastName}` : null,
  }));
}

/**
 * Records an acceptance of the version the person read (its id), or `changed` if
 * it is no longer the one in force. The screen always sends its version; a post
 * without one accepts the version in force.
 */
export async function acceptTerms(
  deps: Pick<Deps, "db" | "now">,
  input: { programCode: string | null; version: string | null; userId?: string | null },
): Promise<Result<string, "changed">> {
  const id = crypto.randomUUID();
  const version = input.version ? sql`${input.version}` : currentVersion;
  const inserted = await deps.db
    .insert(termsAcceptances)
    .select(
      sql`SELECT ${id}, ${input.userId ?? null}, ${version}, ${input.programCode}, ${deps.now().getTime()} WHERE ${version} = ${currentVersion}`,
    )
    .returning({ id: termsAcceptances.id });
  return inserted.length > 0 ? ok(id) : fail("changed");
}

/** The acceptance of the version in force behind the request's cookie, or null. */
export async function getTermsAcceptance(deps: Pick<Deps, "db">, request: Request) {
  const id = readCookie(request.headers.get("Cookie"), TERMS_COOKIE, ACCEPTANCE_ID);
  if (!id) return null;
  const row = await deps.db
    .select()
    .from(termsAcceptances)
    .where(and(eq(termsAcceptances.id, id), sql`${termsAcceptances.termsVersion} = ${currentVersion}`))
    .get();
  return row ?? null;
}

/** At sign-in: the browser's acceptance becomes the account's record of the version it accepted. */
export async function linkTermsAcceptance(deps: Pick<Deps, "db">, acceptanceId: string, userId: string) {
  await deps.db
    .update(termsAcceptances)
    .set({ userId })
    .where(and(eq(termsAcceptances.id, acceptanceId), isNull(termsAcceptances.userId)));
}

/**
 * Publishes a new version (administrators, a strong factor from the last 15
 * minutes). The version and its audit event are one batch; a version name is
 * used once, so two parallel publishes of the same name publish it once.
 */
export async function publishTerms(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  actor: Actor,
  input: { version: string; bodyMarkdown: string },
  client: { ip: string | null; userAgent: string | null },
): Promise<Result<null, "version_taken">> {
  const decision = can(actor, "admin.manage", {}, deps.now());
  if (!decision.ok) return refused(decision);
  const now = deps.now();
  const [inserted] = await deps.db.batch([
    deps.db
      .insert(termsVersions)
      .values({
        version: input.version,
        bodyMarkdown: input.bodyMarkdown,
        publishedAt: now,
        publishedByUserId: actor.userId,
      })
      .onConflictDoNothing()
      .returning({ version: termsVersions.version }),
    auditInsert(
      deps,
      {
        eventType: "terms.published",
        outcome: "success",
        actorUserId: actor.userId,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { version: input.version, characters: input.bodyMarkdown.length },
      },
      sql`changes() > 0`,
    ),
  ]);
  return inserted.length > 0 ? ok(null) : fail("version_taken", { field: "version" });
}
