import { createCookie } from "@remix-run/cloudflare";
import { and, eq } from "drizzle-orm";
import type { Deps } from "../deps";
import { termsAcceptances } from "../db/schema";
import { TERMS_VERSION } from "~/lib/terms";

/**
 * Who accepted the Terms and Conditions before signing in: the cookie holds the
 * random id of the acceptance row, which records the version and the time. A new
 * TERMS_VERSION makes every earlier acceptance stale, so it is asked again.
 */
export const termsCookie = createCookie("__Host-sp-terms", {
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  path: "/",
  // One working day; a new visit after that accepts again, as the original portal asks.
  maxAge: 12 * 60 * 60,
});

export async function acceptTerms(deps: Pick<Deps, "db" | "now">, input: { programCode: string | null; userId?: string | null }) {
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
  const id = await termsCookie.parse(request.headers.get("Cookie"));
  if (typeof id !== "string" || !/^[0-9a-f-]{36}$/.test(id)) return null;
  const row = await deps.db
    .select()
    .from(termsAcceptances)
    .where(and(eq(termsAcceptances.id, id), eq(termsAcceptances.termsVersion, TERMS_VERSION)))
    .get();
  return row ?? null;
}
