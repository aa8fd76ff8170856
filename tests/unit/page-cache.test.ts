import { beforeEach, describe, expect, it } from "vitest";
import { clearPageCache, TTL_MS, withPageCache } from "../../worker/page-cache";

const CSP = "default-src 'self'; script-src 'self' 'nonce-abc123'; frame-ancestors 'none'";

function page(body: string, headers: Record<string, string> = {}, status = 200) {
  let calls = 0;
  const handle = async () => {
    calls++;
    return new Response(body, {
      status,
      headers: {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CSP,
        "X-Trace-Id": "11111111-1111-1111-1111-111111111111",
        "X-D1-Round-Trips": "1",
        "X-Frame-Options": "DENY",
        ...headers,
      },
    });
  };
  return { handle, calls: () => calls };
}

const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost:8787${path}`, { headers });

describe("public pages from memory", () => {
  beforeEach(() => clearPageCache());

  it("answers a kept page without the app, with its own trace id and a policy without the unused nonce", async () => {
    const p = page("<!doctype html><p>Home</p>");
    const first = await withPageCache(get("/"), p.handle, { now: 1_000 });
    const again = await withPageCache(get("/"), p.handle, { now: 2_000 });
    expect(p.calls()).toBe(1);
    expect(first.headers.get("X-Page-Cache")).toBe("miss");
    expect(again.headers.get("X-Page-Cache")).toBe("hit");
    expect(await again.text()).toBe("<!doctype html><p>Home</p>");
    expect(again.headers.get("Content-Security-Policy")).toBe(
      "default-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
    expect(again.headers.get("X-Frame-Options")).toBe("DENY");
    expect(again.headers.get("X-D1-Round-Trips")).toBeNull();
    expect(again.headers.get("Date")).toBeNull();
    // The miss carries its render's trace id (the one in its log lines); a hit gets its own.
    expect(first.headers.get("X-Trace-Id")).toBe("11111111-1111-1111-1111-111111111111");
    expect(again.headers.get("X-Trace-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers.get("X-Trace-Id")).not.toBe(first.headers.get("X-Trace-Id"));
    // Stale after the time to live.
    await withPageCache(get("/"), p.handle, { now: 1_000 + TTL_MS + 1 });
    expect(p.calls()).toBe(2);
  });

  it("never keeps a page that uses its nonce, sets a cookie, or is not a 200 page", async () => {
    const cases = [
      page(`<script nonce="abc123">1</script>`),
      page("<p>x</p>", { "Set-Cookie": "a=1" }),
      page("<p>x</p>", { "Content-Type": "application/json" }),
      page("<p>x</p>", { Date: "x" }, 404),
      page("<p>x</p>", {}, 500),
    ];
    for (const p of cases) {
      clearPageCache();
      const first = await withPageCache(get("/destination"), p.handle);
      await withPageCache(get("/destination"), p.handle);
      expect(p.calls()).toBe(2);
      expect(first.headers.get("X-Page-Cache")).toBeNull();
      // The answer itself is the app's, untouched.
      expect(first.headers.get("Content-Security-Policy")).toBe(CSP);
    }
  });

  it("never answers from memory a request with a cookie or credentials, a POST, or another path", async () => {
    const p = page("<p>x</p>");
    await withPageCache(get("/terms"), p.handle);
    const others = [
      get("/terms", { Cookie: "__Host-session=x" }),
      get("/terms", { Authorization: "Bearer x" }),
      new Request("http://localhost:8787/terms", { method: "POST" }),
      new Request("http://localhost:8787/terms", { method: "HEAD" }),
      get("/login"),
    ];
    for (const request of others) await withPageCache(request, p.handle);
    expect(p.calls()).toBe(1 + others.length);
  });

  it("keeps a page only for the query parameters it reads, each once, and apart per host and query", async () => {
    const p = page("<p>x</p>");
    const twice = async (path: string, host = "localhost:8787") => {
      for (let i = 0; i < 2; i++) await withPageCache(new Request(`http://${host}${path}`), p.handle);
    };
    await twice("/terms?program=IQR&redirectTo=%2Fwelcome");
    await twice("/?declined=1");
    expect(p.calls()).toBe(2);
    await twice("/terms?program=OQR");
    await twice("/terms?program=IQR&redirectTo=%2Fwelcome", "portal.example.gov");
    expect(p.calls()).toBe(4);
    // Made-up, repeated or oversized queries are answered every time and never kept.
    for (const path of [
      "/destination?x=1",
      "/terms?program=IQR&program=OQR",
      "/?declined=1&utm_source=mail",
      `/terms?program=${"A".repeat(300)}`,
    ]) {
      const before = p.calls();
      await twice(path);
      expect(p.calls(), path).toBe(before + 2);
    }
  });

  it("says hit or miss only where asked (development), and answers a failed read with a plain 500", async () => {
    const p = page("<p>x</p>");
    const quiet = await withPageCache(get("/"), p.handle, { tell: false });
    expect(quiet.headers.get("X-Page-Cache")).toBeNull();
    expect((await withPageCache(get("/"), p.handle, { tell: false })).headers.get("X-Page-Cache")).toBeNull();

    clearPageCache();
    const broken = new ReadableStream({
      pull(controller) {
        controller.error(new Error("render failed"));
      },
    });
    const failed = await withPageCache(
      get("/"),
      async () => new Response(broken, { headers: { "Content-Type": "text/html" } }),
    );
    expect(failed.status).toBe(500);
    expect(failed.headers.get("Cache-Control")).toBe("no-store");
  });
});
