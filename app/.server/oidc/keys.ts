import { and, isNull, lte, type SQL, sql } from "drizzle-orm";
import {
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { openSecret, sealSecret } from "../auth/secret-box";
import { oidcSigningKeys } from "../db/schema";
import type { Deps } from "../deps";
import {
  issuerOf,
  KEY_RETENTION_AFTER_RETIRED_MS,
  LIFETIMES,
  OIDC_PATHS,
  SIGNING_ALGS,
  type SigningAlg,
} from "./config";

/**
 * The portal's signing keys (ES256, and RS256 for applications that need it):
 * made with jose, the private key sealed under OIDC_KEY_SECRET and bound to its
 * `kid`. A key is published from its creation, signs from `signsFrom`, stops
 * signing when its successor starts, and leaves the JWKS once every token it
 * signed has expired (oidc_signing_keys in db/schema/oidc.ts).
 */

type KeyRow = typeof oidcSigningKeys.$inferSelect;
type KeyDeps = Pick<Deps, "db" | "env" | "now">;

/** Workers' default cache, where the door keeps the JWKS (the DOM's CacheStorage type, also loaded, lacks it). */
export function edgeCache(): Cache {
  return (caches as unknown as { default: Cache }).default;
}

/** The associated data binding a sealed private key to its row. */
export function sealingContext(kid: string): string {
  return `oidc-key:${kid}`;
}

/**
 * Per isolate: the key rows (briefly, so a token request costs no D1 for them)
 * and the imported private keys (by kid, for the isolate's life: a kid never
 * changes its key). The rows are read again after KEY_ROWS_CACHE_MS; a key
 * signs a day after it is published and stays published for minutes after it
 * retires, so a copy this old never signs with an unpublished key.
 */
const KEY_ROWS_CACHE_MS = 60 * 1000;
let cachedRows: { rows: KeyRow[]; readAt: number } | null = null;
const privateKeys = new Map<string, Promise<CryptoKey>>();

function forgetRows() {
  cachedRows = null;
}

/** The statement reading every stored key (put it in a batch, or await it). */
export function signingKeysStatement(deps: Pick<Deps, "db">) {
  return deps.db.select().from(oidcSigningKeys);
}

/** The key rows held by this isolate, if fresh; null when they must be read (with `signingKeysStatement`). */
export function cachedSigningKeys(): KeyRow[] | null {
  return cachedRows && Date.now() - cachedRows.readAt < KEY_ROWS_CACHE_MS ? cachedRows.rows : null;
}

/** Remembers key rows read in a caller's batch. */
export function rememberSigningKeys(rows: KeyRow[]): void {
  cachedRows = { rows, readAt: Date.now() };
}

async function keyRows(deps: Pick<Deps, "db">): Promise<KeyRow[]> {
  const cached = cachedSigningKeys();
  if (cached) return cached;
  const rows = await signingKeysStatement(deps);
  rememberSigningKeys(rows);
  return rows;
}

/** The key that signs for `alg` at `now`: the latest whose `signsFrom` has come (its predecessor stops at once). */
export function currentKey(rows: readonly KeyRow[], alg: SigningAlg, now: Date): KeyRow | null {
  let best: KeyRow | null = null;
  for (const row of rows) {
    if (row.alg !== alg || row.signsFrom > now) continue;
    if (row.retiredAt && row.retiredAt <= now) continue;
    if (!best || row.signsFrom > best.signsFrom) best = row;
  }
  return best;
}

/** Whether a key is still in the JWKS at `now`. */
function published(row: KeyRow, now: Date): boolean {
  return !row.removeAfter || row.removeAfter > now;
}

/**
 * Makes a key and stores it only if `onlyIf` still holds when the INSERT runs
 * (one conditional statement: two cron runs, or two first requests, make one
 * key). Returns whether this call's key was stored.
 */
async function createKey(deps: KeyDeps, alg: SigningAlg, signsFrom: Date, onlyIf: SQL): Promise<boolean> {
  const now = deps.now();
  const kid = randomKid();
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const pkcs8 = await exportPKCS8(privateKey);
  const sealed = await sealSecret(deps.env.OIDC_KEY_SECRET, new TextEncoder().encode(pkcs8), sealingContext(kid));
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  const inserted = await deps.db
    .insert(oidcSigningKeys)
    .select(
      sql`SELECT ${kid}, ${alg}, ${JSON.stringify(jwk)}, ${sealed}, ${now.getTime()}, ${signsFrom.getTime()}, NULL, NULL WHERE ${onlyIf}`,
    )
    .onConflictDoNothing()
    .returning({ kid: oidcSigningKeys.kid });
  forgetRows();
  // A key that signs at once (only a deployment's first, before any key was published) must not wait for the
  // JWKS this data centre cached without it.
  if (inserted.length > 0 && signsFrom <= now)
    await edgeCache()
      .delete(`${issuerOf(deps.env)}${OIDC_PATHS.jwks}`)
      .catch(() => false);
  return inserted.length > 0;
}

function randomKid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** No key of `alg` that has not retired. */
function noLiveKey(alg: SigningAlg): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${oidcSigningKeys} WHERE ${oidcSigningKeys.alg} = ${alg} AND ${oidcSigningKeys.retiredAt} IS NULL)`;
}

/** No key of `alg` that has not retired and was made after `since` (the current key is not yet due, or a next one exists). */
function noLiveKeySince(alg: SigningAlg, since: Date): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${oidcSigningKeys} WHERE ${oidcSigningKeys.alg} = ${alg} AND ${oidcSigningKeys.retiredAt} IS NULL AND ${oidcSigningKeys.createdAt} > ${since.getTime()})`;
}

async function importPrivateKey(deps: Pick<Deps, "env">, row: KeyRow): Promise<CryptoKey> {
  let key = privateKeys.get(row.kid);
  if (!key) {
    key = (async () => {
      const pkcs8 = await openSecret(
        deps.env.OIDC_KEY_SECRET,
        new Uint8Array(row.sealedPrivateKey),
        sealingContext(row.kid),
      );
      return importPKCS8(new TextDecoder().decode(pkcs8), row.alg);
    })();
    privateKeys.set(row.kid, key);
    key.catch(() => privateKeys.delete(row.kid));
  }
  return key;
}

/**
 * Signs `claims` with the current key for `alg` (ES256 unless asked), header
 * kid, alg and typ. Makes the first key if there is none (a new deployment before
 * its first cron run): that key signs at once.
 */
export async function signJwt(
  deps: KeyDeps,
  input: { alg?: SigningAlg; typ?: string; claims: JWTPayload },
): Promise<string> {
  const alg = input.alg ?? "ES256";
  const now = deps.now();
  let key = currentKey(await keyRows(deps), alg, now);
  if (!key) {
    forgetRows();
    key = currentKey(await keyRows(deps), alg, now);
  }
  if (!key) {
    await createKey(deps, alg, now, noLiveKey(alg));
    key = currentKey(await keyRows(deps), alg, now);
  }
  if (!key) throw new Error(`No ${alg} signing key`);
  const header = { alg, kid: key.kid, ...(input.typ ? { typ: input.typ } : {}) };
  return new SignJWT(input.claims).setProtectedHeader(header).sign(await importPrivateKey(deps, key));
}

/** The published keys: the current ones, the next (published a day before they sign), and retired ones still kept. */
export async function publicJwks(deps: Pick<Deps, "db" | "now">): Promise<{ keys: JWK[] }> {
  const now = deps.now();
  const rows = (await keyRows(deps)).filter((row) => published(row, now));
  rows.sort((a, b) => a.alg.localeCompare(b.alg) || b.signsFrom.getTime() - a.signsFrom.getTime());
  return { keys: rows.map((row) => JSON.parse(row.publicJwk) as JWK) };
}

/**
 * A JWT this portal signed (an `id_token_hint`): our signature by a published
 * key, our issuer, and, if given, the audience. With `allowExpired`, an expired
 * token is accepted (OIDC RP-Initiated Logout allows an expired hint). Null when
 * anything does not hold.
 */
export async function verifyOwnJwt(
  deps: Pick<Deps, "db" | "env" | "now">,
  token: string,
  options: { audience?: string; allowExpired?: boolean } = {},
): Promise<JWTPayload | null> {
  const jwks = createLocalJWKSet(await publicJwks(deps));
  const issuer = issuerOf(deps.env);
  try {
    if (!options.allowExpired) {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: options.audience,
        algorithms: [...SIGNING_ALGS],
        currentDate: deps.now(),
        clockTolerance: 5,
      });
      return payload;
    }
    const { payload: bytes } = await compactVerify(token, jwks, { algorithms: [...SIGNING_ALGS] });
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as JWTPayload;
    if (typeof payload !== "object" || payload === null || payload.iss !== issuer) return null;
    if (options.audience !== undefined) {
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.includes(options.audience)) return null;
    }
    return payload;
  } catch {
    return null;
  }
}

/**
 * The cron's rotation, for each algorithm, every step one conditional statement
 * (so overlapping runs change nothing more):
 * 1. no key: make one that signs at once;
 * 2. the current key is due (older than the rotation period less the publish
 *    lead) and no next key exists: make the next, signing after the lead;
 * 3. a next key has started signing: retire the keys before it (they stay
 *    published for KEY_RETENTION_AFTER_RETIRED_MS);
 * 4. delete keys past their `removeAfter`.
 */
export async function rotateSigningKeys(deps: KeyDeps): Promise<void> {
  const now = deps.now();
  forgetRows();
  for (const alg of SIGNING_ALGS) {
    const rows = (await signingKeysStatement(deps)).filter((row) => row.alg === alg && !row.retiredAt);
    if (rows.length === 0) {
      await createKey(deps, alg, now, noLiveKey(alg));
      continue;
    }
    const dueBefore = new Date(now.getTime() - (LIFETIMES.keyRotationMs - LIFETIMES.keyPublishLeadMs));
    if (rows.every((row) => row.createdAt <= dueBefore))
      await createKey(deps, alg, new Date(now.getTime() + LIFETIMES.keyPublishLeadMs), noLiveKeySince(alg, dueBefore));
  }
  // Retire every key with a successor (of its algorithm) that has started signing.
  await deps.db
    .update(oidcSigningKeys)
    .set({ retiredAt: now, removeAfter: new Date(now.getTime() + KEY_RETENTION_AFTER_RETIRED_MS) })
    .where(
      and(
        isNull(oidcSigningKeys.retiredAt),
        // The outer row is named by table: inside the subquery a bare column would mean the successor's.
        sql`EXISTS (SELECT 1 FROM ${oidcSigningKeys} AS successor WHERE successor.alg = "oidc_signing_keys"."alg" AND successor.retired_at IS NULL AND successor.signs_from > "oidc_signing_keys"."signs_from" AND successor.signs_from <= ${now.getTime()})`,
      ),
    );
  await deps.db.delete(oidcSigningKeys).where(lte(oidcSigningKeys.removeAfter, now));
  forgetRows();
}
