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
/**
 * The kept paths, each with the only query parameters its page reads: a URL
 * with any other parameter (or the same one twice) is answered but never kept,
 * so made-up queries cannot push the real pages out of the cache.
 */
const CACHEABLE = new Map<string, ReadonlySet<string>>([
  ["/", new Set(["declined"])],
  ["/destination", new Set()],
  ["/terms", new Set(["program", "redirectTo"])],
]);
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
const decoder = new TextDecoder();

/** The cache key of a request that may be served from memory, or null. */
export function pageCacheKey(request: Request): string | null {
  if (request.method !== "GET") return null;
  if (request.headers.has("Cookie") || request.headers.has("Authorization")) return null;
  const url = new URL(request.url);
  const allowed = CACHEABLE.get(url.pathname);
  if (!allowed || url.search.length > MAX_QUERY) return null;
  const names = [...url.searchParams.keys()];
  if (names.some((name) => !allowed.has(name)) || new Set(names).size !== names.length) return null;
  return `${url.host}${url.pathname}${url.search}`;
}

function respond(entry: Entry, state: "hit" | "miss", traceId: string | null, tell: boolean): Response {
  const headers = new Headers(entry.headers);
  headers.set("X-Trace-Id", traceId ?? crypto.randomUUID());
  // Whether a URL was just asked for by someone else is nobody's business in production.
  if (tell) headers.set("X-Page-Cache", state);
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
  options: { now?: number; tell?: boolean } = {},
): Promise<Response> {
  const { now = Date.now(), tell = true } = options;
  const key = pageCacheKey(request);
  if (!key) return handle();
  const cached = entries.get(key);
  if (cached && cached.expires > now) return respond(cached, "hit", null, tell);
  if (cached) entries.delete(key);
  const response = await handle();
  const type = response.headers.get("Content-Type") ?? "";
  if (response.status !== 200 || response.headers.has("Set-Cookie") || !type.startsWith("text/html")) return response;
  let body: ArrayBuffer;
  try {
    body = await response.arrayBuffer();
  } catch (error) {
    // The page failed while it was being read: answered as the app answers any failure.
    console.error(JSON.stringify({ level: "error", traceId: response.headers.get("X-Trace-Id"), msg: String(error) }));
    return new Response("Something went wrong. Please try again.", {
      status: 500,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  // A page that uses its nonce needs a fresh one per answer: such a page is answered, never kept.
  if (decoder.decode(body).includes("nonce=")) return new Response(body, response);
  const entry: Entry = { body, status: response.status, headers: keptHeaders(response.headers), expires: now + TTL_MS };
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(key, entry);
  // The render's own trace id, which its log lines carry.
  return respond(entry, "miss", response.headers.get("X-Trace-Id"), tell);
}

/** Forgets every page: for tests, and on every saved change in development (below). */
export function clearPageCache() {
  entries.clear();
}

// `npm run dev` (vite.dev.config.ts): a saved change reaches the running Worker as
// a hot update that keeps this module, so the pages the old code rendered go.
// `import.meta.hot` exists only there; the deployed Worker never has it.
import.meta.hot?.on("vite:beforeUpdate", clearPageCache);
