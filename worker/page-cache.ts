/**
 * Pages that are the same for every anonymous visitor (Home, "Choose Your
 * QualityNet Destination", Terms and Conditions) are rendered once per isolate
 * and served from memory for {@link TTL_MS}, so the program list and the Terms
 * they read from D1 are at most that old. Only a GET without any cookie or
 * credentials is served or stored (a signed-in page is never cached, nor one
 * that a cookie could change), and only a 200 without Set-Cookie is stored.
 * These pages ship no script (`handle.scripts` in root.tsx), so their HTML
 * carries no CSP nonce: each response still gets its own headers, nonce and
 * trace id from the middleware. See docs/decisions/2026-11-23-public-pages-from-memory.md.
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
  headers.set("X-Page-Cache", state);
  return new Response(entry.body, { status: entry.status, headers });
}

/** The kept page for `key`, if it is still fresh. */
export function cachedPage(key: string, now = Date.now()): Response | null {
  const cached = entries.get(key);
  if (!cached) return null;
  if (cached.expires > now) return respond(cached, "hit");
  entries.delete(key);
  return null;
}

/** Serves `key` from memory, or renders it and keeps it when it may be kept. */
export async function fromPageCache(key: string, render: () => Promise<Response>, now = Date.now()): Promise<Response> {
  const cached = entries.get(key);
  if (cached && cached.expires > now) return respond(cached, "hit");
  if (cached) entries.delete(key);
  const response = await render();
  const type = response.headers.get("Content-Type") ?? "";
  if (response.status !== 200 || response.headers.has("Set-Cookie") || !type.startsWith("text/html")) return response;
  const entry: Entry = {
    body: await response.arrayBuffer(),
    status: response.status,
    headers: [...response.headers.entries()],
    expires: now + TTL_MS,
  };
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(key, entry);
  return respond(entry, "miss");
}

/** For tests: forget every page. */
export function clearPageCache() {
  entries.clear();
}
