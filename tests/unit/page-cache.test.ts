import { beforeEach, describe, expect, it } from "vitest";
import { clearPageCache, TTL_MS, withPageCache } from "../../worker/page-cache";

const CSP = "default-src 'self'; script-src 'self' 'nonce-abc123'; frame-ancestors 'none'";

function page(body: string, headers: Record<string, string> = {}) {
  let calls = 0;
  const handle = async () => {
    calls++;
    return new Response(body, {
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
    const first = await withPageCache(get("/"), p.handle, 1_000);
    const again = await withPageCache(get("/"), p.handle, 2_000);
    expect(p.calls()).toBe(1);
    expect(first.headers.get("X-Page-Cache")).toBe("miss");
    expect(again.headers.get("X-Page-Cache")).toBe("hit");
    expect(await again.text()).toBe("<!doctype html><p>Home</p>");
    expect(again.headers.get("Content-Security-Policy")).toBe(
      "default-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
    expect(again.headers.get("X-Frame-Options")).toBe("DENY");
    expect(again.headers.get("X-D1-Round-Trips")).toBeNull();
    expect(again.headers.get("X-Trace-Id")).not.toBe(first.headers.get("X-Trace-Id"));
    expect(again.headers.get("X-Trace-Id")).not.toBe("11111111-1111-1111-1111-111111111111");
    // Stale after the time to live.
    await withPageCache(get("/"), p.handle, 1_000 + TTL_MS + 1);
    expect(p.calls()).toBe(2);
  });

  it("never keeps a page that uses its nonce, sets a cookie, or is not a 200 page", async () => {
    const cases = [
      page(`<script nonce="abc123">1</script>`),
      page("<p>x</p>", { "Set-Cookie": "a=1" }),
      page("<p>x</p>", { "Content-Type": "application/json" }),
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
      get("/login"),
    ];
    for (const request of others) await withPageCache(request, p.handle);
    expect(p.calls()).toBe(1 + others.length);
  });
});
