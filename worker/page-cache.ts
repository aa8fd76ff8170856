/**
 * Pages that are the same for every anonymous visitor (Home, "Choose Your
 * QualityNet Destination", Terms and Conditions) are rendered once per isolate
 * and served from memory for {@link TTL_MS}, so the program list and the Terms
 * they read from D1 are at most that old. Only a GET without any cookie or
 * credentials is served or stored (a signed-in page is never cached, nor one
 * that a cookie could change), and only a 200 without Set-Cookie is stored.
 * The cache wraps the whole Worker (worker/index.ts), so a kept page is
 * answered before any middleware runs, with the headers the middleware gave it
 * when it was rendered, except two: each answer gets its own trace id, and the
 * Content-Security-Policy names no nonce. These pages ship no script
 * (`handle.scripts` in root.tsx), so nothing on them needs one, and a page that
 * carries a nonce is never kept. See docs/decisions/2026-11-23-public-pages-from-memory.md.
 */
const CACHEABLE = new Set(["/", "/destination", "/terms"]);
export const TTL_MS = 60_000;
/** Query strings vary (program, redirectTo): a bounded number of variants, the oldest dropped first. */
const MAX_ENTRIES = 200;
const MAX_QUERY = 256;

interface Entry {
  body: ArrayBuffer;
  status: number;
  headers: [string, string][];
  expires: number;
}

const entries = new Map<string, Entry>();

/** The cache key of a request that may be served from memory, or null. */
export function pageCacheKey(request: Request): string | null {
  if (request.method !== "GET") return null;
  if (request.headers.has("Cookie") || request.headers.has("Authorization")) return null;
  const url = new URL(request.url);
  if (!CACHEABLE.has(url.pathname) || url.search.length > MAX_QUERY) return null;
  return `${url.host}${url.pathname}${url.search}`;
}

function respond(entry: Entry, state: "hit" | "miss"): Response {
  const headers = new Headers(entry.headers);
  headers.set("X-Trace-Id", crypto.randomUUID());
  headers.set("X-Page-Cache", state);
  return new Response(entry.body, { status: entry.status, headers });
}

/** Headers that belong to one answer, not to the page. */
const PER_ANSWER = new Set(["x-trace-id", "x-d1-round-trips", "date"]);

/** The page's headers to keep: no per-answer header, and a policy without the unused nonce. */
function keptHeaders(headers: Headers): [string, string][] {
  const kept: [string, string][] = [];
  for (const [name, value] of headers) {
    if (PER_ANSWER.has(name)) continue;
    kept.push([name, name === "content-security-policy" ? value.replace(/\s*'nonce-[^']*'/g, "") : value]);
  }
  return kept;
}

/**
 * Answers `request` from memory when it is an anonymous GET of a kept page, or
 * lets `handle` (the whole Worker) answer it and keeps the page when it may be
 * kept: a 200 HTML page without Set-Cookie and without a nonce in it.
 */
export async function withPageCache(
  request: Request,
  handle: () => Promise<Response>,
  now = Date.now(),
): Promise<Response> {
  const key = pageCacheKey(request);
  if (!key) return handle();
  const cached = entries.get(key);
  if (cached && cached.expires > now) return respond(cached, "hit");
  if (cached) entries.delete(key);
  const response = await handle();
  const type = response.headers.get("Content-Type") ?? "";
  if (response.status !== 200 || response.headers.has("Set-Cookie") || !type.startsWith("text/html")) return response;
  const body = await response.arrayBuffer();
  // A page that uses its nonce needs a fresh one per answer: such a page is answered, never kept.
  if (new TextDecoder().decode(body).includes("nonce=")) return new Response(body, response);
  const entry: Entry = { body, status: response.status, headers: keptHeaders(response.headers), expires: now + TTL_MS };
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(key, entry);
  return respond(entry, "miss");
}

/** For tests: forget every page. */
export function clearPageCache() {
  entries.clear();
}
