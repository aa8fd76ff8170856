import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { get, HOST, ORIGIN } from "../factories/http";

const HOSTILE_RAY = `"><script>alert(document.domain)</script>-IAD`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A D1 binding that fails every call, so the request ends on the generic error page. */
const brokenDb = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error("D1 unavailable");
    },
  },
);

describe("ASVS 7.1 / 5.3.1 trace ids are generated, never taken from the client", () => {
  it("a hostile CF-Ray header is not echoed in X-Trace-Id or the body", async () => {
    const response = await get("/healthz", { "CF-Ray": HOSTILE_RAY });
    const traceId = response.headers.get("X-Trace-Id") ?? "";
    expect(traceId).toMatch(UUID);
    const body = await response.text();
    expect(body).not.toContain("script");
    expect(body).toContain(traceId);
  });

  it("two requests with the same CF-Ray get different ids", async () => {
    const a = (await get("/", { "CF-Ray": "8f0c1d2e3a4b5c6d-IAD" })).headers.get("X-Trace-Id");
    const b = (await get("/", { "CF-Ray": "8f0c1d2e3a4b5c6d-IAD" })).headers.get("X-Trace-Id");
    expect(a).toMatch(UUID);
    expect(a).not.toBe(b);
  });

  it("the error page quotes the generated reference and never the CF-Ray header", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${ORIGIN}/_dev/mailbox`, { headers: { Host: HOST, "CF-Ray": HOSTILE_RAY } }),
      { ...env, DB: brokenDb } as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    const traceId = response.headers.get("X-Trace-Id") ?? "";
    expect(traceId).toMatch(UUID);
    const body = await response.text();
    expect(body).toContain("Something went wrong");
    expect(body).toContain(`quote reference ${traceId}.`);
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("alert(");
  });
});
