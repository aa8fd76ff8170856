import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseSeedArgs, wranglerSeedArgs } from "../../scripts/seed";

describe("seed script arguments", () => {
  it("refuses --remote without --production: development accounts never reach a remote database", () => {
    const parsed = parseSeedArgs(["--remote"]);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain("--production --remote");
  });

  it("seeds the production reference data remotely, on the top-level (production) database", () => {
    const parsed = parseSeedArgs(["--production", "--remote"]);
    expect(parsed).toEqual({
      ok: true,
      value: { production: true, remote: true, persistTo: undefined, programAppOrigin: "http://localhost:8788" },
    });
    if (parsed.ok)
      expect(wranglerSeedArgs(parsed.value, "seed.sql")).toEqual([
        "d1",
        "execute",
        "DB",
        "--file",
        "seed.sql",
        "--remote",
      ]);
  });

  it("seeds the local development database that `wrangler dev --env dev` reads", () => {
    const parsed = parseSeedArgs(["--persist-to", "/tmp/state"]);
    expect(parsed).toEqual({
      ok: true,
      value: { production: false, remote: false, persistTo: "/tmp/state", programAppOrigin: "http://localhost:8788" },
    });
    if (parsed.ok) {
      expect(wranglerSeedArgs(parsed.value, "seed.sql")).toEqual([
        "d1",
        "execute",
        "DB",
        "--file",
        "seed.sql",
        "--local",
        "--env",
        "dev",
        "--persist-to",
        "/tmp/state",
      ]);
    }
  });

  it("refuses --persist-to without a directory, and with --remote", () => {
    expect(parseSeedArgs(["--persist-to"]).ok).toBe(false);
    expect(parseSeedArgs(["--persist-to", "--production"]).ok).toBe(false);
    expect(parseSeedArgs(["--production", "--remote", "--persist-to", "/tmp/x"]).ok).toBe(false);
  });

  it("registers the sample program application where it runs, in development only", () => {
    const parsed = parseSeedArgs(["--persist-to", "/tmp/state", "--program-app-origin", "http://localhost:41234"]);
    expect(parsed.ok && parsed.value.programAppOrigin).toBe("http://localhost:41234");
    expect(parseSeedArgs(["--program-app-origin"]).ok).toBe(false);
    expect(parseSeedArgs(["--program-app-origin", "https://evil.example"]).ok).toBe(false);
    expect(parseSeedArgs(["--production", "--program-app-origin", "http://localhost:41234"]).ok).toBe(false);
  });

  it("the script itself exits non-zero with the message, before touching any database", () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync("node", ["scripts/seed.ts", "--remote"], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    } catch (error) {
      const failure = error as { status: number; stderr: string };
      status = failure.status;
      stderr = failure.stderr;
    }
    expect(status).not.toBe(0);
    expect(stderr).toContain("Refusing to seed a remote database with development accounts");
  });
});
