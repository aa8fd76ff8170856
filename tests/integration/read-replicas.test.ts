import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { BOOKMARK_COOKIE, readFromFor } from "../../worker/read-replicas";
import { get } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { signedInWithTotp } from "../factories/users";

/**
 * Read replicas through D1's Sessions API (worker/read-replicas.ts): posts read
 * from the primary and hand the browser their bookmark; its next pages read at
 * least that new; other reads may go anywhere.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const request = (method: string, cookie?: string) =>
  new Request("http://localhost:8787/my-account", { method, headers: cookie ? { Cookie: cookie } : {} });

describe("where reads go", () => {
  it("posts from the primary, pages after a write from their bookmark, other pages from any replica", () => {
    expect(readFromFor(request("POST"))).toBe("first-primary");
    expect(readFromFor(request("POST", `${BOOKMARK_COOKIE}=0000000a-00000001-00004f9c-abc`))).toBe("first-primary");
    expect(readFromFor(request("GET"))).toBe("first-unconstrained");
    const bookmark = "0000000a-00000001-00004f9c-5f3c0e1a2b";
    expect(readFromFor(request("GET", `${BOOKMARK_COOKIE}=${bookmark}`))).toBe(bookmark);
    // Anything that is not a bookmark is ignored.
    for (const forged of ["first-primary", "<script>", "x".repeat(300), "'; DROP TABLE users"])
      expect(readFromFor(request("GET", `${BOOKMARK_COOKIE}=${encodeURIComponent(forged)}`)), forged).toBe(
        "first-unconstrained",
      );
  });

  it("a post hands the browser its bookmark, which its next page reads from; a page sets none", async () => {
    const { browser } = await signedInWithTotp("Replica");
    const page = await browser.get("/my-account");
    expect(page.status).toBe(200);
    expect(page.headers.getSetCookie().some((c) => c.startsWith(`${BOOKMARK_COOKIE}=`))).toBe(false);

    const post = await browser.post("/session/keepalive", {});
    const cookie = post.headers.getSetCookie().find((c) => c.startsWith(`${BOOKMARK_COOKIE}=`));
    expect(cookie, "bookmark cookie").toBeTruthy();
    expect(cookie).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax; Max-Age=300$/);
    expect(browser.cookies.get(BOOKMARK_COOKIE)).toMatch(/^[0-9a-f-]+$/);
    // The next page, read at the bookmark, sees the session the post kept alive.
    const after = await browser.get("/my-account");
    expect(after.status).toBe(200);
    expect(await after.text()).toContain("Replica");
  });

  it("a page with a forged bookmark cookie is served as any other", async () => {
    const response = await get("/destination", { Cookie: `${BOOKMARK_COOKIE}=ffffffff-ffffffff` });
    expect(response.status).toBe(200);
  });
});
