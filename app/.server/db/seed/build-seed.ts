/**
 * The seed, as SQL statements: reference data, the QARM Org Security
 * organizations, and a generated set of providers and contractors. Deterministic
 * (a fixed-seed PRNG), so every machine gets the same rows, and idempotent
 * (upserts on stable keys), so it can run again at any time.
 *
 * Imports carry explicit `.ts` extensions: `scripts/seed.ts` runs this file in
 * Node directly, and the integration tests run it inside workerd.
 */

import { normaliseAnswer } from "../../../lib/challenge-questions.ts";
import { hashPassword } from "../../auth/password.ts";
import { sealSecret } from "../../auth/secret-box.ts";
import qarm from "./data/qarm-org-security.json" with { type: "json" };
import { CITIES, ORG_TYPES, type OrgTypeName, PROGRAMS, ROLES, STATES } from "./reference.ts";

/** How many provider organizations the generator makes (SPEC 2.5: thousands). */
export const GENERATED_PROVIDER_COUNT = 5200;
export const GENERATED_CONTRACTOR_COUNT = 160;

/**
 * One generated provider in this many is Inactive (picked by position, not by the
 * PRNG, so the rest of the data does not move): about twenty in the development
 * seed, enough for the search results to show what an inactive row looks like.
 */
export const INACTIVE_PROVIDER_EVERY = 250;
const INACTIVE_PROVIDER_OFFSET = 17;

/** Development-only help-desk approver (README: "Development accounts"). */
export const DEV_HELPDESK = {
  id: "dev-helpdesk-1",
  loginId: "HELPDESK1",
  password: "Portal-Dev-Password-1",
  totpSecretBase32: "JBSWY3DPEHPK3PXP",
  deviceId: "dev-helpdesk-1-totp",
  email: "helpdesk1@secure-portal.localhost",
  /** Challenge answers, so the account needs no first-sign-in setup. */
  challengeAnswers: { first_pet: "Rex", birth_city: "Baltimore", first_school: "Lincoln" },
} as const;

/** The same fixed instant for every seeded timestamp keeps the seed reproducible. */
const SEED_TIME = Date.UTC(2026, 0, 1);
/** Sign-in and recertification clocks start when the seed runs, so the lifecycle jobs leave a fresh seed alone. */
const SEED_RUN = Date.now();

export interface SeedOrganization {
  key: string;
  name: string;
  type: OrgTypeName;
  status: "Active" | "Inactive";
  address1: string;
  address2: string;
  city: string;
  state: string;
  zip: string;
  country: string;
  ccn: string | null;
  npi: string | null;
  tin: string | null;
}

const q = (value: string | number | null | undefined): string =>
  value === null || value === undefined
    ? "NULL"
    : typeof value === "number"
      ? String(value)
      : `'${value.replaceAll("'", "''")}'`;

/** mulberry32: tiny, fast, good enough for fixture data, and the same everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}

/** NPI check digit: Luhn over the prefix 80840 plus the first nine digits. */
export function npiWithCheckDigit(first9: string): string {
  const digits = `80840${first9}`.split("").map(Number);
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits[i];
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${first9}${(10 - (sum % 10)) % 10}`;
}

const FACILITY_KINDS = [
  { suffix: "MEDICAL CENTER", ccn: [1, 879] },
  { suffix: "REGIONAL MEDICAL CENTER", ccn: [1, 879] },
  { suffix: "MEMORIAL HOSPITAL", ccn: [1, 879] },
  { suffix: "COMMUNITY HOSPITAL", ccn: [1, 879] },
  { suffix: "DIALYSIS CENTER", ccn: [2300, 2499] },
  { suffix: "KIDNEY CARE", ccn: [2500, 2899] },
  { suffix: "AMBULATORY SURGERY CENTER", ccn: null },
  { suffix: "SURGERY CENTER", ccn: null },
  { suffix: "BEHAVIORAL HEALTH HOSPITAL", ccn: [4000, 4499] },
  { suffix: "CANCER INSTITUTE", ccn: [1, 879] },
  { suffix: "PHYSICIANS GROUP", ccn: null },
  { suffix: "NURSING AND REHABILITATION CENTER", ccn: [5000, 6499] },
  { suffix: "HOME HEALTH SERVICES", ccn: [7000, 8499] },
] as const;

const PREFIXES = [
  "ST. MARY'S",
  "ST. JOSEPH",
  "MERCY",
  "GOOD SAMARITAN",
  "PROVIDENCE",
  "BAPTIST",
  "METHODIST",
  "RIVERSIDE",
  "LAKEVIEW",
  "VALLEY",
  "SUMMIT",
  "UNIVERSITY",
  "CHILDREN'S",
  "PRESBYTERIAN",
  "SACRED HEART",
  "NORTHSIDE",
  "SOUTHWEST",
  "EASTERN",
  "HIGHLAND",
  "PIEDMONT",
  "CEDAR",
  "MAPLE GROVE",
  "GREAT PLAINS",
  "BLUE RIDGE",
  "COASTAL",
  "PRAIRIE",
  "MOUNTAIN VIEW",
  "HARBOR",
  "PINE CREST",
  "OAK HILL",
];

const STREETS = [
  "MAIN ST",
  "HOSPITAL DR",
  "MEDICAL CENTER BLVD",
  "HEALTH PARK WAY",
  "OAK ST",
  "WASHINGTON AVE",
  "PARK AVE",
  "LINCOLN HWY",
  "MARKET ST",
  "COLLEGE AVE",
  "RIVER RD",
  "ELM ST",
  "BROADWAY",
  "CENTER ST",
];

const CONTRACTOR_NAMES = [
  "HEALTH QUALITY PARTNERS",
  "QUALITY INSIGHTS",
  "CLINICAL DATA SOLUTIONS",
  "MEDICARE ADMINISTRATIVE SERVICES",
  "HEALTHCARE ANALYTICS",
  "QUALITY IMPROVEMENT NETWORK",
  "PROGRAM INTEGRITY SERVICES",
  "HEALTH INFORMATION SYSTEMS",
];

function stateByCode(code: string) {
  const state = STATES.find((s) => s[0] === code);
  if (!state) throw new Error(`Unknown state ${code}`);
  return state;
}

const blank = { ccn: null, npi: null, tin: null, country: "US", address2: "", status: "Active" } as const;

/**
 * Every organization the seed creates, in a fixed order: the fixed rows (QARM Org
 * Security, Regional Offices, CMS, state governments) and then `generated`
 * contractors and providers. The development seed uses the default size; the
 * search bench asks for 100,000 (see `seedOrganizationsOfSize`).
 */
export function seedOrganizations(
  generated: GeneratedOrganizationCounts = {
    contractors: GENERATED_CONTRACTOR_COUNT,
    providers: GENERATED_PROVIDER_COUNT,
  },
): SeedOrganization[] {
  return [...fixedOrganizations(), ...generateOrganizations(generated)];
}

/** The seed with generated rows added up to `total` organizations, about 3 % contractors as in the development seed. */
export function seedOrganizationsOfSize(total: number): SeedOrganization[] {
  const free = total - fixedOrganizations().length;
  if (free < 0) throw new Error(`The fixed organizations alone are more than ${total}`);
  const contractors = Math.round(
    (free * GENERATED_CONTRACTOR_COUNT) / (GENERATED_CONTRACTOR_COUNT + GENERATED_PROVIDER_COUNT),
  );
  return seedOrganizations({ contractors, providers: free - contractors });
}

export interface GeneratedOrganizationCounts {
  contractors: number;
  providers: number;
}

/** The organizations the original portal lists, and one per state for the state governments. */
function fixedOrganizations(): SeedOrganization[] {
  const orgs: SeedOrganization[] = [];

  for (const o of qarm.organizations) {
    orgs.push({ ...blank, ...o, key: `qarm:${o.name}`, type: "QARM Org Security" });
  }
  const listed = new Set(qarm.organizations.filter((o) => o.name.startsWith("STATE OF")).map((o) => o.state));
  for (const [code, name, , capital, zip] of STATES) {
    if (listed.has(code)) continue;
    orgs.push({
      ...blank,
      key: `qarm:survey:${code}`,
      name: `STATE OF ${name} - SURVEY AND CERTIFICATION`,
      type: "QARM Org Security",
      address1: "STATE SURVEY AGENCY",
      city: capital,
      state: code,
      zip,
    });
  }
  for (const o of qarm.organizations.filter((o) => o.name.startsWith("REGIONAL OFFICE"))) {
    orgs.push({
      ...blank,
      ...o,
      key: `ro:${o.name}`,
      name: o.name.replace("REGIONAL OFFICE", "CMS REGION"),
      type: "Regional Office",
    });
  }
  orgs.push({
    ...blank,
    key: "cms:hq",
    name: "CENTERS FOR MEDICARE & MEDICAID SERVICES",
    type: "CMS",
    address1: "7500 SECURITY BOULEVARD",
    city: "BALTIMORE",
    state: "MD",
    zip: "21244",
  });
  for (const [code, name, , capital, zip] of STATES) {
    orgs.push({
      ...blank,
      key: `stategov:${code}`,
      name: `STATE OF ${name} - DEPARTMENT OF HEALTH`,
      type: "State Government",
      address1: "DEPARTMENT OF HEALTH",
      city: capital,
      state: code,
      zip,
    });
  }
  return orgs;
}

/**
 * Contractors and providers named like real ones ("MERCY MEDICAL CENTER OF
 * TAMPA"), in the cities of CITIES, with CCNs in the range of their kind of
 * facility and the state's code, NPIs with a valid check digit and TINs. The same
 * counts always give the same rows; keys are `contractor:<n>` and `provider:<n>`.
 */
export function generateOrganizations({ contractors, providers }: GeneratedOrganizationCounts): SeedOrganization[] {
  const orgs: SeedOrganization[] = [];
  const rand = prng(20260101);
  const tin = () => `${rand.int(10, 99)}-${String(rand.int(0, 9999999)).padStart(7, "0")}`;
  const street = () => `${rand.int(100, 9999)} ${rand.pick(STREETS)}`;
  for (let i = 0; i < contractors; i++) {
    const [city, state, zip] = rand.pick(CITIES);
    orgs.push({
      ...blank,
      key: `contractor:${i}`,
      name: `${rand.pick(PREFIXES).replace(/'S$/, "")} ${rand.pick(CONTRACTOR_NAMES)} ${rand.pick(["LLC", "INC", "CORP"])}`,
      type: i % 5 === 4 ? "Vendor" : "Contractor",
      address1: street(),
      address2: rand.next() < 0.4 ? `SUITE ${rand.int(100, 999)}` : "",
      city,
      state,
      zip,
      tin: tin(),
    });
  }
  for (let i = 0; i < providers; i++) {
    const [city, state, zip] = rand.pick(CITIES);
    const kind = rand.pick(FACILITY_KINDS);
    const useCity = rand.next() < 0.45;
    const name = useCity
      ? `${city} ${kind.suffix}`
      : `${rand.pick(PREFIXES)} ${kind.suffix}${rand.next() < 0.5 ? ` OF ${city}` : ""}`;
    const ccn = kind.ccn
      ? `${stateByCode(state)[2]}${String(rand.int(kind.ccn[0], kind.ccn[1])).padStart(4, "0")}`
      : null;
    orgs.push({
      key: `provider:${i}`,
      name,
      type: "Provider",
      status: i % INACTIVE_PROVIDER_EVERY === INACTIVE_PROVIDER_OFFSET ? "Inactive" : "Active",
      address1: street(),
      address2: rand.next() < 0.2 ? `BUILDING ${rand.pick(["A", "B", "C", "2", "3"])}` : "",
      city,
      state,
      zip,
      country: "US",
      ccn,
      npi: npiWithCheckDigit(`1${String(rand.int(0, 99999999)).padStart(8, "0")}`),
      tin: tin(),
    });
  }
  return orgs;
}

function referenceStatements(): string[] {
  const out: string[] = [];
  PROGRAMS.forEach((p, i) => {
    const isDestination = "isDestination" in p ? (p.isDestination ? 1 : 0) : 1;
    out.push(
      `INSERT INTO programs (code, name, is_destination, sort_order, active) VALUES (${q(p.code)}, ${q(p.name)}, ${isDestination}, ${i + 1}, 1) ON CONFLICT(code) DO UPDATE SET name = excluded.name, is_destination = excluded.is_destination, sort_order = excluded.sort_order;`,
    );
  });
  for (const t of ORG_TYPES) {
    out.push(`INSERT INTO organization_types (name) VALUES (${q(t)}) ON CONFLICT(name) DO NOTHING;`);
  }
  for (const r of ROLES) {
    const program = r.program ? `(SELECT id FROM programs WHERE code = ${q(r.program)})` : "NULL";
    out.push(
      `INSERT INTO roles (code, name, program_id, description, is_security_official, is_help_desk, is_admin, active) VALUES (${q(r.code)}, ${q(r.name)}, ${program}, ${q(r.description)}, ${r.isSecurityOfficial ? 1 : 0}, ${r.isHelpDesk ? 1 : 0}, ${r.isAdmin ? 1 : 0}, 1) ON CONFLICT(code) DO UPDATE SET name = excluded.name, program_id = excluded.program_id, description = excluded.description, is_security_official = excluded.is_security_official, is_help_desk = excluded.is_help_desk, is_admin = excluded.is_admin;`,
    );
    for (const t of r.orgTypes) {
      out.push(
        `INSERT INTO role_org_type_rules (role_id, org_type_id) SELECT r.id, t.id FROM roles r, organization_types t WHERE r.code = ${q(r.code)} AND t.name = ${q(t)} ON CONFLICT DO NOTHING;`,
      );
    }
  }
  return out;
}

/**
 * Upserts. A re-run brings generated providers back to their generated status,
 * but never reactivates a real organization someone has since made Inactive.
 * iif(), not CASE … END: wrangler's SQL splitter takes " CASE " for the start of
 * a compound statement and finds its end only at "END" followed by a space or
 * ";", so "END," made the whole file one statement and the seed ran for hours.
 */
function organizationStatements(orgs: SeedOrganization[]): string[] {
  const out: string[] = [];
  const BATCH = 200;
  for (let i = 0; i < orgs.length; i += BATCH) {
    const rows = orgs
      .slice(i, i + BATCH)
      .map(
        (o) =>
          `(${q(o.key)}, ${q(o.name)}, (SELECT id FROM organization_types WHERE name = ${q(o.type)}), ${q(o.status)}, ${q(o.address1)}, ${q(o.address2)}, ${q(o.city)}, ${q(o.state)}, ${q(o.zip)}, ${q(o.country)}, ${q(o.ccn)}, ${q(o.npi)}, ${q(o.tin)}, ${SEED_TIME}, ${SEED_TIME})`,
      );
    out.push(
      `INSERT INTO organizations (external_key, name, org_type_id, status, address1, address2, city, state, zip, country, ccn, npi, tin, created_at, updated_at) VALUES ${rows.join(", ")} ON CONFLICT(external_key) DO UPDATE SET name = excluded.name, org_type_id = excluded.org_type_id, status = iif(organizations.external_key GLOB 'provider:*', excluded.status, organizations.status), address1 = excluded.address1, address2 = excluded.address2, city = excluded.city, state = excluded.state, zip = excluded.zip, country = excluded.country, ccn = excluded.ccn, npi = excluded.npi, tin = excluded.tin;`,
    );
  }
  return out;
}

function base32Decode(value: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let acc = 0;
  const out: number[] = [];
  for (const ch of value.replace(/=+$/, "")) {
    acc = (acc << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Development accounts: never part of a production seed. */
async function devUserStatements(totpKey: string): Promise<string[]> {
  const h = DEV_HELPDESK;
  const passwordHash = await hashPassword(h.password);
  const sealed = await sealSecret(totpKey, base32Decode(h.totpSecretBase32), `totp:${h.deviceId}`);
  const answers = await Promise.all(
    Object.entries(h.challengeAnswers).map(
      async ([key, answer]) =>
        `INSERT INTO challenge_answers (id, user_id, question_key, answer_hash, created_at) VALUES (${q(`${h.id}:${key}`)}, ${q(h.id)}, ${q(key)}, ${q(await hashPassword(normaliseAnswer(answer)))}, ${SEED_TIME}) ON CONFLICT(id) DO NOTHING;`,
    ),
  );
  return [
    `INSERT INTO users (id, login_id, first_name, last_name, email, phone, status, identity_verified_at, enrollment_completed_at, last_sign_in_at, created_at, updated_at) VALUES (${q(h.id)}, ${q(h.loginId)}, 'Helen', 'Desk', ${q(h.email)}, '410-555-0100', 'active', ${SEED_TIME}, ${SEED_TIME}, ${SEED_RUN}, ${SEED_TIME}, ${SEED_TIME}) ON CONFLICT(id) DO NOTHING;`,
    `INSERT INTO password_credentials (user_id, hash, is_temporary, changed_at) VALUES (${q(h.id)}, ${q(passwordHash)}, 0, ${SEED_TIME}) ON CONFLICT(user_id) DO NOTHING;`,
    `INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, totp_secret_enc, created_at, confirmed_at) VALUES (${q(h.deviceId)}, ${q(h.id)}, 'totp', 'Development authenticator', 'TOTP-DEV1', X'${hex(sealed)}', ${SEED_TIME}, ${SEED_TIME}) ON CONFLICT(id) DO NOTHING;`,
    `INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at, recertified_at) SELECT ${q(h.id)} || ':' || p.code, ${q(h.id)}, r.id, p.id, (SELECT id FROM organizations WHERE external_key = 'cms:hq'), 'active', ${SEED_TIME}, ${SEED_RUN} FROM programs p, roles r WHERE r.code = 'HELP_DESK_APPROVER' ON CONFLICT(id) DO NOTHING;`,
    // HELPDESK1 is also the Help Desk Administrator (the Administration area), across every program.
    `INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at, recertified_at) SELECT ${q(h.id)} || ':admin', ${q(h.id)}, r.id, NULL, (SELECT id FROM organizations WHERE external_key = 'cms:hq'), 'active', ${SEED_TIME}, ${SEED_RUN} FROM roles r WHERE r.code = 'HELP_DESK_ADMINISTRATOR' ON CONFLICT(id) DO NOTHING;`,
    ...answers,
  ];
}

/**
 * The Sample Program Application (examples/program-app), registered by the
 * development seed only: a relying party for one program (ESRD-QRS, which the
 * chooser's other journeys do not use) at the origin it runs on.
 */
export const PROGRAM_APP = {
  clientId: "sp-dev-program-app",
  name: "Sample Program Application",
  program: "ESRD-QRS",
  origin: "http://localhost:8788",
} as const;

export interface ProgramAppRegistration {
  /** Where the sample runs (`npm run dev`: http://localhost:8788; the e2e setup: a free port). */
  origin: string;
  /** Its public keys (a JWK Set), from scripts/program-app-key.ts. */
  jwks: { keys: object[] };
}

/** Registers the sample, or brings its URIs and keys up to date (a re-seed on another port). */
export function programAppStatement(app: ProgramAppRegistration): string {
  const origin = new URL(app.origin).origin;
  const json = (value: unknown) => q(JSON.stringify(value));
  return `INSERT INTO oidc_clients (id, name, program_id, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, initiate_login_uri, jwks, required_assurance, id_token_signed_response_alg, status, created_at, updated_at) VALUES (${q(PROGRAM_APP.clientId)}, ${q(PROGRAM_APP.name)}, (SELECT id FROM programs WHERE code = ${q(PROGRAM_APP.program)}), ${json([`${origin}/callback`])}, ${json([`${origin}/`])}, ${q(`${origin}/backchannel-logout`)}, ${q(`${origin}/login`)}, ${json(app.jwks)}, 'aal2', 'ES256', 'active', ${SEED_TIME}, ${SEED_RUN}) ON CONFLICT(id) DO UPDATE SET name = excluded.name, program_id = excluded.program_id, redirect_uris = excluded.redirect_uris, post_logout_redirect_uris = excluded.post_logout_redirect_uris, backchannel_logout_uri = excluded.backchannel_logout_uri, initiate_login_uri = excluded.initiate_login_uri, jwks = excluded.jwks, required_assurance = excluded.required_assurance, status = 'active', updated_at = excluded.updated_at;`;
}

export interface SeedOptions {
  devUsers?: { totpKey: string };
  /** Development only (never with the production seed): the sample program application. */
  programApp?: ProgramAppRegistration;
  /** Instead of the development set: the search bench seeds `seedOrganizationsOfSize(100_000)`. */
  organizations?: SeedOrganization[];
}

export async function buildSeedStatements(options: SeedOptions = {}): Promise<string[]> {
  const statements = [
    ...referenceStatements(),
    ...organizationStatements(options.organizations ?? seedOrganizations()),
  ];
  if (options.devUsers) statements.push(...(await devUserStatements(options.devUsers.totpKey)));
  if (options.programApp) {
    if (!options.devUsers)
      throw new Error("The sample program application is registered by the development seed only.");
    statements.push(programAppStatement(options.programApp));
  }
  return statements;
}
