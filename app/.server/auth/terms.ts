import { and, eq } from "drizzle-orm";
import { TERMS_VERSION } from "~/lib/terms";
import { readCookie, serializeCookie } from "../cookies";
import { termsAcceptances } from "../db/schema";
import type { Deps } from "../deps";

/**
 * Who accepted the Terms and Conditions before signing in: the cookie holds the
 * random id of the acceptance row, which records the version and the time. A new
 * TERMS_VERSION makes every earlier acceptance stale, so it is asked again.
 */
export const TERMS_COOKIE = "__Host-sp-terms";
/** One working day; a new visit after that accepts again, as the original portal asks. */
const TERMS_COOKIE_MAX_AGE_S = 12 * 60 * 60;
const ACCEPTANCE_ID = /^[0-9a-f-]{36}$/;

/** The Set-Cookie header that remembers an acceptance in this browser. */
export function termsSetCookie(acceptanceId: string): string {
  return serializeCookie(TERMS_COOKIE, acceptanceId, { maxAge: TERMS_COOKIE_MAX_AGE_S });
}

export async function acceptTerms(
  deps: Pick<Deps, "db" | "now">,
  input: { programCode: string | null; userId?: string | null },
) {
  const id = crypto.randomUUID();
  await deps.db.insert(termsAcceptances).values({
    id,
    userId: input.userId ?? null,
    termsVersion: TERMS_VERSION,
    programCode: input.programCode,
    acceptedAt: deps.now(),
  });
  return id;
}

/** The current-version acceptance behind the request's cookie, or null. */
export async function getTermsAcceptance(deps: Pick<Deps, "db">, request: Request) {
  const id = readCookie(request.headers.get("Cookie"), TERMS_COOKIE, ACCEPTANCE_ID);
  if (!id) return null;
  const row = await deps.db
    .select()
    .from(termsAcceptances)
    .where(and(eq(termsAcceptances.id, id), eq(termsAcceptances.termsVersion, TERMS_VERSION)))
    .get();
  return row ?? null;
}
