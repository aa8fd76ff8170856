import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { safeRedirectPath } from "../../app/.server/safe-redirect";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser } from "../factories/users";

beforeAll(async () => {
  await seedDatabase(env.DB);
});

/** Values that browsers (or a proxy that decodes once more) send to another site. */
const HOSTILE = [
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "/%09/evil.example",
  "/%0a/evil.example",
  "/%250909/evil.example",
  "/\\evil.example",
  "/\\/evil.example",
  "/%5cevil.example",
  "/%5Cevil.example",
  "/%255cevil.example",
  "https:evil.example",
  "https://evil.example/welcome",
  "//evil.example",
  "///evil.example",
  "/%2F%2Fevil.example",
  "/%2f/evil.example",
  "/%252F%252Fevil.example",
  "javascript:alert(1)",
  "/\u0000/evil.example",
  "/\u007f/evil.example",
  "/%7f/evil.example",
  "/%252525252F%252525252Fevil.example",
  "evil.example",
  "",
];

describe("ASVS 5.1.5 open redirects: safeRedirectPath", () => {
  it.each(HOSTILE)("refuses %j", (value) => {
    expect(safeRedirectPath(value)).toBe("/welcome");
  });

  it("keeps local paths with their query string and fragment intact", () => {
    expect(safeRedirectPath("/welcome")).toBe("/welcome");
    expect(safeRedirectPath("/profile?tab=sessions&sort=desc")).toBe("/profile?tab=sessions&sort=desc");
    expect(safeRedirectPath("/requests?org=STATE%20OF%20OHIO&page=2#results")).toBe(
      "/requests?org=STATE%20OF%20OHIO&page=2#results",
    );
    expect(safeRedirectPath("/search?q=100%25")).toBe("/search?q=100%25");
    expect(safeRedirectPath("/search?next=%2Fprofile")).toBe("/search?next=%2Fprofile");
  });

  it("returns the fallback given for anything that is not a string", () => {
    expect(safeRedirectPath(null, "")).toBe("");
    expect(safeRedirectPath(undefined)).toBe("/welcome");
  });
});

describe("ASVS 5.1.5 open redirects: through the real sign-in", () => {
  let user: Awaited<ReturnType<typeof createUser>>;
  beforeAll(async () => {
    user = await createUser({ verified: true });
  });

  async function landingAfterSignIn(redirectTo: string) {
    const browser = new Browser();
    await browser.acceptTerms();
    await browser.post("/login", { intent: "next", userId: user.loginId });
    const response = await browser.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: user.password,
      deviceType: "",
      code: "",
      redirectTo,
    });
    expect(response.status, redirectTo).toBe(302);
    return response.headers.get("Location");
  }

  it.each([
    "/\t/evil.example",
    "/%09/evil.example",
    "/\\evil.example",
    "https:evil.example",
    "//evil.example",
    "/%2F%2Fevil.example",
    "javascript:alert(1)",
  ])("a redirectTo of %j lands on Welcome", async (redirectTo) => {
    expect(await landingAfterSignIn(redirectTo)).toBe("/welcome");
  });

  it("a local redirectTo with a query string is followed as given", async () => {
    expect(await landingAfterSignIn("/profile?tab=sessions&x=1")).toBe("/profile?tab=sessions&x=1");
  });

  it("the sign-in screen does not carry a hostile redirectTo into its fields or data", async () => {
    const browser = new Browser();
    await browser.acceptTerms();
    const page = await (await browser.get(`/login?redirectTo=${encodeURIComponent("/%2F%2Fevil.example")}`)).text();
    // (The form's action repeats the screen's own relative URL; that is not a redirect.)
    expect(page).not.toMatch(/value="[^"]*evil\.example/);
    expect(page).not.toMatch(/\\"[^"\\]*evil\.example/);
  });
});
