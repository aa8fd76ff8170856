import { and, desc, eq, sql } from "drizzle-orm";
import { BUILT_IN_TERMS_MD, TERMS_VERSION } from "~/lib/terms";
import { type Actor, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { readCookie, serializeCookie } from "../cookies";
import { termsAcceptances, termsVersions } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result } from "../result";

/**
 * Who accepted the Terms and Conditions before signing in: the cookie holds the
 * random id of the acceptance row, which records the version and the time. The
 * version in force is the newest one published in Administration (the
 * built-in text, TERMS_VERSION, until one is): publishing makes every earlier
 * acceptance stale, so the terms are asked again at the next sign-in.
 */
export const TERMS_COOKIE = "__Host-sp-terms";
/** One working day; a new visit after that accepts again, as the original portal asks. */
const TERMS_COOKIE_MAX_AGE_S = 12 * 60 * 60;
const ACCEPTANCE_ID = /^[0-9a-f-]{36}$/;

export interface TermsInForce {
  version: string;
  bodyMd: string;
  publishedAt: Date | null;
}

/** The Terms and Conditions in force: the newest published version, else the built-in text. */
export async function currentTerms(deps: Pick<Deps, "db">): Promise<TermsInForce> {
  const row = await deps.db
    .select({ version: termsVersions.version, bodyMd: termsVersions.bodyMd, publishedAt: termsVersions.publishedAt })
    .from(termsVersions)
    .orderBy(desc(termsVersions.id))
    .limit(1)
    .get();
  return row ?? { version: TERMS_VERSION, bodyMd: BUILT_IN_TERMS_MD, publishedAt: null };
}

/** The Set-Cookie header that remembers an acceptance in this browser. */
export function termsSetCookie(acceptanceId: string): string {
  return serializeCookie(TERMS_COOKIE, acceptanceId, { maxAge: TERMS_COOKIE_MAX_AGE_S });
}

/**
 * Records an acceptance of `version` (the one the person was shown). Null when
 * that is no longer the version in force: the new one must be read first.
 */
export async function acceptTerms(
  deps: Pick<Deps, "db" | "now">,
  input: { programCode: string | null; userId?: string | null; version?: string | null },
): Promise<string | null> {
  const terms = await currentTerms(deps);
  if (input.version && input.version !== terms.version) return null;
  const id = crypto.randomUUID();
  await deps.db.insert(termsAcceptances).values({
    id,
    userId: input.userId ?? null,
    termsVersion: terms.version,
    programCode: input.programCode,
    acceptedAt: deps.now(),
  });
  return id;
}

/** The acceptance of the version in force behind the request's cookie, or null. */
export async function getTermsAcceptance(deps: Pick<Deps, "db">, request: Request) {
  const id = readCookie(request.headers.get("Cookie"), TERMS_COOKIE, ACCEPTANCE_ID);
  if (!id) return null;
  const terms = await currentTerms(deps);
  const row = await deps.db
    .select()
    .from(termsAcceptances)
    .where(and(eq(termsAcceptances.id, id), eq(termsAcceptances.termsVersion, terms.version)))
    .get();
  return row ?? null;
}

/** Every published version, newest first, for Administration. */
export async function listTermsVersions(deps: Pick<Deps, "db">) {
  return deps.db
    .select({
      version: termsVersions.version,
      publishedAt: termsVersions.publishedAt,
      accepted: sql<number>`(SELECT count(*) FROM ${termsAcceptances} WHERE ${termsAcceptances.termsVersion} = ${termsVersions.version})`,
    })
    .from(termsVersions)
    .orderBy(desc(termsVersions.id));
}

/**
 * Publishes a new version (Administration, `admin.manage`): it is in force at
 * once, so everyone accepts it at their next sign-in. The version and its audit
 * event are one batch; a version name is used once.
 */
export async function publishTerms(
  deps: Pick<Deps, "db" | "now" | "traceId">,
  actor: Actor,
  input: { version: string; bodyMd: string },
): Promise<Result<null, "forbidden" | "step_up" | "duplicate">> {
  const decision = can(actor, "admin.manage", {}, deps.now());
  if (!decision.ok)
    return fail(decision.reason === "forbidden" ? "forbidden" : "step_up", {
      message: "Confirm it is you with a code from your authenticator app first.",
    });
  const current = await currentTerms(deps);
  const taken = await deps.db
    .select({ id: termsVersions.id })
    .from(termsVersions)
    .where(eq(termsVersions.version, input.version))
    .get();
  if (taken || input.version === current.version)
    return fail("duplicate", { fieldErrors: { version: ["That version was already published. Name a new one."] } });
  const results = await deps.db.batch([
    deps.db
      .insert(termsVersions)
      .values({
        version: input.version,
        bodyMd: input.bodyMd,
        publishedAt: deps.now(),
        publishedByUserId: actor.userId,
      })
      .onConflictDoNothing()
      .returning({ id: termsVersions.id }),
    auditInsert(
      deps,
      {
        eventType: "terms.published",
        outcome: "success",
        actorUserId: actor.userId,
        details: { version: input.version, previous: current.version },
      },
      sql`changes() > 0`,
    ),
  ]);
  if ((results[0] as { id: number }[]).length === 0)
    return fail("duplicate", { fieldErrors: { version: ["That version was already published. Name a new one."] } });
  return ok(null);
}
