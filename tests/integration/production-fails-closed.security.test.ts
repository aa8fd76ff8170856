import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../../worker/index";
import { get, HOST, ORIGIN } from "../factories/http";

/** Runs the real Worker with the given variables over the test bindings. */
async function fetchWith(vars: Record<string, unknown>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${ORIGIN}${path}`, { redirect: "manual", ...init }),
    { ...env, ...vars } as never,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("ASVS 14.1 production fails closed: the deployed configuration", () => {
  // The top level of wrangler.toml names no identity-proofing vendor, so as it
  // stands the production Worker refuses to serve; these checks run it as a
  // staging deployment of the same configuration (the sandbox explicitly allowed).
  const deployed = inject("productionVars");
  const productionVars = { ...deployed, PROOFING_PROVIDER: "sandbox", ALLOW_SANDBOX_PROOFING: "staging" };

  it("refuses to serve at all in production until a proofing vendor is configured", async () => {
    const response = await fetchWith(deployed, "/", { headers: { Host: HOST } });
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("Something went wrong");
  });

  it("is production at the top level of wrangler.toml, where a plain `wrangler deploy` reads it", () => {
    expect(deployed.ENVIRONMENT).toBe("production");
    expect(deployed.PUBLIC_ORIGIN).toMatch(/^https:\/\//);
  });

  it("answers 404 at /_dev/mailbox, even from localhost", async () => {
    for (const path of ["/_dev/mailbox", "/_dev/mailbox/mailbox.css", "/_dev/mailbox/1/html"]) {
      const response = await fetchWith(productionVars, path, { headers: { Host: HOST } });
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain("Development mailbox");
    }
    const send = await fetchWith(productionVars, "/_dev/mailbox/test", {
      method: "POST",
      headers: {
        Host: HOST,
        Origin: ORIGIN,
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "to=someone%40example.test",
    });
    expect(send.status).toBe(404);
  });

  it("answers 404 at the component gallery /_dev/components", async () => {
    const response = await fetchWith(productionVars, "/_dev/components", { headers: { Host: HOST } });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("Design system components");
  });
});

describe("ASVS 14.1 anything but development or test is production", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const sandboxStaging = { PROOFING_PROVIDER: "sandbox", ALLOW_SANDBOX_PROOFING: "staging" };

  it("refuses an unknown ENVIRONMENT on every request, with the error page and one log line naming it", async () => {
    for (const value of ["prod", "", "Production", "dev", undefined]) {
      const logged = vi.spyOn(console, "error").mockImplementation(() => {});
      for (const path of ["/register", "/login", "/healthz", "/_dev/mailbox"]) {
        const response = await fetchWith({ ...sandboxStaging, ENVIRONMENT: value }, path, { headers: { Host: HOST } });
        expect(response.status, `${String(value)} ${path}`).toBe(500);
        expect(await response.text()).toContain("Something went wrong");
      }
      expect(logged, String(value)).toHaveBeenCalledTimes(4);
      const line = JSON.parse(String(logged.mock.calls[0][0])) as { level: string; msg: string };
      expect(line.level).toBe("error");
      expect(line.msg).toContain(`ENVIRONMENT ${JSON.stringify(value ?? null)} is not known`);
      expect(line.msg).toContain("development, test, staging, production");
      vi.restoreAllMocks();
    }
  });

  it("treats staging as production: HSTS, no dev mailbox, and the sandbox only with the staging opt-in", async () => {
    const refused = await fetchWith({ ENVIRONMENT: "staging", PROOFING_PROVIDER: "sandbox" }, "/", {
      headers: { Host: HOST },
    });
    expect(refused.status).toBe(500);
    const served = await fetchWith({ ENVIRONMENT: "staging", ...sandboxStaging }, "/register", {
      headers: { Host: HOST },
    });
    expect(served.status).toBe(200);
    expect(served.headers.get("Strict-Transport-Security")).toContain("max-age=");
    const mailbox = await fetchWith({ ENVIRONMENT: "staging", ...sandboxStaging }, "/_dev/mailbox", {
      headers: { Host: HOST },
    });
    expect(mailbox.status).toBe(404);
  });

  it("sends no HSTS in development or test, where the sandbox is the default", async () => {
    for (const value of ["development", "test"]) {
      const response = await fetchWith({ ENVIRONMENT: value, PROOFING_PROVIDER: undefined }, "/register", {
        headers: { Host: HOST },
      });
      expect(response.status, value).toBe(200);
      expect(response.headers.get("Strict-Transport-Security"), value).toBeNull();
    }
  });
});

describe("ASVS 14.1 the development mailbox answers only on this machine", () => {
  it("is served in development to localhost, 127.0.0.1 and [::1] on any port", async () => {
    for (const host of [
      "localhost",
      "localhost:8787",
      "127.0.0.1:8787",
      "127.0.0.1:43123",
      "[::1]:8787",
      "LOCALHOST:8787",
    ]) {
      const response = await fetchWith({ ENVIRONMENT: "development" }, "/_dev/mailbox", { headers: { Host: host } });
      expect(response.status, host).toBe(200);
    }
    expect((await get("/_dev/mailbox")).status).toBe(200);
  });

  it("is 404 in development for any other Host: a tunnel, a LAN address or a look-alike name", async () => {
    for (const host of [
      "portal.example.gov",
      "evil.example:8787",
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      "192.168.1.20:8787",
      "10.0.0.5",
      "[::2]:8787",
      "localhost:8787@evil.example",
    ]) {
      const response = await fetchWith({ ENVIRONMENT: "development" }, "/_dev/mailbox", { headers: { Host: host } });
      expect(response.status, host).toBe(404);
    }
  });

  it("is 404 when the URL names another host, whatever the Host header claims", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("https://dev-tunnel.example/_dev/mailbox", { headers: { Host: "localhost:8787" } }),
      env as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(404);
  });
});
