import { and, eq, type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { MAX_RESULTS, type OrganizationHit } from "~/lib/organization-search";
import { organizations, organizationTypes } from "../db/schema";
import type { Deps } from "../deps";

/**
 * "Search Organizations" (SPEC 2.5): every word of the name must begin a word of an
 * organization's name; the other fields narrow the result. Inactive organizations
 * are listed with their status (the screen shows them but does not let them be
 * chosen).
 */
export interface OrganizationSearch {
  name: string;
  zip?: string;
  ccn?: string;
  /** organization_types.name, exactly. */
  orgType?: string;
  city?: string;
  npi?: string;
  state?: string;
  country?: string;
  tin?: string;
  /** 1-based. */
  page?: number;
}

export type { OrganizationHit } from "~/lib/organization-search";

export interface OrganizationSearchResult {
  hits: OrganizationHit[];
  /** Every match, not only this page's (at most `MAX_RESULTS`). */
  total: number;
  /** More than `MAX_RESULTS` match: nothing is listed, the search must be narrowed. */
  more: boolean;
  page: number;
  pageSize: typeof PAGE_SIZE;
  pageCount: number;
}

/** The original portal's results table shows 25 rows a page. */
export const PAGE_SIZE = 25;

export { MAX_RESULTS };

/**
 * More words than any organization name has. Each word adds a term to the
 * full-text query, and FTS5 refuses expressions deeper than 256; a longer query
 * matches nothing rather than being shortened (dropping words would widen it).
 */
export const MAX_NAME_WORDS = 32;

/*
 * The FTS5 index over organizations (name, city), `organizations_fts`, is created
 * by hand in the migrations (drizzle-kit does not know virtual tables) and named
 * in the SQL below. It finds the matches; their order comes from the names.
 */

/**
 * The FTS5 MATCH expression for the words of a name, or null when no word is
 * left. The user's text never reaches FTS5 as syntax: each whitespace-separated
 * word is cut down to its letters and digits (accents folded, as the index's
 * `unicode61 remove_diacritics 2` tokenizer does), written as a double-quoted
 * string and given a trailing `*`, so `mary's` becomes `"mary s"*` (the index
 * splits MARY'S the same way) and `OR`, `NEAR(`, `-`, `:`, `^` or `"` are only
 * ever text. Every word is restricted to the name column (`name : …`); all must
 * match.
 */
export function nameMatchExpression(name: string): string | null {
  const words = name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .split(/\s+/u)
    .map((word) => word.split(/[^\p{L}\p{N}]+/u).filter(Boolean))
    .filter((pieces) => pieces.length > 0);
  if (words.length === 0 || words.length > MAX_NAME_WORDS) return null;
  return words.map((pieces) => `name : "${pieces.join(" ")}"*`).join(" AND ");
}

/**
 * The FTS5 expression for an "Org City" prefix: the city's words, the first
 * anchored to the start of the city and the last a prefix (`salt lake c` is
 * `city : ^ "salt lake c"*`), so it matches every city the exact prefix test
 * does and few others. Null when the text has no letters or digits.
 */
export function cityMatchExpression(city: string): string | null {
  const pieces = city
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  if (pieces.length === 0 || pieces.length > MAX_NAME_WORDS) return null;
  return `city : ^ "${pieces.join(" ")}"*`;
}

/**
 * One step of a name's natural sort key (the `keyed` CTE below, fixed SQL with no input in it): a step that finds
 * where the next digit run starts in the rest of the name (`p`; SQLite has no function for it, so the least `instr`
 * of the ten digits, past the end when there is none), then one that moves the text before it and the run to the
 * key. A run is written as its length in three digits and its digits without leading zeros, so 2 sorts before 10
 * and a number of any length compares as a number.
 */
const firstDigit = (text: string) =>
  `min(${Array.from({ length: 10 }, (_, d) => `coalesce(nullif(instr(${text}, '${d}'), 0), 1000000)`).join(", ")})`;
const AFTER_RUN = "ltrim(substr(keyed.rest, keyed.p), '0123456789')";
const RUN_DIGITS = `ltrim(substr(keyed.rest, keyed.p, length(keyed.rest) - keyed.p + 1 - length(${AFTER_RUN})), '0')`;
const NAME_FIRST_DIGIT = sql.raw(firstDigit("organizations.name"));
const NATURAL_STEP = sql.raw(`keyed.id, keyed.score,
      CASE WHEN keyed.p IS NULL THEN keyed.natural
        WHEN keyed.p > length(keyed.rest) THEN keyed.natural || keyed.rest
        ELSE keyed.natural || substr(keyed.rest, 1, keyed.p - 1) || printf('%03d%s', length(${RUN_DIGITS}), ${RUN_DIGITS}) END,
      CASE WHEN keyed.p IS NULL THEN keyed.rest WHEN keyed.p > length(keyed.rest) THEN '' ELSE ${AFTER_RUN} END,
      CASE WHEN keyed.p IS NULL THEN ${firstDigit("keyed.rest")} END`);

/**
 * `column LIKE 'prefix%'`, written as a range so an index on the column can serve
 * it (D1 also refuses LIKE patterns past 50 bytes). U+10FFFF is the largest code
 * point, so every text that starts with the prefix sorts below prefix || U+10FFFF.
 */
function startsWith(column: AnySQLiteColumn, prefix: string): SQL {
  return sql`(${column} >= ${prefix} AND ${column} < ${prefix} || char(1114111))`;
}

/** TINs are stored as 12-3456789; the search takes digits (the form drops the hyphen). */
function tinPrefix(digits: string): string {
  const d = digits.replace(/-/g, "");
  return d.length > 2 ? `${d.slice(0, 2)}-${d.slice(2)}` : d;
}

/**
 * Organization names, cities and codes are stored upper case, as the original
 * portal shows them, so the exact and prefix filters compare upper case.
 */
function filters(query: OrganizationSearch): SQL[] {
  const where: SQL[] = [];
  const given = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
  const orgType = given(query.orgType);
  if (orgType !== undefined) {
    where.push(
      sql`${organizations.orgTypeId} = (SELECT ${organizationTypes.id} FROM ${organizationTypes} WHERE ${organizationTypes.name} = ${orgType})`,
    );
  }
  const state = given(query.state);
  if (state !== undefined) where.push(eq(organizations.state, state.toUpperCase()));
  const country = given(query.country);
  if (country !== undefined) where.push(eq(organizations.country, country.toUpperCase()));
  const city = given(query.city);
  if (city !== undefined) where.push(startsWith(organizations.city, city.toUpperCase()));
  const zip = given(query.zip);
  if (zip !== undefined) where.push(startsWith(organizations.zip, zip));
  const ccn = given(query.ccn);
  if (ccn !== undefined) where.push(startsWith(organizations.ccn, ccn.toUpperCase()));
  const npi = given(query.npi);
  if (npi !== undefined) where.push(startsWith(organizations.npi, npi));
  const tin = given(query.tin);
  if (tin !== undefined) where.push(startsWith(organizations.tin, tinPrefix(tin)));
  return where;
}

/**
 * One page of organizations matching the search, names that begin with the typed
 * words first, then the other matches, each group by name in the order people read
 * it (REGIONAL OFFICE 2 before REGIONAL OFFICE 10; then the id so pages never
 * overlap), and how many match, in one statement (one round trip).
 *
 * At most `MAX_RESULTS` matches are ranked: the statement stops reading at the
 * first `MAX_RESULTS + 1`, so a broad word ("center" names 45 % of the
 * directory) costs what a narrow one does. More matches than that are not
 * listed; the screen asks for a narrower search instead of showing an
 * arbitrary 25 (see docs/decisions/2026-11-22-organization-search.md).
 */
export async function searchOrganizations(
  deps: Pick<Deps, "db">,
  query: OrganizationSearch,
): Promise<OrganizationSearchResult> {
  const page = Number.isSafeInteger(query.page) && (query.page ?? 1) > 1 ? (query.page as number) : 1;
  const names = nameMatchExpression(query.name);
  if (names === null) return { hits: [], total: 0, more: false, page, pageSize: PAGE_SIZE, pageCount: 0 };
  // The city's words narrow the full-text match too (the index holds the city):
  // the exact prefix test below keeps the answer the same, and the index finds
  // the few rows for a broad name in one city without reading every match.
  const cityWords = query.city?.trim() ? cityMatchExpression(query.city) : null;
  const match = cityWords ? `${names} AND ${cityWords}` : names;
  const narrowing = filters(query);
  // The order people expect of a directory: names that begin with what was typed
  // first, then every other match, each group in natural name order (numbers compared
  // as numbers). bm25 is not used to order: it ranks a shorter name above a longer
  // one, so "REGIONAL OFFICE 2 - NEW YORK" fell behind "REGIONAL OFFICE 10 - SEATTLE".
  const typed = query.name.trim().replace(/\s+/gu, " ").toUpperCase();
  const score = sql`CASE WHEN ${startsWith(organizations.name, typed)} THEN 0 ELSE 1 END`;
  // CROSS JOIN keeps the full-text index as the outer loop: driven from another
  // index (type, ZIP), FTS5 would expand the prefix query again for every row.
  const candidates = sql`SELECT organizations_fts.rowid AS id, ${score} AS score FROM organizations_fts
          CROSS JOIN ${organizations} ON ${organizations.id} = organizations_fts.rowid
          WHERE organizations_fts MATCH ${match}${narrowing.length === 0 ? sql`` : sql` AND ${and(...narrowing)}`} LIMIT ${MAX_RESULTS + 1}`;
  // One row even when the page is empty (LEFT JOIN to the count), so the total
  // always comes back; the outer ORDER BY is the one SQLite promises to keep.
  // Equal ranks are ordered by the name's natural key (numbers compared as
  // numbers), built a digit run at a time, and only for the ranks this page
  // shows (page_scores): the page is those rows, after every better-ranked one.
  const offset = (page - 1) * PAGE_SIZE;
  const rows = await deps.db.all<OrganizationHit & { total: number; score: number | null; natural: string | null }>(sql`
    WITH RECURSIVE candidates AS MATERIALIZED (${candidates}),
    page_scores AS MATERIALIZED (
      SELECT DISTINCT score FROM (SELECT score FROM candidates ORDER BY score LIMIT ${PAGE_SIZE} OFFSET ${offset})
    ),
    keyed(id, score, natural, rest, p) AS (
      SELECT candidates.id, candidates.score, '', ${organizations.name}, ${NAME_FIRST_DIGIT} FROM candidates
      CROSS JOIN ${organizations} ON ${organizations.id} = candidates.id
      WHERE candidates.score IN (SELECT score FROM page_scores) AND (SELECT count(*) FROM candidates) <= ${MAX_RESULTS}
      UNION ALL
      SELECT ${NATURAL_STEP} FROM keyed WHERE keyed.rest <> ''
    )
    SELECT counted.total, hit.* FROM (SELECT count(*) AS total FROM candidates) AS counted
    LEFT JOIN (
      SELECT keyed.score, keyed.natural, ${organizations.id} AS id, ${organizations.status} AS status,
        ${organizations.name} AS name, ${organizationTypes.name} AS orgType,
        ${organizations.address1} AS address1, ${organizations.address2} AS address2,
        ${organizations.city} AS city, ${organizations.state} AS state, ${organizations.zip} AS zip,
        ${organizations.country} AS country
      FROM keyed
      CROSS JOIN ${organizations} ON ${organizations.id} = keyed.id
      JOIN ${organizationTypes} ON ${organizationTypes.id} = ${organizations.orgTypeId}
      WHERE keyed.rest = '' AND keyed.p IS NULL
      ORDER BY keyed.score, keyed.natural, ${organizations.name}, ${organizations.id}
      LIMIT ${PAGE_SIZE}
      OFFSET ${offset} - (SELECT count(*) FROM candidates WHERE score < (SELECT min(score) FROM page_scores))
    ) AS hit ON 1
    ORDER BY hit.score, hit.natural, hit.name, hit.id`);
  const counted = rows[0]?.total ?? 0;
  const more = counted > MAX_RESULTS;
  const total = Math.min(counted, MAX_RESULTS);
  // The count's columns off; an empty page is the one row of the LEFT JOIN with no organization.
  const hits = more
    ? []
    : rows.filter((r) => r.id !== null).map(({ total: _, score: __, natural: ___, ...hit }) => hit);
  return { hits, total, more, page, pageSize: PAGE_SIZE, pageCount: more ? 0 : Math.ceil(total / PAGE_SIZE) };
}
