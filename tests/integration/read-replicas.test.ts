import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BOOKMARK_COOKIE, readFromFor } from "../../worker/read-replicas";
import { get } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { grantRole, signedInWithTotp } from "../factories/users";

/**
 * Read replicas through D1's Sessions API (worker/read-replicas.ts): posts read
 * from the primary and hand the browser their bookmark; its next pages read at
 * least that new; other reads may go anywhere.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const request = (method: string, cookie?: string, path = "/my-account") =>
  new Request(`http://localhost:8787${path}`, { method, headers: cookie ? { Cookie: cookie } : {} });

afterEach(() => {
  vi.restoreAllMocks();
});

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

describe("revocation is immediate on the screens that show other people's data", () => {
  const otherPeoples = [
    "/role-requests",
    "/role-requests.data",
    "/role-requests/0b5f4f2e-6a4e-4c1e-9d55-3f1c2f0e2a11",
    "/role-requests/users",
    "/role-requests/users.data",
    "/audit-log",
    "/audit-log.csv",
    "/audit-log.data",
    "/admin",
    "/admin.data",
    "/admin/users",
    "/admin/users/0b5f4f2e-6a4e-4c1e-9d55-3f1c2f0e2a11",
    "/admin/organizations/import",
    "/help-desk/proofing",
    // As the router matches them: any case, escaped letters, doubled slashes.
    "/ADMIN/users",
    "/%61dmin/users",
    "//audit-log",
  ];

  it("reads them from the primary, with or without a bookmark; the user's own screens may use a replica", () => {
    const bookmark = `${BOOKMARK_COOKIE}=0000000a-00000001-00004f9c-5f3c0e1a2b`;
    for (const path of otherPeoples) {
      expect(readFromFor(request("GET", undefined, path)), path).toBe("first-primary");
      expect(readFromFor(request("GET", bookmark, path)), path).toBe("first-primary");
    }
    for (const path of ["/my-account", "/my-account.data", "/profile", "/welcome", "/administration-help", "/admins"])
      expect(readFromFor(request("GET", undefined, path)), path).toBe("first-unconstrained");
  });

  it("a signed-in administrator's roster and audit export are read through a primary session, the bookmark cookie omitted", async () => {
    const admin = await signedInWithTotp("Primaryread");
    await grantRole(admin.user.id, "HELP_DESK_ADMINISTRATOR");
    admin.browser.cookies.delete(BOOKMARK_COOKIE);
    const opened = vi.spyOn(env.DB, "withSession");
    const readsFor = async (path: string) => {
      opened.mockClear();
      const response = await admin.browser.get(path);
      await response.arrayBuffer();
      expect(response.status, path).toBe(200);
      return opened.mock.calls.map((call) => call[0]);
    };
    for (const path of ["/admin/users", "/admin/users.data", "/audit-log", "/audit-log.csv", "/audit-log.data"])
      expect(await readsFor(path), path).toEqual(["first-primary"]);
    expect(await readsFor("/my-account")).toEqual(["first-unconstrained"]);
  });
});
