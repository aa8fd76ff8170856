import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDeps } from "../../app/.server/deps";
import { issuerOf, OIDC_PATHS } from "../../app/.server/oidc/config";
import { applicationFormOrigin } from "../../app/.server/oidc/form-action";
import { fetchWorker } from "../factories/http";
import { createClient, type TestClient } from "../factories/oidc";
import { seedDatabase } from "../factories/seed";

/**
 * Without JavaScript, the last form of the sign-in round trip (Log In, "Confirm it
 * is you", consent, "Sign out of the portal?") is followed by a redirect to the
 * application. Browsers hold that redirect to the page's `form-action`, so the
 * page may post towards the application's registered origin, and to no other.
 */

const ISSUER = issuerOf(env);
let client: TestClient;

beforeAll(async () => {
  await seedDatabase(env.DB);
  client = await createClient({ host: "program-app.example.test" });
});

function authorizePath(redirectUri: string) {
  const params = new URLSearchParams({
    client_id: client.id,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: "openid",
    state: "s",
    nonce: "n",
    code_challenge: "x".repeat(43),
    code_challenge_method: "S256",
  });
  return `${OIDC_PATHS.authorization}?${params}`;
}

function formAction(response: Response): string {
  const policy = response.headers.get("Content-Security-Policy") ?? "";
  return (
    policy
      .split(";")
      .find((d) => d.trim().startsWith("form-action"))
      ?.trim() ?? ""
  );
}

describe("form-action on the pages of the sign-in round trip", () => {
  it("lets a page on its way to a registered application post towards that application only", async () => {
    const deps = createDeps(env);
    const at = (path: string) => applicationFormOrigin(deps, new URL(path, ISSUER));
    const to = (path: string) => encodeURIComponent(path);
    expect(await at(authorizePath(client.redirectUri))).toBe("https://program-app.example.test");
    expect(await at(`/login?redirectTo=${to(authorizePath(client.redirectUri))}`)).toBe(
      "https://program-app.example.test",
    );
    expect(await at(`/step-up?redirectTo=${to(authorizePath(client.redirectUri))}`)).toBe(
      "https://program-app.example.test",
    );
    expect(await at(`/login?redirectTo=${to(authorizePath("https://elsewhere.example.test/callback"))}`)).toBeNull();
    expect(await at(`/login?redirectTo=${to("https://elsewhere.example.test/oidc/authorize?x=1")}`)).toBeNull();
    expect(await at("/login")).toBeNull();
    // Only the pages of the round trip: a Profile page carrying the same request is not widened.
    expect(await at(`/profile?redirectTo=${to(authorizePath(client.redirectUri))}`)).toBeNull();
    const disabled = await createClient({ host: "disabled-app.example.test", status: "disabled" });
    const params = new URLSearchParams({ client_id: disabled.id, redirect_uri: disabled.redirectUri });
    expect(await at(`/step-up?redirectTo=${to(`${OIDC_PATHS.authorization}?${params}`)}`)).toBeNull();
    const logout = new URLSearchParams({
      client_id: client.id,
      post_logout_redirect_uri: "https://program-app.example.test/signed-out",
    });
    expect(await at(`${OIDC_PATHS.endSession}?${logout}`)).toBe("https://program-app.example.test");
    logout.set("post_logout_redirect_uri", "https://program-app.example.test/other");
    expect(await at(`${OIDC_PATHS.endSession}?${logout}`)).toBeNull();
  });

  it("is what the door sends with the page", async () => {
    const registered = await fetchWorker(
      `${ISSUER}/terms?redirectTo=${encodeURIComponent(authorizePath(client.redirectUri))}`,
    );
    expect(registered.status).toBe(200);
    expect(formAction(registered)).toBe("form-action 'self' https://program-app.example.test");
    const elsewhere = await fetchWorker(
      `${ISSUER}/terms?redirectTo=${encodeURIComponent(authorizePath("https://elsewhere.example.test/callback"))}`,
    );
    expect(formAction(elsewhere)).toBe("form-action 'self'");
  });
});
