import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AUTHENTICATION_OPTIONS_PER_IP } from "../../worker/routes/webauthn";
import { fetchWorker, HOST, ORIGIN } from "../factories/http";

function requestOptions(ip: string) {
  return fetchWorker(`${ORIGIN}/webauthn/authentication/options`, {
    method: "POST",
    headers: { Host: HOST, "Content-Type": "application/json", "CF-Connecting-IP": ip },
    body: JSON.stringify({ loginId: null }),
  });
}

describe("ASVS 2.2.1 anti-automation: unauthenticated WebAuthn options are throttled per IP", () => {
  it("of 40 parallel requests from one address exactly the limit get options, the rest 429 JSON", async () => {
    const ip = "198.18.7.1";
    const before = await env.DB.prepare("SELECT count(*) AS n FROM webauthn_challenges").first<{ n: number }>();
    const responses = await Promise.all(Array.from({ length: 40 }, () => requestOptions(ip)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(AUTHENTICATION_OPTIONS_PER_IP.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - AUTHENTICATION_OPTIONS_PER_IP.limit);
    const refused = responses.find((r) => r.status === 429)!;
    expect(refused.headers.get("Content-Type")).toContain("application/json");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ error: expect.stringContaining("Try again in") });
    // A refused request writes no challenge.
    const after = await env.DB.prepare("SELECT count(*) AS n FROM webauthn_challenges").first<{ n: number }>();
    expect(after!.n - before!.n).toBe(AUTHENTICATION_OPTIONS_PER_IP.limit);
    await Promise.all(responses.filter((r) => !r.bodyUsed).map((r) => r.body?.cancel()));
  });

  it("another address is not affected", async () => {
    await Promise.all(
      Array.from({ length: AUTHENTICATION_OPTIONS_PER_IP.limit + 1 }, () => requestOptions("198.18.7.2")),
    );
    expect((await requestOptions("198.18.7.3")).status).toBe(200);
  });
});
