import { and, count, desc, eq, getTableColumns, isNotNull, ne, type SQL, sql } from "drizzle-orm";
import { todayEastern } from "~/lib/format";
import { ACTOR_ROLE_COLUMNS, type Actor, type ActorRole, type Assurance, roleInForce } from "../access/authorize";
import { countPendingStatement } from "../access/decisions";
import { readCookie, serializeCookie } from "../cookies";
import { challengeAnswers, mfaDevices, passwordCredentials, roles, sessions, userRoles, users } from "../db/schema";
import type { Deps } from "../deps";
import { failedEmailCountStatement } from "../mail/failed-email";
import { drainLogoutsAfterResponse } from "../oidc/backchannel";
import { hashToken, randomToken } from "./tokens";

/** SPEC 2.2 / ASVS V3: 30 minutes idle, 12 hours absolute. */
export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** Activity is written at most once a minute, to spare D1 a write per page. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export const SESSION_COOKIE = "__Host-sp-session";
const TOKEN_PATTERN = /^[a-z2-7]{32}$/;

export type SessionUser = typeof users.$inferSelect;

export interface CurrentSession {
  idHash: string;
  user: SessionUser;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** When the idle limit ends this session unless the user does something. */
  idleExpiresAt: Date;
  assurance: Assurance;
  strongFactorAt: Date | null;
  /** The session's stable id (the `sid` of ID and logout tokens); the cookie's hash changes on rotation. */
  sid: string;
  /** How the session was authenticated (RFC 8176 values, see oidc/config.ts `amrOfFactor`). */
  amr: string[];
  /** Everything `can()` needs about the signed-in user. */
  actor: Actor;
  /** First sign-in is not finished: a temporary password to replace or challenge questions to choose. */
  setupNeeded: boolean;
  /** Access requests this user may decide (the top menu's "Role Requests"); 0 for everyone else. */
  pendingRequests: number;
  /** Failed email (the Administration menu's count) for a Help Desk Administrator; 0 for everyone else. */
  failedEmails: number;
}

/** The strength a sign-in factor gives a session (docs/decisions: assurance model). */
export function assuranceOf(factor: string): Assurance {
  return factor === "totp" || factor === "webauthn" || factor === "passkey" || factor === "recovery"
    ? "strong"
    : factor === "none"
      ? "password"
      : "weak";
}

export interface NewSession {
  userId: string;
  ip: string | null;
  userAgent: string | null;
  location?: string | null;
  assurance: Assurance;
  /** RFC 8176 values for how it was authenticated (oidc/config.ts `amrOfFactor`); ["pwd"] when not given. */
  amr?: string[];
}

/** Starts a new session (a new id every time: sign-in and privilege changes rotate). */
export async function createSession(
  deps: Pick<Deps, "db" | "now">,
  input: NewSession,
): Promise<{ token: string; setCookie: string }> {
  const token = randomToken();
  const now = deps.now();
  await deps.db.batch([
    deps.db.insert(sessions).values({
      idHash: hashToken(token),
      userId: input.userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + ABSOLUTE_TIMEOUT_MS),
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 256) ?? null,
      location: input.location ?? null,
      assurance: input.assurance,
      strongFactorAt: input.assurance === "strong" ? now : null,
      sid: randomToken(),
      amr: input.amr ?? ["pwd"],
    }),
    // A new session is a sign-in: approvers see it, and the inactivity job (60 days) counts from it.
    deps.db.update(users).set({ lastSignInAt: now }).where(eq(users.id, input.userId)),
  ]);
  return { token, setCookie: sessionSetCookie(token) };
}

/**
 * A new id for the same session (ASVS 3.2.1, 3.3.x): after identity is
 * verified, a device is added, enrollment completes, the challenge questions
 * change, and on step-up. The old id stops working at once. `strong` marks a
 * strong factor proven just now; `firstDeviceProof` what the session proved that
 * lets it bind a first device (identity proofing, the re-enrollment link);
 * `deviceBound`, a device bound in this session just now.
 */
export async function rotateSession(
  deps: Pick<Deps, "db" | "now">,
  session: Pick<CurrentSession, "idHash">,
  change: {
    strong?: boolean;
    firstDeviceProof?: "identity_proofing" | "reenrollment_link";
    deviceBound?: boolean;
    /** The session's `amr` after this change (a strong factor proven: oidc/config.ts `amrAfterStepUp`). */
    amr?: string[];
  } = {},
): Promise<{ setCookie: string } | null> {
  const token = randomToken();
  const now = deps.now();
  const [row] = await deps.db
    .update(sessions)
    .set({
      idHash: hashToken(token),
      lastSeenAt: now,
      ...(change.strong ? { assurance: "strong" as const, strongFactorAt: now } : {}),
      ...(change.firstDeviceProof ? { firstDeviceProof: change.firstDeviceProof } : {}),
      ...(change.deviceBound ? { deviceBoundAt: now } : {}),
      ...(change.amr ? { amr: change.amr } : {}),
    })
    .where(eq(sessions.idHash, session.idHash))
    .returning({ userId: sessions.userId });
  return row ? { setCookie: sessionSetCookie(token) } : null;
}

export function sessionSetCookie(token: string): string {
  // No Max-Age: a browser-session cookie; the server enforces both limits.
  return serializeCookie(SESSION_COOKIE, token);
}

export function clearSessionCookie(): string {
  return serializeCookie(SESSION_COOKIE, "", { maxAge: 0 });
}

/** Whether the request carries a well-formed session cookie (live or not). */
export function hasSessionCookie(request: Request): boolean {
  return readCookie(request.headers.get("Cookie"), SESSION_COOKIE, TOKEN_PATTERN) !== null;
}

/**
 * The root loader, layout loaders and the route loader look up the same session
 * once per request: React Router hands each loader its own Request object, but they
 * share the request's `deps` (the Worker's door builds one per request), so the
 * lookup is kept there, by session cookie. Only for reads: after a form post's
 * action (which may change the session, its roles or the pending count), the
 * loaders read it again.
 */
const perRequest = new WeakMap<object, Map<string, Promise<CurrentSession | null>>>();

/**
 * A batch's rows reach drizzle as objects keyed by column name, so the join of
 * sessions and users must not name a column twice: both have `created_at`
 * (unaliased, the user's value took the session's place, and the auth_time of
 * ID tokens with it).
 */
const { createdAt: _sessionCreatedAt, ...sessionColumns } = getTableColumns(sessions);
const sessionCreatedAt = sql<Date>`${sessions.createdAt}`.mapWith(sessions.createdAt).as("session_created_at");

/** The signed-in session, or null; expired sessions are deleted on sight. */
export function getSession(
  deps: Pick<Deps, "db" | "now" | "waitUntil">,
  request: Request,
): Promise<CurrentSession | null> {
  const token = readCookie(request.headers.get("Cookie"), SESSION_COOKIE, TOKEN_PATTERN);
  if (!token) return Promise.resolve(null);
  if (request.method !== "GET" && request.method !== "HEAD") return lookUpSession(deps, token);
  let lookups = perRequest.get(deps);
  if (!lookups) {
    lookups = new Map();
    perRequest.set(deps, lookups);
  }
  let pending = lookups.get(token);
  if (!pending) {
    pending = lookUpSession(deps, token);
    lookups.set(token, pending);
  }
  return pending;
}

async function lookUpSession(
  deps: Pick<Deps, "db" | "now" | "waitUntil">,
  token: string,
): Promise<CurrentSession | null> {
  const idHash = hashToken(token);
  const sessionUser = sql`(SELECT ${sessions.userId} FROM ${sessions} WHERE ${sessions.idHash} = ${idHash})`;
  // One round trip for everything every signed-in screen needs: the session with its user, the user's roles
  // and devices, whether first sign-in is finished, and the requests waiting for this user's decision.
  const administrator = sql`EXISTS (SELECT 1 FROM ${userRoles} INNER JOIN ${roles} ON ${roles.id} = ${userRoles.roleId} WHERE ${userRoles.userId} = ${sessionUser} AND ${roles.isAdmin} = 1 AND ${roleInForce(todayEastern(deps.now()))})`;
  const [rows, roleRows, deviceRows, passwordRows, answerRows, pendingRows, failedEmailRows] = await deps.db.batch([
    deps.db
      .select({ session: { ...sessionColumns, createdAt: sessionCreatedAt }, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.idHash, idHash)),
    deps.db
      .select(ACTOR_ROLE_COLUMNS)
      .from(sessions)
      .innerJoin(userRoles, eq(userRoles.userId, sessions.userId))
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .where(and(eq(sessions.idHash, idHash), roleInForce(todayEastern(deps.now())))),
    deps.db
      .select({ n: count() })
      .from(sessions)
      .innerJoin(mfaDevices, eq(mfaDevices.userId, sessions.userId))
      .where(and(eq(sessions.idHash, idHash), isNotNull(mfaDevices.confirmedAt))),
    ...firstSignInStatements(deps, sessionUser),
    countPendingStatement(deps, sessionUser, todayEastern(deps.now())),
    failedEmailCountStatement(deps, administrator),
  ]);
  const row = rows[0];
  if (!row) return null;
  const now = deps.now().getTime();
  const idleEnd = row.session.lastSeenAt.getTime() + IDLE_TIMEOUT_MS;
  if (now >= idleEnd || now >= row.session.expiresAt.getTime() || row.user.status !== "active" || row.user.heldAt) {
    await deps.db.delete(sessions).where(eq(sessions.idHash, idHash));
    return null;
  }
  let lastSeenAt = row.session.lastSeenAt;
  if (now - lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    // Activity is written at most once a minute, after the response when the Worker allows it.
    lastSeenAt = new Date(now);
    const touch = deps.db.update(sessions).set({ lastSeenAt }).where(eq(sessions.idHash, idHash));
    if (deps.waitUntil) deps.waitUntil(touch.then(() => undefined));
    else await touch;
  }
  const actor: Actor = {
    userId: row.user.id,
    enrollmentCompleted: row.user.enrollmentCompletedAt !== null,
    restrictedUntil: row.user.restrictedUntil,
    hasDevice: (deviceRows[0]?.n ?? 0) > 0,
    firstDeviceProof: row.session.firstDeviceProof !== null,
    assurance: row.session.assurance,
    strongFactorAt: row.session.strongFactorAt,
    deviceBoundAt: row.session.deviceBoundAt,
    roles: roleRows satisfies ActorRole[],
  };
  return {
    idHash,
    user: row.user,
    createdAt: row.session.createdAt,
    lastSeenAt,
    expiresAt: row.session.expiresAt,
    idleExpiresAt: new Date(Math.min(lastSeenAt.getTime() + IDLE_TIMEOUT_MS, row.session.expiresAt.getTime())),
    assurance: row.session.assurance,
    strongFactorAt: row.session.strongFactorAt,
    // Sessions from before migration 0017 have no sid: their cookie hash stands in (it changes on rotation).
    sid: row.session.sid ?? idHash,
    amr: row.session.amr ?? ["pwd"],
    actor,
    setupNeeded: setupNeededOf(passwordRows, answerRows).needed,
    pendingRequests: pendingRows[0]?.n ?? 0,
    failedEmails: failedEmailRows[0]?.n ?? 0,
  };
}

/** The two reads behind {@link firstSignInNeeds}, for a batch (the session's, or their own). */
function firstSignInStatements(deps: Pick<Deps, "db">, userId: string | SQL) {
  return [
    deps.db
      .select({ isTemporary: passwordCredentials.isTemporary })
      .from(passwordCredentials)
      .where(eq(passwordCredentials.userId, userId)),
    deps.db
      .select({ id: challengeAnswers.id })
      .from(challengeAnswers)
      .where(eq(challengeAnswers.userId, userId))
      .limit(1),
  ] as const;
}

function setupNeededOf(credential: { isTemporary: boolean }[], answers: unknown[]) {
  const password = Boolean(credential[0]?.isTemporary);
  const questions = answers.length === 0;
  return { password, questions, needed: password || questions };
}

/** What first sign-in still has to set (SPEC 2.3): a password to replace, questions to choose. */
export async function firstSignInNeeds(
  deps: Pick<Deps, "db">,
  userId: string,
): Promise<{ password: boolean; questions: boolean }> {
  const [credential, answers] = await deps.db.batch(firstSignInStatements(deps, userId));
  const { needed: _, ...needs } = setupNeededOf(credential, answers);
  return needs;
}

/** A temporary password or missing challenge questions must be dealt with first. */
export async function needsFirstSignInSetup(deps: Pick<Deps, "db">, userId: string): Promise<boolean> {
  const needs = await firstSignInNeeds(deps, userId);
  return needs.password || needs.questions;
}

/** "Stay signed in": counts as activity now, whatever the touch interval. */
export async function touchSession(deps: Pick<Deps, "db" | "now">, session: CurrentSession): Promise<number> {
  const now = deps.now();
  await deps.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, session.idHash));
  return Math.min(IDLE_TIMEOUT_MS, session.expiresAt.getTime() - now.getTime());
}

/**
 * What ending sessions needs: the delete fires the back-channel logout trigger
 * (migration 0017), and the deliveries it wrote are queued after the response.
 */
type EndingDeps = Pick<Deps, "db" | "now" | "enqueueLogout" | "traceId" | "waitUntil" | "afterResponse">;

export async function destroySession(deps: EndingDeps, idHash: string) {
  await deps.db.delete(sessions).where(eq(sessions.idHash, idHash));
  await drainLogoutsAfterResponse(deps);
}

/** The query (await it, or put it in a batch). */
export function listSessions(deps: Pick<Deps, "db">, userId: string) {
  return deps.db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt));
}

export async function endOtherSessions(deps: EndingDeps, userId: string, keepIdHash: string | null) {
  await deps.db
    .delete(sessions)
    .where(
      keepIdHash ? and(eq(sessions.userId, userId), ne(sessions.idHash, keepIdHash)) : eq(sessions.userId, userId),
    );
  await drainLogoutsAfterResponse(deps);
}

export async function endSession(deps: EndingDeps, userId: string, idHash: string) {
  await deps.db.delete(sessions).where(and(eq(sessions.userId, userId), eq(sessions.idHash, idHash)));
  await drainLogoutsAfterResponse(deps);
}
