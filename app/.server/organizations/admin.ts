import { and, asc, eq, ne, or, type SQL, sql } from "drizzle-orm";
import { IDENTIFIERS, ORGANIZATION_FIELDS, type OrganizationValues } from "~/lib/organization-admin";
import type { Client } from "../client";
import { auditEvents, organizations, organizationTypes } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result } from "../result";

/**
 * Administration › Organizations (SPEC 2.8): create, edit, deactivate and
 * reactivate. The route asks `can(actor, "admin.manage")` first. Every change is
 * one conditional statement and its audit event (before and after values) in one
 * D1 batch; the event is written only if the statement changed a row
 * (`changes() > 0`, evaluated right after it in the same transaction). The
 * condition carries the rule, so two administrators at once cannot both win:
 * - a CCN, NPI or TIN is held by one organization: the write happens only if no
 *   other organization has it (D1 runs a batch's statements in one transaction,
 *   one writer at a time);
 * - an edit happens only if the row still has the values the administrator saw
 *   (so "before" in the audit event is what was overwritten);
 * - deactivate and reactivate happen only from the other status.
 */

export type WriteDeps = Pick<Deps, "db" | "now" | "traceId">;
type Actor = { userId: string };
type Who = Pick<Client, "ip" | "userAgent">;

export interface OrganizationRecord extends OrganizationValues {
  id: number;
  status: "Active" | "Inactive";
  externalKey: string;
}

/**
 * Why a change did nothing:
 * - `unknown_org_type`: not a type from the list (`field` "orgType");
 * - `identifier_taken`: another organization holds a CCN, NPI or TIN given; `detail` names the holder by
 *   identifier (`{ npi: "ITS NAME" }`), empty when the holder could not be read again;
 * - `not_found`; `changed`: someone else changed the organization since it was read; `unchanged`: nothing to do.
 */
export type ChangeCode = "unknown_org_type" | "identifier_taken" | "not_found" | "changed" | "unchanged";

/**
 * The organization types, for search forms: reference data no screen edits
 * (migrations add types), so each isolate reads them at most every
 * {@link ORG_TYPES_TTL_MS} instead of once per screen.
 */
export async function orgTypeNames(deps: Pick<Deps, "db" | "now">): Promise<string[]> {
  const now = deps.now().getTime();
  if (orgTypesCache && orgTypesCache.until > now) return orgTypesCache.names;
  const rows = await deps.db
    .select({ name: organizationTypes.name })
    .from(organizationTypes)
    .orderBy(asc(organizationTypes.name));
  const names = rows.map((r) => r.name);
  orgTypesCache = { names, until: now + ORG_TYPES_TTL_MS };
  return names;
}

const ORG_TYPES_TTL_MS = 5 * 60 * 1000;
let orgTypesCache: { names: string[]; until: number } | null = null;

/** Organization type name → id. */
export async function orgTypeIds(deps: Pick<Deps, "db">): Promise<Map<string, number>> {
  const rows = await deps.db.select({ id: organizationTypes.id, name: organizationTypes.name }).from(organizationTypes);
  return new Map(rows.map((r) => [r.name, r.id]));
}

const RECORD_COLUMNS = {
  id: organizations.id,
  status: organizations.status,
  externalKey: organizations.externalKey,
  name: organizations.name,
  orgType: sql<string>`${organizationTypes.name}`.as("org_type"),
  address1: organizations.address1,
  address2: organizations.address2,
  city: organizations.city,
  state: organizations.state,
  zip: organizations.zip,
  country: organizations.country,
  ccn: organizations.ccn,
  npi: organizations.npi,
  tin: organizations.tin,
};

export async function getOrganization(deps: Pick<Deps, "db">, id: number): Promise<OrganizationRecord | null> {
  const row = await deps.db
    .select(RECORD_COLUMNS)
    .from(organizations)
    .innerJoin(organizationTypes, eq(organizationTypes.id, organizations.orgTypeId))
    .where(eq(organizations.id, id))
    .get();
  return row ?? null;
}

/** Organizations holding any of these identifiers (for matching and for duplicates). */
export async function holdersOf(
  deps: Pick<Deps, "db">,
  ids: { ccn: string[]; npi: string[]; tin: string[] },
): Promise<OrganizationRecord[]> {
  const conditions: SQL[] = [];
  // One JSON parameter per identifier: D1 binds at most 100 parameters a statement, and an import chunk has more values.
  for (const key of IDENTIFIERS)
    if (ids[key].length > 0)
      conditions.push(sql`${organizations[key]} IN (SELECT value FROM json_each(${JSON.stringify(ids[key])}))`);
  if (conditions.length === 0) return [];
  return deps.db
    .select(RECORD_COLUMNS)
    .from(organizations)
    .innerJoin(organizationTypes, eq(organizationTypes.id, organizations.orgTypeId))
    .where(or(...conditions))
    .orderBy(asc(organizations.id));
}

type Identifiers = Pick<OrganizationValues, "ccn" | "npi" | "tin">;

/** The SQL condition "another organization holds one of these identifiers" (false when none is given). */
export function heldElsewhere(values: Partial<Identifiers>, exceptId?: number | SQL): SQL {
  const held: SQL[] = [];
  for (const key of IDENTIFIERS) {
    const value = values[key];
    if (value) held.push(eq(organizations[key], value));
  }
  if (held.length === 0) return sql`0`;
  const other = exceptId === undefined ? undefined : ne(organizations.id, exceptId);
  return sql`EXISTS (SELECT 1 FROM ${organizations} WHERE ${and(or(...held), other)})`;
}

/** The identifiers another organization already holds, each with the holder's name. */
async function takenIdentifiers(
  deps: Pick<Deps, "db">,
  values: Partial<Identifiers>,
  exceptId?: number,
): Promise<Partial<Record<keyof Identifiers, string>>> {
  const holders = await holdersOf(deps, {
    ccn: values.ccn ? [values.ccn] : [],
    npi: values.npi ? [values.npi] : [],
    tin: values.tin ? [values.tin] : [],
  });
  const taken: Partial<Record<keyof Identifiers, string>> = {};
  for (const key of IDENTIFIERS) {
    const holder = holders.find((h) => h.id !== exceptId && values[key] && h[key] === values[key]);
    if (holder) taken[key] = holder.name;
  }
  return taken;
}

/** The audit event for the organization `organizationId` (a value or a subquery), written only if the statement before it changed a row. */
export function organizationAudit(
  deps: WriteDeps,
  input: { eventType: string; actor: Actor; client: Who; organizationId: number | SQL | null; details: unknown },
) {
  const now = deps.now().getTime();
  return deps.db
    .insert(auditEvents)
    .select(
      sql`SELECT NULL, ${now}, ${input.eventType}, 'success', ${input.actor.userId}, NULL, ${input.organizationId}, NULL, ${input.client.ip}, ${input.client.userAgent?.slice(0, 256) ?? null}, ${deps.traceId}, NULL, ${JSON.stringify(input.details)} WHERE changes() > 0`,
    );
}

/** The columns of an insert or update from the form's values. */
function columns(values: OrganizationValues, orgTypeId: number) {
  return {
    name: values.name,
    orgTypeId,
    address1: values.address1,
    address2: values.address2,
    city: values.city,
    state: values.state,
    zip: values.zip,
    country: values.country,
    ccn: values.ccn,
    npi: values.npi,
    tin: values.tin,
  };
}

/** `INSERT … SELECT … WHERE NOT <held elsewhere>`: the new organization, unless one of its identifiers is taken. */
export function insertOrganization(
  deps: WriteDeps,
  externalKey: string,
  values: OrganizationValues,
  orgTypeId: number,
) {
  const now = deps.now().getTime();
  const c = columns(values, orgTypeId);
  return deps.db
    .insert(organizations)
    .select(
      sql`SELECT NULL, ${externalKey}, ${c.name}, ${c.orgTypeId}, 'Active', ${c.address1}, ${c.address2}, ${c.city}, ${c.state}, ${c.zip}, ${c.country}, ${c.ccn}, ${c.npi}, ${c.tin}, ${now}, ${now} WHERE NOT ${heldElsewhere(values)}`,
    )
    .returning({ id: organizations.id });
}

export async function createOrganization(
  deps: WriteDeps,
  actor: Actor,
  values: OrganizationValues,
  client: Who,
): Promise<Result<{ id: number }, ChangeCode>> {
  const typeId = (await orgTypeIds(deps)).get(values.orgType);
  if (typeId === undefined) return fail("unknown_org_type", { field: "orgType" });
  const taken = await takenIdentifiers(deps, values);
  if (Object.keys(taken).length > 0) return fail("identifier_taken", { detail: taken });
  const externalKey = `admin:${crypto.randomUUID()}`;
  const [inserted] = await deps.db.batch([
    insertOrganization(deps, externalKey, values, typeId),
    organizationAudit(deps, {
      eventType: "organization.created",
      actor,
      client,
      organizationId: sql`(SELECT ${organizations.id} FROM ${organizations} WHERE ${organizations.externalKey} = ${externalKey})`,
      details: { after: values },
    }),
  ]);
  if (inserted.length === 0) {
    // Another administrator took one of the identifiers between the check and the write.
    return fail("identifier_taken", { detail: await takenIdentifiers(deps, values) });
  }
  return ok({ id: inserted[0].id });
}

/** The fields whose values differ, with their before and after values. */
export function differences(before: OrganizationValues, after: OrganizationValues) {
  const was: Partial<OrganizationValues> = {};
  const now: Partial<OrganizationValues> = {};
  for (const key of ORGANIZATION_FIELDS) {
    if (before[key] !== after[key]) {
      (was as Record<string, unknown>)[key] = before[key];
      (now as Record<string, unknown>)[key] = after[key];
    }
  }
  return { before: was, after: now, changed: Object.keys(now) as (keyof OrganizationValues)[] };
}

/** The SQL condition "the row still has these values". */
function stillHas(before: OrganizationValues, orgTypeId: number): SQL {
  const c = columns(before, orgTypeId);
  return sql`${organizations.name} IS ${c.name} AND ${organizations.orgTypeId} IS ${c.orgTypeId} AND ${organizations.address1} IS ${c.address1} AND ${organizations.address2} IS ${c.address2} AND ${organizations.city} IS ${c.city} AND ${organizations.state} IS ${c.state} AND ${organizations.zip} IS ${c.zip} AND ${organizations.country} IS ${c.country} AND ${organizations.ccn} IS ${c.ccn} AND ${organizations.npi} IS ${c.npi} AND ${organizations.tin} IS ${c.tin}`;
}

/**
 * `UPDATE … WHERE` the row still has `before` and no other organization holds an
 * identifier being newly set: the statement of an edit and of an import's update.
 */
export function updateOrganization(
  deps: WriteDeps,
  id: number,
  before: OrganizationValues,
  beforeTypeId: number,
  after: OrganizationValues,
  afterTypeId: number,
) {
  const newIdentifiers: Partial<Identifiers> = {};
  for (const key of IDENTIFIERS) if (after[key] && after[key] !== before[key]) newIdentifiers[key] = after[key];
  return deps.db
    .update(organizations)
    .set({ ...columns(after, afterTypeId), updatedAt: deps.now() })
    .where(and(eq(organizations.id, id), stillHas(before, beforeTypeId), sql`NOT ${heldElsewhere(newIdentifiers, id)}`))
    .returning({ id: organizations.id });
}

export async function editOrganization(
  deps: WriteDeps,
  actor: Actor,
  id: number,
  values: OrganizationValues,
  client: Who,
): Promise<Result<{ changed: string[] }, ChangeCode>> {
  const current = await getOrganization(deps, id);
  if (!current) return fail("not_found");
  const types = await orgTypeIds(deps);
  const typeId = types.get(values.orgType);
  if (typeId === undefined) return fail("unknown_org_type", { field: "orgType" });
  const beforeTypeId = types.get(current.orgType) as number;
  const diff = differences(current, values);
  if (diff.changed.length === 0) return fail("unchanged");
  const newIdentifiers: Partial<Identifiers> = {};
  for (const key of IDENTIFIERS) if (values[key] && values[key] !== current[key]) newIdentifiers[key] = values[key];
  const taken = await takenIdentifiers(deps, newIdentifiers, id);
  if (Object.keys(taken).length > 0) return fail("identifier_taken", { detail: taken });
  const [updated] = await deps.db.batch([
    updateOrganization(deps, id, current, beforeTypeId, values, typeId),
    organizationAudit(deps, {
      eventType: "organization.updated",
      actor,
      client,
      organizationId: id,
      details: { before: diff.before, after: diff.after },
    }),
  ]);
  if (updated.length === 0) {
    const takenMeanwhile = await takenIdentifiers(deps, newIdentifiers, id);
    if (Object.keys(takenMeanwhile).length > 0) return fail("identifier_taken", { detail: takenMeanwhile });
    return fail("changed");
  }
  return ok({ changed: diff.changed });
}

/** Deactivate (Active → Inactive) or reactivate (Inactive → Active). */
export async function setOrganizationStatus(
  deps: WriteDeps,
  actor: Actor,
  id: number,
  status: "Active" | "Inactive",
  client: Who,
): Promise<Result<null, ChangeCode>> {
  const from = status === "Active" ? "Inactive" : "Active";
  const [updated] = await deps.db.batch([
    deps.db
      .update(organizations)
      .set({ status, updatedAt: deps.now() })
      .where(and(eq(organizations.id, id), eq(organizations.status, from)))
      .returning({ id: organizations.id }),
    organizationAudit(deps, {
      eventType: status === "Active" ? "organization.reactivated" : "organization.deactivated",
      actor,
      client,
      organizationId: id,
      details: { before: { status: from }, after: { status } },
    }),
  ]);
  if (updated.length > 0) return ok(null);
  return fail((await getOrganization(deps, id)) ? "unchanged" : "not_found");
}
