import { and, asc, eq, sql } from "drizzle-orm";
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";
import { z } from "zod";
import { type ApplicationForm, ID_TOKEN_ALGS } from "~/lib/application-admin";
import { type Actor, can } from "../access/authorize";
import { auditInsert } from "../audit/record";
import { randomToken } from "../auth/tokens";
import type { Client } from "../client";
import { oidcAccessTokens, oidcClients, oidcGrants, programs } from "../db/schema";
import type { Deps } from "../deps";
import { isProduction } from "../env";
import { fail, ok, type Result, refused } from "../result";
import { clientStatement, type OidcClient, registrableUri } from "./clients";
import { ASSURANCE_ORDER, type AssuranceLevel, type SigningAlg } from "./config";

/**
 * Administration › Applications (SPEC 2.9): registering a program's application
 * (an OpenID Connect client), editing it, disabling and enabling it. The form's
 * text is checked here (`checkRegistration`) and every problem is a code with
 * the field it belongs to; the screen words it. Every change writes its audit
 * event in the same batch, with the settings before and after (the keys as
 * their `kid` and RFC 7638 thumbprint, not the whole JWK Set).
 */

type Who = Pick<Client, "ip" | "userAgent">;
type WriteDeps = Pick<Deps, "db" | "now" | "traceId">;

/** At most this many addresses in each list, and keys in the JWK Set. */
export const MAX_URIS = 10;
export const MAX_KEYS = 5;
const MIN_RSA_BITS = 2048;
/** JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/**
 * Why the form's text cannot be registered. Each carries `field`; those about one
 * address carry `detail.value` (the address as typed), those about one key `detail.key` (1-based).
 */
export type RegistrationCode =
  | "name_required"
  | "name_too_long"
  | "program_unknown"
  | "redirect_required"
  | "uri_invalid"
  | "uri_local_in_production"
  | "uri_duplicate"
  | "uris_too_many"
  | "redirect_hosts"
  | "jwks_required"
  | "jwks_not_json"
  | "jwks_not_a_set"
  | "jwks_key_count"
  | "jwk_private"
  | "jwk_type"
  | "jwk_rsa_too_short"
  | "jwk_use"
  | "jwk_alg"
  | "jwk_unusable"
  | "assurance_invalid"
  | "alg_invalid";

export type RegistrationProblem = {
  code: RegistrationCode;
  field: keyof ApplicationForm;
  detail?: { value?: string; key?: number; max?: number };
};

/** What an application is registered with, once checked. */
export interface ClientSettings {
  name: string;
  programId: number;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  initiateLoginUri: string | null;
  /** The JWK Set as stored: `{"keys":[…]}` with the keys as given. */
  jwks: string;
  requiredAssurance: AssuranceLevel;
  idTokenSignedResponseAlg: SigningAlg;
}

/** The active programs an application may belong to (the form's "Program" choices). */
export async function activePrograms(deps: Pick<Deps, "db">) {
  return deps.db
    .select({ id: programs.id, code: programs.code, name: programs.name })
    .from(programs)
    .where(eq(programs.active, true))
    .orderBy(asc(programs.sortOrder), asc(programs.name));
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** Checks a list of addresses (one per line); returns the addresses or adds problems. */
function checkUris(
  text: string,
  field: RegistrationProblem["field"],
  production: boolean,
  problems: RegistrationProblem[],
): string[] {
  const uris = lines(text);
  if (uris.length > MAX_URIS) {
    problems.push({ code: "uris_too_many", field, detail: { max: MAX_URIS } });
    return uris;
  }
  const seen = new Set<string>();
  for (const value of uris) {
    const problem = uriProblem(value, production);
    if (problem) {
      problems.push({ code: problem, field, detail: { value } });
      return uris;
    }
    if (seen.has(value)) {
      problems.push({ code: "uri_duplicate", field, detail: { value } });
      return uris;
    }
    seen.add(value);
  }
  return uris;
}

function uriProblem(value: string, production: boolean): "uri_invalid" | "uri_local_in_production" | null {
  if (registrableUri(value, { production })) return null;
  return production && registrableUri(value, { production: false }) ? "uri_local_in_production" : "uri_invalid";
}

function checkOneUri(
  text: string,
  field: RegistrationProblem["field"],
  production: boolean,
  problems: RegistrationProblem[],
): string | null {
  const value = text.trim();
  if (value === "") return null;
  const problem = uriProblem(value, production);
  if (problem) problems.push({ code: problem, field, detail: { value } });
  return value;
}

const JwkShape = z.looseObject({
  kty: z.string(),
  crv: z.string().optional(),
  n: z.string().optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
  kid: z.string().optional(),
});
const JwksShape = z.looseObject({ keys: z.array(z.unknown()) });

/** Bits of an RSA modulus given as base64url (leading zero bytes do not count). */
function modulusBits(n: string): number {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(n.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  } catch {
    return 0;
  }
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]));
}

/** Checks a pasted JWK Set: 1 to 5 public signing keys, EC P-256 or RSA of 2048 bits or more, each importable. */
async function checkJwks(text: string, problems: RegistrationProblem[]): Promise<string> {
  const field = "jwks";
  const raw = text.trim();
  if (raw === "") {
    problems.push({ code: "jwks_required", field });
    return raw;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push({ code: "jwks_not_json", field });
    return raw;
  }
  const set = JwksShape.safeParse(parsed);
  if (!set.success || Array.isArray(parsed)) {
    problems.push({ code: "jwks_not_a_set", field });
    return raw;
  }
  const keys = set.data.keys;
  if (keys.length < 1 || keys.length > MAX_KEYS) {
    problems.push({ code: "jwks_key_count", field, detail: { max: MAX_KEYS } });
    return raw;
  }
  for (const [index, candidate] of keys.entries()) {
    const key = index + 1;
    const jwk = JwkShape.safeParse(candidate);
    if (!jwk.success) {
      problems.push({ code: "jwk_type", field, detail: { key } });
      return raw;
    }
    const members = jwk.data as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((name) => name in members)) {
      problems.push({ code: "jwk_private", field, detail: { key } });
      return raw;
    }
    const ec = jwk.data.kty === "EC" && jwk.data.crv === "P-256";
    const rsa = jwk.data.kty === "RSA";
    if (!ec && !rsa) {
      problems.push({ code: "jwk_type", field, detail: { key } });
      return raw;
    }
    if (rsa && modulusBits(jwk.data.n ?? "") < MIN_RSA_BITS) {
      problems.push({ code: "jwk_rsa_too_short", field, detail: { key } });
      return raw;
    }
    if (jwk.data.use !== undefined && jwk.data.use !== "sig") {
      problems.push({ code: "jwk_use", field, detail: { key } });
      return raw;
    }
    const implied = ec ? "ES256" : "RS256";
    if (jwk.data.alg !== undefined && jwk.data.alg !== implied) {
      problems.push({ code: "jwk_alg", field, detail: { key } });
      return raw;
    }
    try {
      await importJWK(jwk.data as JWK, implied);
    } catch {
      problems.push({ code: "jwk_unusable", field, detail: { key } });
      return raw;
    }
  }
  return JSON.stringify({ keys });
}

/**
 * Checks the form's text: every problem found (at most one per field), or the
 * settings to register. `programIds` are the active programs (`activePrograms`).
 */
export async function checkRegistration(
  deps: Pick<Deps, "env">,
  form: ApplicationForm,
  programIds: readonly number[],
): Promise<{ ok: true; value: ClientSettings } | { ok: false; problems: RegistrationProblem[] }> {
  const production = isProduction(deps.env);
  const problems: RegistrationProblem[] = [];
  const name = form.name.trim();
  if (name === "") problems.push({ code: "name_required", field: "name" });
  else if (name.length > 100) problems.push({ code: "name_too_long", field: "name" });
  const programId = /^\d{1,12}$/.test(form.programId.trim()) ? Number(form.programId.trim()) : Number.NaN;
  if (!programIds.includes(programId)) problems.push({ code: "program_unknown", field: "programId" });

  const before = problems.length;
  const redirectUris = checkUris(form.redirectUris, "redirectUris", production, problems);
  if (problems.length === before) {
    if (redirectUris.length === 0) problems.push({ code: "redirect_required", field: "redirectUris" });
    // One host: the pairwise sector every `sub` of this application is computed for (sectorHostOf).
    else if (new Set(redirectUris.map((u) => new URL(u).host)).size > 1)
      problems.push({ code: "redirect_hosts", field: "redirectUris" });
  }
  const postLogoutRedirectUris = checkUris(form.postLogoutRedirectUris, "postLogoutRedirectUris", production, problems);
  const backchannelLogoutUri = checkOneUri(form.backchannelLogoutUri, "backchannelLogoutUri", production, problems);
  const initiateLoginUri = checkOneUri(form.initiateLoginUri, "initiateLoginUri", production, problems);
  const jwks = await checkJwks(form.jwks, problems);
  const requiredAssurance = ASSURANCE_ORDER.find((level) => level === form.requiredAssurance);
  if (!requiredAssurance) problems.push({ code: "assurance_invalid", field: "requiredAssurance" });
  const alg = form.signingAlg === "" ? "ES256" : ID_TOKEN_ALGS.find((a) => a === form.signingAlg);
  if (!alg) problems.push({ code: "alg_invalid", field: "signingAlg" });
  if (problems.length > 0 || !requiredAssurance || !alg) return { ok: false, problems };
  return {
    ok: true,
    value: {
      name,
      programId,
      redirectUris,
      postLogoutRedirectUris,
      backchannelLogoutUri,
      initiateLoginUri,
      jwks,
      requiredAssurance,
      idTokenSignedResponseAlg: alg,
    },
  };
}

/** The keys of a JWK Set as the audit log records them: `kid` and RFC 7638 thumbprint. */
async function keysOf(jwks: string): Promise<{ kid: string | null; thumbprint: string }[]> {
  const { keys } = JSON.parse(jwks) as { keys: JWK[] };
  return Promise.all(keys.map(async (k) => ({ kid: k.kid ?? null, thumbprint: await calculateJwkThumbprint(k) })));
}

/** The settings of an application as an audit event records them. */
async function auditView(s: ClientSettings) {
  return {
    name: s.name,
    programId: s.programId,
    redirectUris: s.redirectUris,
    postLogoutRedirectUris: s.postLogoutRedirectUris,
    backchannelLogoutUri: s.backchannelLogoutUri,
    initiateLoginUri: s.initiateLoginUri,
    keys: await keysOf(s.jwks),
    requiredAssurance: s.requiredAssurance,
    idTokenSignedResponseAlg: s.idTokenSignedResponseAlg,
  };
}

export function settingsOf(client: OidcClient): ClientSettings {
  return {
    name: client.name,
    programId: client.programId,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    backchannelLogoutUri: client.backchannelLogoutUri,
    initiateLoginUri: client.initiateLoginUri,
    jwks: client.jwks,
    requiredAssurance: client.requiredAssurance,
    idTokenSignedResponseAlg: client.idTokenSignedResponseAlg,
  };
}

/** The audit event of a change, written only if the statement just before it changed a row. */
function changeAudit(
  deps: WriteDeps,
  input: { eventType: string; actor: Actor; who: Who; programId: number; details: Record<string, unknown> },
) {
  return auditInsert(
    deps,
    {
      eventType: input.eventType,
      outcome: "success",
      actorUserId: input.actor.userId,
      programId: input.programId,
      ip: input.who.ip,
      userAgent: input.who.userAgent,
      details: input.details,
    },
    sql`changes() > 0`,
  );
}

/** Why a change did nothing (besides the form's problems and `refused`). */
export type ChangeCode = "program_unknown" | "not_found" | "changed" | "unchanged";

/**
 * Registers an application: a new Client ID ("sp-" and a random token), the
 * row and `oidc.client_registered` in one batch. The program must still be
 * active when the row is written (checked in the INSERT itself).
 */
export async function registerClient(
  deps: WriteDeps,
  actor: Actor,
  settings: ClientSettings,
  who: Who,
): Promise<Result<{ clientId: string }, ChangeCode>> {
  const decision = can(actor, "application.manage", {}, deps.now());
  if (!decision.ok) return refused(decision);
  const clientId = `sp-${randomToken()}`;
  const now = deps.now().getTime();
  const s = settings;
  const [inserted] = await deps.db.batch([
    deps.db
      .insert(oidcClients)
      .select(
        sql`SELECT ${clientId}, ${s.name}, ${s.programId}, ${JSON.stringify(s.redirectUris)}, ${JSON.stringify(s.postLogoutRedirectUris)}, ${s.backchannelLogoutUri}, ${s.initiateLoginUri}, ${s.jwks}, ${s.requiredAssurance}, ${s.idTokenSignedResponseAlg}, 'active', ${now}, ${actor.userId}, ${now} WHERE EXISTS (SELECT 1 FROM ${programs} WHERE ${programs.id} = ${s.programId} AND ${programs.active} = 1)`,
      )
      .returning({ id: oidcClients.id }),
    changeAudit(deps, {
      eventType: "oidc.client_registered",
      actor,
      who,
      programId: s.programId,
      details: { clientId, after: await auditView(s) },
    }),
  ]);
  if (inserted.length === 0) return fail("program_unknown", { field: "programId" });
  return ok({ clientId });
}

/** The fields of two settings that differ, each side with only those. */
async function differences(before: ClientSettings, after: ClientSettings) {
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  const b = await auditView(before);
  const a = await auditView(after);
  for (const key of Object.keys(a) as (keyof typeof a)[]) {
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) {
      was[key] = b[key];
      now[key] = a[key];
    }
  }
  // Keys with the same thumbprints but other members (use, alg) are still a change of the stored set.
  if (before.jwks !== after.jwks && !("keys" in now)) {
    was.keys = b.keys;
    now.keys = a.keys;
  }
  return { before: was, after: now, changed: Object.keys(now) };
}

/** A later `updated_at` than the row's, so a conditional update always sees the row move on. */
const nextStamp = (deps: WriteDeps, row: OidcClient) =>
  new Date(Math.max(deps.now().getTime(), row.updatedAt.getTime() + 1));

/**
 * Changes an application's settings: `UPDATE … WHERE` the row is still as it
 * was read (its `updated_at`), and `oidc.client_updated` with the fields before
 * and after, in one batch. The program must still be active.
 */
export async function updateClient(
  deps: WriteDeps,
  actor: Actor,
  clientId: string,
  settings: ClientSettings,
  who: Who,
): Promise<Result<{ changed: string[] }, ChangeCode>> {
  const decision = can(actor, "application.manage", {}, deps.now());
  if (!decision.ok) return refused(decision);
  const [current] = await clientStatement(deps, clientId);
  if (!current) return fail("not_found");
  const diff = await differences(settingsOf(current), settings);
  if (diff.changed.length === 0) return fail("unchanged");
  const s = settings;
  const stamp = nextStamp(deps, current);
  // A new program or a new redirect host changes what the application is told (other roles, another
  // pairwise sub): every consent and token given under the old settings ends with this change.
  const rescoped =
    s.programId !== current.programId || new URL(s.redirectUris[0]).host !== new URL(current.redirectUris[0]).host;
  const ours = sql`EXISTS (SELECT 1 FROM ${oidcClients} WHERE ${oidcClients.id} = ${clientId} AND ${oidcClients.updatedAt} = ${stamp.getTime()})`;
  const [updated] = await deps.db.batch([
    deps.db
      .update(oidcClients)
      .set({
        name: s.name,
        programId: s.programId,
        redirectUris: s.redirectUris,
        postLogoutRedirectUris: s.postLogoutRedirectUris,
        backchannelLogoutUri: s.backchannelLogoutUri,
        initiateLoginUri: s.initiateLoginUri,
        jwks: s.jwks,
        requiredAssurance: s.requiredAssurance,
        idTokenSignedResponseAlg: s.idTokenSignedResponseAlg,
        updatedAt: stamp,
      })
      .where(
        and(
          eq(oidcClients.id, clientId),
          eq(oidcClients.updatedAt, current.updatedAt),
          sql`EXISTS (SELECT 1 FROM ${programs} WHERE ${programs.id} = ${s.programId} AND ${programs.active} = 1)`,
        ),
      )
      .returning({ id: oidcClients.id }),
    changeAudit(deps, {
      eventType: "oidc.client_updated",
      actor,
      who,
      programId: s.programId,
      details: { clientId, before: diff.before, after: diff.after, ...(rescoped ? { consentsEnded: true } : {}) },
    }),
    ...(rescoped
      ? [
          deps.db.delete(oidcAccessTokens).where(and(eq(oidcAccessTokens.clientId, clientId), ours)),
          deps.db.delete(oidcGrants).where(and(eq(oidcGrants.clientId, clientId), ours)),
        ]
      : []),
  ]);
  if (updated.length > 0) return ok({ changed: diff.changed });
  const [now] = await clientStatement(deps, clientId);
  if (!now) return fail("not_found");
  if (now.updatedAt.getTime() !== current.updatedAt.getTime()) return fail("changed");
  return fail("program_unknown", { field: "programId" });
}

/**
 * Disables an application at once (its access tokens are deleted in the same
 * batch; the token and userinfo endpoints refuse a disabled client, so nothing
 * it holds works any more) or enables it again. Audited as `oidc.client_disabled`
 * / `oidc.client_enabled`. `unchanged`: it already had that status.
 */
export async function setClientStatus(
  deps: WriteDeps,
  actor: Actor,
  clientId: string,
  status: "active" | "disabled",
  who: Who,
): Promise<Result<null, ChangeCode>> {
  const decision = can(actor, "application.manage", {}, deps.now());
  if (!decision.ok) return refused(decision);
  const [current] = await clientStatement(deps, clientId);
  if (!current) return fail("not_found");
  if (current.status === status) return fail("unchanged");
  const from = status === "active" ? "disabled" : "active";
  const [updated] = await deps.db.batch([
    deps.db
      .update(oidcClients)
      .set({ status, updatedAt: nextStamp(deps, current) })
      .where(and(eq(oidcClients.id, clientId), eq(oidcClients.status, from)))
      .returning({ id: oidcClients.id }),
    changeAudit(deps, {
      eventType: status === "active" ? "oidc.client_enabled" : "oidc.client_disabled",
      actor,
      who,
      programId: current.programId,
      details: { clientId, before: { status: from }, after: { status } },
    }),
    ...(status === "disabled"
      ? [
          deps.db
            .delete(oidcAccessTokens)
            .where(
              and(
                eq(oidcAccessTokens.clientId, clientId),
                sql`EXISTS (SELECT 1 FROM ${oidcClients} WHERE ${oidcClients.id} = ${clientId} AND ${oidcClients.status} = 'disabled')`,
              ),
            ),
        ]
      : []),
  ]);
  return updated.length > 0 ? ok(null) : fail("unchanged");
}

/** Every application, newest first, with its program's name (Administration › Applications). */
export async function listClients(deps: Pick<Deps, "db">) {
  return deps.db
    .select({
      id: oidcClients.id,
      name: oidcClients.name,
      status: oidcClients.status,
      // A subquery, not a join: the program's "name" would collide with the application's wherever D1 answers objects.
      programName: sql<string>`(SELECT p.name FROM programs p WHERE p.id = "oidc_clients"."program_id")`,
      createdAt: oidcClients.createdAt,
    })
    .from(oidcClients)
    .orderBy(asc(oidcClients.name), asc(oidcClients.createdAt));
}

/** One application and the active programs (its page and edit form), in one round trip. */
export async function loadClientPage(deps: Pick<Deps, "db">, clientId: string) {
  const [clientRows, programRows] = await deps.db.batch([
    // No join: in a batch D1 answers rows as objects, where the program's "name" would overwrite the application's.
    deps.db
      .select({
        client: oidcClients,
        programName: sql<string>`(SELECT p.name FROM programs p WHERE p.id = "oidc_clients"."program_id")`,
      })
      .from(oidcClients)
      .where(eq(oidcClients.id, clientId))
      .limit(1),
    deps.db
      .select({ id: programs.id, code: programs.code, name: programs.name })
      .from(programs)
      .where(eq(programs.active, true))
      .orderBy(asc(programs.sortOrder), asc(programs.name)),
  ]);
  const row = clientRows[0];
  return row ? { client: row.client, programName: row.programName, programs: programRows } : null;
}
