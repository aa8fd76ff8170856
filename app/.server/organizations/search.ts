import { and, asc, count, eq, type SQL, sql } from "drizzle-orm";
import { type AnySQLiteColumn, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { OrganizationHit } from "~/lib/organization-search";
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
  /** Every match, not only this page's. */
  total: number;
  page: number;
  pageSize: typeof PAGE_SIZE;
  pageCount: number;
}

/** The original portal's results table shows 25 rows a page. */
export const PAGE_SIZE = 25;

/**
 * More words than any organization name has. Each word adds a term to the
 * full-text query, and FTS5 refuses expressions deeper than 256; a longer query
 * matches nothing rather than being shortened (dropping words would widen it).
 */
export const MAX_NAME_WORDS = 32;

/**
 * The FTS5 index over organizations (name, city), created by hand in the
 * migrations (drizzle-kit does not know virtual tables), declared here only so
 * queries can name its columns. `rank` is FTS5's bm25() score: lower is better.
 */
const organizationsFts = sqliteTable("organizations_fts", {
  rowid: integer("rowid").notNull(),
  name: text("name").notNull(),
  city: text("city").notNull(),
  rank: real("rank").notNull(),
});

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
 * One page of organizations matching the search, best match first (bm25 over
 * the name, then the name, then the id so pages never overlap), and how many
 * match in all. Count and page go to D1 in one batch: one round trip.
 */
export async function searchOrganizations(
  deps: Pick<Deps, "db">,
  query: OrganizationSearch,
): Promise<OrganizationSearchResult> {
  const page = Number.isSafeInteger(query.page) && (query.page ?? 1) > 1 ? (query.page as number) : 1;
  const match = nameMatchExpression(query.name);
  if (match === null) return { hits: [], total: 0, page, pageSize: PAGE_SIZE, pageCount: 0 };

  const matches = sql`${organizationsFts} MATCH ${match}`;
  const narrowing = filters(query);
  const where = and(matches, ...narrowing);
  const joinFts = sql`${organizationsFts.rowid} = ${organizations.id}`;
  // Without filters the index alone can count: a broad word ("center") matches
  // tens of thousands of rows, and reading each organization would cost more than
  // the rest of the search.
  const counting =
    narrowing.length === 0
      ? deps.db.select({ total: count() }).from(organizationsFts).where(matches)
      : deps.db.select({ total: count() }).from(organizationsFts).innerJoin(organizations, joinFts).where(where);
  const [totals, rows] = await deps.db.batch([
    counting,
    deps.db
      .select({
        id: organizations.id,
        status: organizations.status,
        name: organizations.name,
        // Aliased: D1 returns batch rows as objects, where two columns both called
        // "name" would collapse into one.
        orgType: sql<string>`${organizationTypes.name}`.as("org_type"),
        address1: organizations.address1,
        address2: organizations.address2,
        city: organizations.city,
        state: organizations.state,
        zip: organizations.zip,
        country: organizations.country,
      })
      .from(organizationsFts)
      .innerJoin(organizations, joinFts)
      .innerJoin(organizationTypes, eq(organizationTypes.id, organizations.orgTypeId))
      .where(where)
      .orderBy(asc(organizationsFts.rank), asc(organizations.name), asc(organizations.id))
      .limit(PAGE_SIZE)
      .offset((page - 1) * PAGE_SIZE),
  ]);
  const total = totals[0]?.total ?? 0;
  return { hits: rows, total, page, pageSize: PAGE_SIZE, pageCount: Math.ceil(total / PAGE_SIZE) };
}
