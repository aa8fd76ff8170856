import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../app/.server/db/client";
import qarm from "../../app/.server/db/seed/data/qarm-org-security.json";
import {
  type OrganizationHit,
  type OrganizationSearch,
  searchOrganizations,
} from "../../app/.server/organizations/search";
import { MAX_RESULTS } from "../../app/lib/organization-search";
import { seedDatabase } from "../factories/seed";

const QARM = "QARM Org Security";
const OHIO_SURVEY = "STATE OF OHIO - SURVEY AND CERTIFICATION";
/** The fixture's Regional Office rows: regions 1 to 10, region 8 with two offices (Denver and Lowry). */
const REGIONAL_OFFICES = qarm.organizations.filter((o) => o.name.startsWith("REGIONAL OFFICE")).map((o) => o.name);

const deps = () => ({ db: createDb(env.DB) });
const search = (query: OrganizationSearch) => searchOrganizations(deps(), query);
const names = (hits: OrganizationHit[]) => hits.map((h) => h.name);

/** A name as people read it: every run of digits compared as a number (its length first, then its digits). */
const naturalKey = (name: string) =>
  name.replace(/\d+/g, (run) => {
    const digits = run.replace(/^0+/, "");
    return `${String(digits.length).padStart(3, "0")}${digits}`;
  });

/** Every page of a search, in order. */
async function allHits(query: OrganizationSearch): Promise<OrganizationHit[]> {
  const first = await search({ ...query, page: 1 });
  const hits = [...first.hits];
  for (let page = 2; page <= first.pageCount; page++) hits.push(...(await search({ ...query, page })).hits);
  return hits;
}

/** The words of a name as the index sees them: letters and digits, upper case. */
const wordsOf = (name: string) =>
  name
    .toUpperCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
/** True when every word of `query` begins some word of `name` (the rule, checked independently of FTS5). */
const everyWordBeginsAWord = (name: string, query: string) =>
  wordsOf(query).every((q) => wordsOf(name).some((w) => w.startsWith(q)));

/** Identifiers the results table does not show, read straight from the table. */
async function identifiers(ids: number[]) {
  const { results } = await env.DB.prepare(
    `SELECT id, ccn, npi, tin FROM organizations WHERE id IN (${ids.map(() => "?").join(",")})`,
  )
    .bind(...ids)
    .all<{ id: number; ccn: string | null; npi: string | null; tin: string | null }>();
  return results;
}

beforeAll(async () => {
  await seedDatabase(env.DB);
});

describe("organization search: words of the name", () => {
  it('"regional" with the QARM Org Security type lists exactly the Regional Offices, regions 1 to 10', async () => {
    const result = await search({ name: "regional", orgType: QARM });
    expect(REGIONAL_OFFICES).toHaveLength(11);
    expect(result.total).toBe(REGIONAL_OFFICES.length);
    expect(names(result.hits).sort()).toEqual([...REGIONAL_OFFICES].sort());
    const regions = new Set(result.hits.map((h) => Number(/^REGIONAL OFFICE (\d+)/.exec(h.name)?.[1])));
    expect(regions).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(result.hits.every((h) => h.orgType === QARM && h.status === "Active")).toBe(true);
  });

  it('"ohio" with the QARM Org Security type lists the Ohio survey agency with its address', async () => {
    const result = await search({ name: "ohio", orgType: QARM });
    expect(result.total).toBe(1);
    expect(result.hits).toEqual([
      {
        id: expect.any(Number),
        status: "Active",
        name: OHIO_SURVEY,
        orgType: QARM,
        address1: "246 NORTH HIGH STREET",
        address2: "",
        city: "COLUMBUS",
        state: "OH",
        zip: "43215",
        country: "US",
      },
    ]);
  });

  it('"ohio surv" finds the Ohio survey agency: every word is a prefix of a word of the name', async () => {
    const result = await search({ name: "ohio surv" });
    expect(names(result.hits)).toEqual([OHIO_SURVEY]);
  });

  it("matches case-insensitively", async () => {
    const lower = await search({ name: "regional", orgType: QARM });
    for (const name of ["REGIONAL", "ReGiOnAl", "  Regional  "]) {
      const other = await search({ name, orgType: QARM });
      expect(names(other.hits), name).toEqual(names(lower.hits));
    }
    expect(names((await search({ name: "OHIO SURV" })).hits)).toEqual([OHIO_SURVEY]);
  });

  it('"reg off" matches a prefix of both words, and only names that have both', async () => {
    const withType = await search({ name: "reg off", orgType: QARM });
    expect(names(withType.hits).sort()).toEqual([...REGIONAL_OFFICES].sort());
    const everyType = await allHits({ name: "reg off" });
    expect(everyType.length).toBeGreaterThanOrEqual(REGIONAL_OFFICES.length);
    for (const hit of everyType) expect(everyWordBeginsAWord(hit.name, "reg off"), hit.name).toBe(true);
    // "CMS REGION 1 - BOSTON" has REG… but no OFF… word.
    expect(names(everyType).some((n) => n.startsWith("CMS REGION"))).toBe(false);
  });

  it("matches the start of a word, not its middle", async () => {
    const result = await allHits({ name: "gional" });
    expect(names(result).some((n) => n.includes("REGIONAL"))).toBe(false);
  });

  it("matches the name only: a word of the city finds nothing by itself", async () => {
    // The Ohio survey agency is in COLUMBUS, but COLUMBUS is not in its name.
    expect((await search({ name: "columbus", orgType: QARM })).total).toBe(0);
    expect((await search({ name: "columbus", orgType: QARM, city: "columbus" })).total).toBe(0);
  });

  it("reads words the way the index does: apostrophes, periods and accents", async () => {
    const marys = await allHits({ name: "st. mary's" });
    expect(marys.length).toBeGreaterThan(0);
    for (const hit of marys) expect(hit.name, hit.name).toContain("ST. MARY'S");
    expect(names((await search({ name: "Óhio súrv" })).hits)).toEqual([OHIO_SURVEY]);
  });
});

describe("organization search: filters", () => {
  it("filters by state exactly, in either case", async () => {
    const all = await search({ name: "medical" });
    const ohio = await allHits({ name: "medical", state: "OH" });
    expect(ohio.length).toBeGreaterThan(0);
    expect(ohio.length).toBeLessThan(all.total);
    expect(ohio.every((h) => h.state === "OH")).toBe(true);
    expect((await search({ name: "medical", state: "oh" })).total).toBe(ohio.length);
    // Exact, not a prefix: "O" is no state.
    expect((await search({ name: "medical", state: "O" })).total).toBe(0);
  });

  it("filters by organization type exactly", async () => {
    const providers = await search({ name: "medical", orgType: "Provider" });
    expect(providers.total).toBeGreaterThan(0);
    expect(providers.hits.length).toBeGreaterThan(0);
    expect(providers.hits.every((h) => h.orgType === "Provider")).toBe(true);
    expect((await search({ name: "regional", orgType: "QARM" })).total).toBe(0);
    expect((await search({ name: "regional", orgType: "No Such Type" })).total).toBe(0);
  });

  it("filters by country exactly", async () => {
    expect(names((await search({ name: "ohio surv", country: "US" })).hits)).toEqual([OHIO_SURVEY]);
    expect(names((await search({ name: "ohio surv", country: "us" })).hits)).toEqual([OHIO_SURVEY]);
    expect((await search({ name: "ohio surv", country: "U" })).total).toBe(0);
    expect((await search({ name: "ohio surv", country: "CA" })).total).toBe(0);
  });

  it("filters by the start of the city, in either case", async () => {
    const hits = await allHits({ name: "medical", city: "col" });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.city.startsWith("COL"))).toBe(true);
    expect((await search({ name: "medical", city: "Columbus" })).hits.every((h) => h.city === "COLUMBUS")).toBe(true);
    expect((await search({ name: "medical", city: "olumbus" })).total).toBe(0);
  });

  it("filters by the start of the ZIP code", async () => {
    for (const zip of ["4", "432", "4321", "43215"]) {
      const hits = await allHits({ name: "ohio", zip });
      expect(names(hits), zip).toContain(OHIO_SURVEY);
      expect(
        hits.every((h) => h.zip.startsWith(zip)),
        zip,
      ).toBe(true);
    }
    expect(names((await search({ name: "ohio", zip: "43216" })).hits)).not.toContain(OHIO_SURVEY);
    expect(names((await search({ name: "ohio", zip: "3215" })).hits)).not.toContain(OHIO_SURVEY);
  });

  it("filters by the start of the CCN, the NPI and the TIN", async () => {
    const provider = await env.DB.prepare(
      "SELECT id, name, state, ccn, npi, tin FROM organizations WHERE ccn IS NOT NULL AND npi IS NOT NULL AND tin IS NOT NULL AND state = 'OH' ORDER BY id LIMIT 1",
    ).first<{ id: number; name: string; state: string; ccn: string; npi: string; tin: string }>();
    expect(provider).not.toBeNull();
    const { id, name, ccn, npi, tin } = provider!;
    const word = wordsOf(name)[0];
    const tinDigits = tin.replace("-", "");
    const cases: [
      OrganizationSearch,
      (row: { ccn: string | null; npi: string | null; tin: string | null }) => boolean,
    ][] = [
      [{ name: word, ccn: ccn.slice(0, 4) }, (r) => r.ccn?.startsWith(ccn.slice(0, 4)) ?? false],
      [{ name: word, ccn }, (r) => r.ccn === ccn],
      [{ name: word, npi: npi.slice(0, 5) }, (r) => r.npi?.startsWith(npi.slice(0, 5)) ?? false],
      [{ name: word, npi }, (r) => r.npi === npi],
      // TINs are stored 12-3456789; the search takes the digits, with or without the hyphen.
      [{ name: word, tin: tinDigits.slice(0, 5) }, (r) => r.tin?.startsWith(tin.slice(0, 6)) ?? false],
      [{ name: word, tin: tin.slice(0, 6) }, (r) => r.tin?.startsWith(tin.slice(0, 6)) ?? false],
      [{ name: word, tin: tinDigits }, (r) => r.tin === tin],
    ];
    for (const [query, holds] of cases) {
      const hits = await allHits(query);
      expect(
        hits.map((h) => h.id),
        JSON.stringify(query),
      ).toContain(id);
      const rows = await identifiers(hits.map((h) => h.id));
      for (const row of rows) expect(holds(row), `${JSON.stringify(query)} ${JSON.stringify(row)}`).toBe(true);
    }
    expect((await search({ name: word, ccn: ccn.slice(1) })).hits.map((h) => h.id)).not.toContain(id);
    expect((await search({ name: word, npi: npi.slice(1) })).hits.map((h) => h.id)).not.toContain(id);
  });

  it("combines filters: all must hold", async () => {
    const hits = await allHits({ name: "center", state: "OH", city: "COL", orgType: "Provider", country: "US" });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.state === "OH" && h.city.startsWith("COL") && h.orgType === "Provider")).toBe(true);
  });

  it("lists inactive organizations with their status", async () => {
    const inactive = await env.DB.prepare(
      "SELECT id, name, state, city FROM organizations WHERE status = 'Inactive' ORDER BY id LIMIT 1",
    ).first<{ id: number; name: string; state: string; city: string }>();
    expect(inactive).not.toBeNull();
    const result = await allHits({ name: inactive!.name, state: inactive!.state, city: inactive!.city });
    const hit = result.find((h) => h.id === inactive!.id);
    expect(hit?.status).toBe("Inactive");
    // The fixture's QARM Org Security rows all stay active.
    const qarmInactive = await env.DB.prepare(
      "SELECT count(*) AS n FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = ? AND o.status = 'Inactive'",
    )
      .bind(QARM)
      .first<{ n: number }>();
    expect(qarmInactive?.n).toBe(0);
  });
});

describe("organization search: at most 1,000 matches are listed", () => {
  const countMatches = async (match: string) =>
    (
      await env.DB.prepare("SELECT count(*) AS n FROM organizations_fts WHERE organizations_fts MATCH ?")
        .bind(match)
        .first<{ n: number }>()
    )?.n ?? 0;

  it("lists nothing and says so when more than 1,000 organizations match", async () => {
    expect(await countMatches('name : "center"*')).toBeGreaterThan(MAX_RESULTS);
    const broad = await search({ name: "center" });
    expect(broad).toMatchObject({ hits: [], total: MAX_RESULTS, more: true, pageCount: 0 });
    // Narrowed, the same word lists its matches again.
    const narrowed = await search({ name: "center", state: "OH" });
    expect(narrowed.more).toBe(false);
    expect(narrowed.hits.length).toBeGreaterThan(0);
    expect(narrowed.hits.every((h) => h.state === "OH")).toBe(true);
  });

  it("lists every match up to 1,000, in every order the filters allow", async () => {
    expect(await countMatches('name : "medical"*')).toBeLessThanOrEqual(MAX_RESULTS);
    const all = await allHits({ name: "medical" });
    expect(all).toHaveLength(await countMatches('name : "medical"*'));
    expect((await search({ name: "medical" })).more).toBe(false);
  });

  it("narrows by the city through the index without changing the answer or its order", async () => {
    const { results: cities } = await env.DB.prepare(
      "SELECT DISTINCT city FROM organizations WHERE id IN (SELECT rowid FROM organizations_fts WHERE organizations_fts MATCH 'name : medical*') ORDER BY city",
    ).all<{ city: string }>();
    expect(cities.length).toBeGreaterThan(5);
    const everything = await allHits({ name: "medical" });
    // Whole names, prefixes cut inside a word, after a space and after punctuation, lower case.
    const prefixes = new Set<string>(["SALT LAKE C", "ST. ", "O'", "FORT W", "c", "-", "  "]);
    for (const { city } of cities.slice(0, 12)) {
      prefixes.add(city);
      prefixes.add(city.slice(0, Math.max(1, city.length - 2)).toLowerCase());
      if (city.includes(" ")) prefixes.add(city.slice(0, city.indexOf(" ") + 1));
    }
    for (const prefix of prefixes) {
      const want = prefix.trim()
        ? everything.filter((h) => h.city.startsWith(prefix.trim().toUpperCase())).map((h) => h.id)
        : everything.map((h) => h.id);
      const got = (await allHits({ name: "medical", city: prefix })).map((h) => h.id);
      expect(got, JSON.stringify(prefix)).toEqual(want);
    }
  });
});

describe("organization search: pages and order", () => {
  it("pages 25 at a time and counts every match", async () => {
    const first = await search({ name: "medical" });
    expect(first.pageSize).toBe(25);
    expect(first.page).toBe(1);
    expect(first.total).toBeGreaterThan(50);
    expect(first.hits).toHaveLength(25);
    expect(first.pageCount).toBe(Math.ceil(first.total / 25));
    const second = await search({ name: "medical", page: 2 });
    expect(second.page).toBe(2);
    expect(second.total).toBe(first.total);
    expect(second.hits).toHaveLength(25);
    const firstIds = new Set(first.hits.map((h) => h.id));
    expect(second.hits.some((h) => firstIds.has(h.id))).toBe(false);

    const last = await search({ name: "medical", page: first.pageCount });
    expect(last.hits).toHaveLength(first.total - 25 * (first.pageCount - 1));
    const beyond = await search({ name: "medical", page: first.pageCount + 1 });
    expect(beyond.hits).toEqual([]);
    expect(beyond.total).toBe(first.total);
    expect(beyond.page).toBe(first.pageCount + 1);
  });

  it("walks every page of a search once, without repeats or gaps", async () => {
    const first = await search({ name: "kidney" });
    expect(first.pageCount).toBeGreaterThan(2);
    const hits = await allHits({ name: "kidney" });
    expect(hits).toHaveLength(first.total);
    expect(new Set(hits.map((h) => h.id)).size).toBe(first.total);
  });

  it("treats a missing, zero, negative or fractional page as the first", async () => {
    const first = await search({ name: "medical" });
    for (const page of [undefined, 0, -3, 1.5, Number.NaN]) {
      const result = await search({ name: "medical", page });
      expect(result.page, String(page)).toBe(1);
      expect(result.hits.map((h) => h.id)).toEqual(first.hits.map((h) => h.id));
    }
  });

  it("lists names that begin with the words first, then the other matches, each in the order people read", async () => {
    const hits = await allHits({ name: "regional" });
    expect(hits.length).toBeGreaterThan(REGIONAL_OFFICES.length);
    // The Regional Offices read 1, 2, 3 … 10 (8 before "8 … (LOWRY)"), not 1, 10, 3 … 2, 7, 9.
    const leading = hits.filter((h) => h.name.startsWith("REGIONAL"));
    expect(names(hits.slice(0, leading.length))).toEqual(names(leading));
    expect(names(leading).filter((n) => n.startsWith("REGIONAL OFFICE"))).toEqual([
      "REGIONAL OFFICE 1 - BOSTON",
      "REGIONAL OFFICE 2 - NEW YORK",
      "REGIONAL OFFICE 3 - PHILADELPHIA",
      "REGIONAL OFFICE 4 - ATLANTA",
      "REGIONAL OFFICE 5 - CHICAGO",
      "REGIONAL OFFICE 6 - DALLAS",
      "REGIONAL OFFICE 7 - KANSAS CITY",
      "REGIONAL OFFICE 8 - DENVER",
      "REGIONAL OFFICE 8 - DENVER (LOWRY)",
      "REGIONAL OFFICE 9 - SAN FRANCISCO",
      "REGIONAL OFFICE 10 - SEATTLE",
    ]);
    for (const group of [leading, hits.slice(leading.length)])
      for (let i = 1; i < group.length; i++) {
        const [a, b] = [group[i - 1], group[i]];
        const [ka, kb] = [naturalKey(a.name), naturalKey(b.name)];
        expect(ka < kb || (ka === kb && a.name <= b.name), `${a.name} before ${b.name}`).toBe(true);
      }
    // "… REGIONAL MEDICAL CENTER …" comes after every name that begins with REGIONAL.
    expect(hits.slice(leading.length).every((h) => !h.name.startsWith("REGIONAL"))).toBe(true);
  });
});

describe("organization search: the name is never FTS5 syntax", () => {
  const noWord = ['"', '""', "*", "-", ":", "^", "(", ")", "()", "( )", "(*)", ".", "'", "+", "{ }", "  "];

  it("returns nothing, without an error, when no word is left", async () => {
    for (const name of noWord) {
      const result = await search({ name });
      expect(result, JSON.stringify(name)).toEqual({
        hits: [],
        total: 0,
        more: false,
        page: 1,
        pageSize: 25,
        pageCount: 0,
      });
    }
  });

  it("never throws and never widens the result with operators, quotes, columns or stars", async () => {
    const regional = await search({ name: "regional" });
    const attempts = [
      'regional"',
      '"regional',
      'regional" OR "ohio',
      "regional OR ohio",
      "regional OR",
      "OR regional",
      "regional AND",
      "regional NOT ohio",
      "regional -ohio",
      "regional*",
      "*regional",
      "regional *",
      "NEAR(regional ohio)",
      "NEAR(regional",
      "regional:",
      "name:regional",
      "city:regional",
      "{name city}:regional",
      "^regional",
      "(regional)",
      "(regional OR ohio)",
      "regional)",
      "regional + ohio",
      "regional'; DROP TABLE organizations; --",
      "regional \u0000",
      "🏥 regional",
    ];
    for (const name of attempts) {
      const result = await search({ name });
      expect(result.total, name).toBeLessThanOrEqual(regional.total);
      for (const hit of result.hits) expect(everyWordBeginsAWord(hit.name, name), `${name}: ${hit.name}`).toBe(true);
    }
    // A column filter typed by the user is only words: CITY and COLUMBUS must both begin words of the name.
    expect(names((await search({ name: "city:columbus" })).hits)).not.toContain(OHIO_SURVEY);
    const organizations = await env.DB.prepare("SELECT count(*) AS n FROM organizations").first<{ n: number }>();
    expect(organizations?.n).toBeGreaterThan(5000);
  });

  it("the city is never FTS5 syntax either: operators, quotes and long text narrow or find nothing, and never throw", async () => {
    const medical = await search({ name: "medical" });
    const cities = [
      ...noWord,
      'COLUMBUS"',
      '" OR name : "center',
      "COLUMBUS OR DAYTON",
      "NEAR(COLUMBUS",
      "name:regional",
      "^COL*",
      "COL'; DROP TABLE organizations; --",
      "COL\u0000",
      "🏥",
      "Ｃｏｌｕｍｂｕｓ",
      '("*:^-'.repeat(10),
      "c ".repeat(30),
    ];
    for (const city of cities) {
      const result = await search({ name: "medical", city });
      expect(result.total, city).toBeLessThanOrEqual(medical.total);
      const prefix = city.trim().toUpperCase();
      for (const hit of result.hits) expect(hit.city.startsWith(prefix), `${city}: ${hit.city}`).toBe(true);
    }
  });

  it("handles a 2,000-character name without an error", async () => {
    expect((await search({ name: "a".repeat(2000) })).total).toBe(0);
    // More words than any name has: nothing, rather than a shortened (wider) search.
    expect(await search({ name: "regional ".repeat(223).slice(0, 2000) })).toMatchObject({ hits: [], total: 0 });
    expect(await search({ name: '("*:^-'.repeat(334).slice(0, 2000) })).toMatchObject({ hits: [], total: 0 });
    const regional = await search({ name: "regional" });
    const quoted = await search({ name: `regional ${'"'.repeat(1990)}` });
    expect(quoted.total).toBe(regional.total);
  });
});

describe("organization search: equal ranks in the order people read", () => {
  it("names that rank the same are listed 1, 2, 3 … 10, numbers compared as numbers, on every page and with every filter", async () => {
    // Ten offices whose names differ only in their number rank the same (same words, same length).
    const numbers = [7, 10, 3, 1, 9, 2, 8, 5, 4, 6, 12, 11, 20, 100];
    await env.DB.batch(
      numbers.map((n) =>
        env.DB.prepare(
          "INSERT INTO organizations (external_key, name, org_type_id, city, state, zip, created_at, updated_at) VALUES (?, ?, 1, 'SPRINGFIELD', 'IL', '62701', 0, 0)",
        ).bind(`test:natural:${n}`, `NATURALIS OFFICE ${n} - ANNEX ${n % 3 === 0 ? 10 : 9}`),
      ),
    );
    const expected = [...numbers]
      .sort((a, b) => a - b)
      .map((n) => `NATURALIS OFFICE ${n} - ANNEX ${n % 3 === 0 ? 10 : 9}`);
    expect(names(await allHits({ name: "naturalis" }))).toEqual(expected);
    expect(names(await allHits({ name: "naturalis office", state: "IL" }))).toEqual(expected);
    expect(names(await allHits({ name: "naturalis", city: "spring" }))).toEqual(expected);

    // Numbers after the first compare as numbers too; a number longer than any padding still sorts last.
    await env.DB.batch(
      [
        "NATURALIS WING 2 UNIT 10",
        "NATURALIS WING 2 UNIT 9",
        "NATURALIS WING 12345678901234567890123 UNIT 1",
        "NATURALIS WING 02 UNIT 1",
      ].map((name, i) =>
        env.DB.prepare(
          "INSERT INTO organizations (external_key, name, org_type_id, city, state, zip, created_at, updated_at) VALUES (?, ?, 1, 'SPRINGFIELD', 'IL', '62701', 0, 0)",
        ).bind(`test:natural:wing:${i}`, name),
      ),
    );
    expect(names(await allHits({ name: "naturalis wing" }))).toEqual([
      "NATURALIS WING 02 UNIT 1",
      "NATURALIS WING 2 UNIT 9",
      "NATURALIS WING 2 UNIT 10",
      "NATURALIS WING 12345678901234567890123 UNIT 1",
    ]);
  });
});

describe("organization status and the seed", () => {
  it("a re-run of the seed leaves an organization someone made Inactive inactive", async () => {
    const lowry = "REGIONAL OFFICE 8 - DENVER (LOWRY)";
    await env.DB.prepare("UPDATE organizations SET status = 'Inactive' WHERE name = ?").bind(lowry).run();
    await seedDatabase(env.DB);
    const hits = (await search({ name: "lowry", orgType: QARM })).hits;
    expect(hits.map((h) => [h.name, h.status])).toEqual([[lowry, "Inactive"]]);
    await env.DB.prepare("UPDATE organizations SET status = 'Active' WHERE name = ?").bind(lowry).run();
  });
});
