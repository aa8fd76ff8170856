import { createCookie, redirect } from "@remix-run/cloudflare";
import { and, desc, eq, ne } from "drizzle-orm";
import type { Deps } from "../deps";
import { challengeAnswers, passwordCredentials, sessions, users } from "../db/schema";
import { hashToken, randomToken } from "./tokens";

/** SPEC 2.2 / ASVS V3: 30 minutes idle, 12 hours absolute. */
export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** Activity is written at most once a minute, to spare D1 a write per page. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export const sessionCookie = createCookie("__Host-sp-session", {
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  path: "/",
  // No maxAge: a browser session cookie; the server enforces both limits.
});

export type SessionUser = typeof users.$inferSelect;

export interface CurrentSession {
  idHash: string;
  user: SessionUser;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** When the idle limit ends this session unless the user does something. */
  idleExpiresAt: Date;
}

/** Starts a new session (a new id every time: sign-in and privilege changes rotate). */
export async function createSession(
  deps: Pick<Deps, "db" | "now">,
  input: { userId: string; ip: string | null; userAgent: string | null; location?: string | null },
): Promise<{ token: string; setCookie: string }> {
  const token = randomToken();
  const now = deps.now();
  await deps.db.insert(sessions).values({
    idHash: hashToken(token),
    userId: input.userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + ABSOLUTE_TIMEOUT_MS),
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 256) ?? null,
    location: input.location ?? null,
  });
  return { token, setCookie: await sessionCookie.serialize(token) };
}

export async function clearSessionCookie(): Promise<string> {
  return sessionCookie.serialize("", { maxAge: 0 });
}

async function tokenFrom(request: Request): Promise<string | null> {
  const value = await sessionCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && /^[a-z2-7]{32}$/.test(value) ? value : null;
}

/** The root loader and the route loader look up the same session once per request. */
const perRequest = new WeakMap<Request, Promise<CurrentSession | null>>();

/** The signed-in session, or null; expired sessions are deleted on sight. */
export function getSession(deps: Pick<Deps, "db" | "now">, request: Request): Promise<CurrentSession | null> {
  let pending = perRequest.get(request);
  if (!pending) {
    pending = lookUpSession(deps, request);
    perRequest.set(request, pending);
  }
  return pending;
}

async function lookUpSession(deps: Pick<Deps, "db" | "now">, request: Request): Promise<CurrentSession | null> {
  const token = await tokenFrom(request);
  if (!token) return null;
  const idHash = hashToken(token);
  const row = await deps.db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.idHash, idHash))
    .get();
  if (!row) return null;
  const now = deps.now().getTime();
  const idleEnd = row.session.lastSeenAt.getTime() + IDLE_TIMEOUT_MS;
  if (now >= idleEnd || now >= row.session.expiresAt.getTime() || row.user.status !== "active") {
    await deps.db.delete(sessions).where(eq(sessions.idHash, idHash));
    return null;
  }
  let lastSeenAt = row.session.lastSeenAt;
  if (now - lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    lastSeenAt = new Date(now);
    await deps.db.update(sessions).set({ lastSeenAt }).where(eq(sessions.idHash, idHash));
  }
  return {
    idHash,
    user: row.user,
    createdAt: row.session.createdAt,
    lastSeenAt,
    expiresAt: row.session.expiresAt,
    idleExpiresAt: new Date(Math.min(lastSeenAt.getTime() + IDLE_TIMEOUT_MS, row.session.expiresAt.getTime())),
  };
}

/** For screens that need a signed-in user: redirects to sign-in otherwise. */
export async function requireSession(
  deps: Pick<Deps, "db" | "now">,
  request: Request,
  options: { allowIncompleteSetup?: boolean } = {},
): Promise<CurrentSession> {
  const session = await getSession(deps, request);
  if (!session) {
    const url = new URL(request.url);
    const hadSession = (await tokenFrom(request)) !== null;
    throw redirect(`/login?${hadSession ? "expired=1&" : ""}redirectTo=${encodeURIComponent(url.pathname + url.search)}`, {
      headers: { "Set-Cookie": await clearSessionCookie() },
    });
  }
  if (!options.allowIncompleteSetup && (await needsFirstSignInSetup(deps, session.user.id))) throw redirect("/first-sign-in");
  return session;
}

/** What first sign-in still has to set (SPEC 2.3): a password to replace, questions to choose. */
export async function firstSignInNeeds(deps: Pick<Deps, "db">, userId: string): Promise<{ password: boolean; questions: boolean }> {
  const [credential, answers] = await deps.db.batch([
    deps.db.select({ isTemporary: passwordCredentials.isTemporary }).from(passwordCredentials).where(eq(passwordCredentials.userId, userId)),
    deps.db.select({ id: challengeAnswers.id }).from(challengeAnswers).where(eq(challengeAnswers.userId, userId)).limit(1),
  ]);
  return { password: Boolean(credential[0]?.isTemporary), questions: answers.length === 0 };
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

export async function destroySession(deps: Pick<Deps, "db">, idHash: string) {
  await deps.db.delete(sessions).where(eq(sessions.idHash, idHash));
}

export async function listSessions(deps: Pick<Deps, "db">, userId: string) {
  return deps.db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt));
}

export async function endOtherSessions(deps: Pick<Deps, "db">, userId: string, keepIdHash: string | null) {
  await deps.db
    .delete(sessions)
    .where(keepIdHash ? and(eq(sessions.userId, userId), ne(sessions.idHash, keepIdHash)) : eq(sessions.userId, userId));
}

export async function endSession(deps: Pick<Deps, "db">, userId: string, idHash: string) {
  await deps.db.delete(sessions).where(and(eq(sessions.userId, userId), eq(sessions.idHash, idHash)));
}
