import { readCookie, serializeCookie } from "../app/.server/cookies";

/**
 * Where a request's D1 reads may go (D1's Sessions API; read replicas near the
 * user). See docs/decisions/2026-11-23-round-trips-and-replicas.md.
 *
 * - A form post (an action: it decides and writes) reads from the primary
 *   ("first-primary"): a sign-in, a decision or a revocation never acts on a
 *   replica's older copy.
 * - A page that shows other people's data (Pending Requests, a request's page,
 *   Users at My Organizations, the Audit Log and its CSV, Administration, the
 *   help desk's proofing queue) reads from the primary too, with or without a
 *   bookmark: the session and its roles are read there, so a session ended or
 *   a role revoked a moment ago cannot read a roster through a lagging replica
 *   (dropping the bookmark cookie must not help). Their `.data` requests too.
 * - A page read by a browser that wrote recently carries that write's
 *   bookmark (this cookie): D1 answers from a replica at least that new, so
 *   everyone sees their own changes.
 * - Any other read may go to the nearest replica ("first-unconstrained").
 */
export const BOOKMARK_COOKIE = "__Host-d1-bookmark";
/** D1 bookmarks are hexadecimal groups joined by dashes. */
const BOOKMARK = /^[0-9a-f][0-9a-f-]{6,126}[0-9a-f]$/;
/** Longer than any replica lags behind; then reads are free to go anywhere again. */
const BOOKMARK_MAX_AGE_S = 300;

const isRead = (request: Request) => request.method === "GET" || request.method === "HEAD";

/** The screens that show other people's data, their child routes and their `.data` requests. */
const OTHER_PEOPLES_DATA = /^\/(?:role-requests|audit-log|admin|help-desk)(?:[/.]|$)/i;

/** The path as the router matches it: decoded (`/%61dmin` is `/admin`), repeated slashes as one. */
function routedPath(url: string): string {
  const { pathname } = new URL(url);
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // A malformed escape: matched as sent.
  }
  return decoded.replace(/\/{2,}/g, "/");
}

export function readFromFor(request: Request): string {
  if (!isRead(request)) return "first-primary";
  if (OTHER_PEOPLES_DATA.test(routedPath(request.url))) return "first-primary";
  return readCookie(request.headers.get("Cookie"), BOOKMARK_COOKIE, BOOKMARK) ?? "first-unconstrained";
}

/** The cookie that carries a post's bookmark to the browser's next pages, or null. */
export function bookmarkCookieFor(request: Request, bookmark: string | null): string | null {
  if (isRead(request) || !bookmark || !BOOKMARK.test(bookmark)) return null;
  return serializeCookie(BOOKMARK_COOKIE, bookmark, { maxAge: BOOKMARK_MAX_AGE_S });
}
