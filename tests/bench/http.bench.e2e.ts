import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { Pool } from "undici";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { buildSeedStatements, seedOrganizationsOfSize } from "../../app/.server/db/seed/build-seed";
import { localServerEnv } from "../../scripts/local.ts";
import { baseURL } from "../e2e/support/browser";
import { createSignedInUser } from "../e2e/support/signed-in-user";
import { freePort } from "../setup/free-port";

/**
 * `npm run bench` (HTTP): the production build on `wrangler dev` (workerd, local
 * D1 with 100,000 organizations and 10,000 users) under fixed concurrency, side
 * by side in one run with a bare Hono worker returning a static string and the
 * app's own 404 page. Prints a table, writes bench/results.json, and fails when
 * a budget of the performance issue is missed without a decision note.
 */
const CONNECTIONS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ORGANIZATIONS = 100_000;
const USERS = 10_000;

const BUDGET = {
  publicVsBare: 0.6,
  signedInVsBare: 0.1,
  signedInVs404: 0.6,
  roundTrips: 2,
  htmlGzip: 14 * 1024,
};
/**
 * Budgets this bench knows are missed on the shared development machine, each
 * with the decision that says why and what it would take (a miss not listed
 * here fails the bench).
 */
const DECISION = "docs/decisions/2026-11-23-throughput-budgets.md";
const KNOWN: Record<string, string> = {
  "public × bare": DECISION,
  "signed-in × bare": DECISION,
  "signed-in × 404": DECISION,
};

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

/** A POST's body and headers, made afresh for every request (a token request is single-use). */
type MakeRequest = () => Promise<{ body: string; headers: Record<string, string> }>;

async function load(
  url: string,
  headers: Record<string, string>,
  seconds = SECONDS,
  makePost?: MakeRequest,
): Promise<Load> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const post = makePost ? await makePost() : null;
        const t = performance.now();
        try {
          const { statusCode, body } = await pool.request({
            path: target.pathname + target.search,
            method: post ? "POST" : "GET",
            headers: post ? { ...headers, ...post.headers } : headers,
            body: post?.body,
          });
          await body.dump();
          // A token request that is refused is a failed one too (the bench's codes ran out, say).
          if (statusCode >= 500 || (post && statusCode !== 200)) errors++;
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), errors, requests: latencies.length };
}

async function probe(url: string, headers: Record<string, string>, makePost?: MakeRequest) {
  const post = makePost ? await makePost() : null;
  const response = await fetch(url, {
    headers: post ? { ...headers, ...post.headers } : headers,
    method: post ? "POST" : "GET",
    body: post?.body,
    redirect: "manual",
  });
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    roundTrips: Number(response.headers.get("X-D1-Round-Trips") ?? 0),
    htmlGzip: gzipSync(body, { level: 9 }).length,
    scripts: (body.toString("utf8").match(/<script/g) ?? []).length,
  };
}

let bare: ChildProcess | null = null;
let bareURL = "";

/**
 * An application registered for the OpenID rows, and authorization codes for it written as the
 * authorization screen writes them: one per token request (a code is single-use).
 */
const OIDC_CODES = 30_000;
const oidc = {
  clientId: "sp-bench-application",
  kid: "bench-key",
  privateKey: null as CryptoKey | null,
  verifier: `${randomToken()}${randomToken()}`,
  redirectUri: "https://bench-app.example.test/callback",
  codes: [] as string[],
  next: 0,
};

async function oidcRows(sqlite: DatabaseSync) {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  oidc.privateKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: oidc.kid, alg: "ES256", use: "sig" };
  const now = Date.now();
  const programId = (sqlite.prepare("SELECT id FROM programs ORDER BY id LIMIT 1").get() as { id: number }).id;
  sqlite
    .prepare(
      `INSERT OR REPLACE INTO oidc_clients (id, name, program_id, redirect_uris, post_logout_redirect_uris, jwks,
         required_assurance, id_token_signed_response_alg, status, created_at, updated_at)
       VALUES (?, 'Bench application', ?, ?, '[]', ?, 'aal2', 'ES256', 'active', ?, ?)`,
    )
    .run(oidc.clientId, programId, JSON.stringify([oidc.redirectUri]), JSON.stringify({ keys: [jwk] }), now, now);
  sqlite
    .prepare(
      "INSERT OR IGNORE INTO oidc_grants (id, user_id, client_id, scope, created_at, updated_at) VALUES ('bench-grant', 'bench-0', ?, 'openid email profile', ?, ?)",
    )
    .run(oidc.clientId, now, now);
  // The portal session the codes were issued in: a code outliving its session is refused.
  sqlite
    .prepare(
      `INSERT OR REPLACE INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at, sid, amr)
       VALUES ('bench-oidc-session', 'bench-0', ?, ?, ?, 'strong', ?, 'bench-sid', '["pwd","otp","mfa"]')`,
    )
    .run(now, now + 3 * 60 * 60 * 1000, now + 3 * 60 * 60 * 1000, now);
  const insertCode = sqlite.prepare(
    `INSERT INTO oidc_authorization_codes (code_hash, client_id, user_id, grant_id, sid, sub, redirect_uri, code_challenge,
       nonce, scope, auth_time, acr, amr, created_at, expires_at)
     VALUES (?, ?, 'bench-0', 'bench-grant', 'bench-sid', 'bench-sub', ?, ?, 'n', 'openid email profile', ?,
       'urn:secure-portal:aal:2', '["pwd","otp","mfa"]', ?, ?)`,
  );
  const challenge = Buffer.from(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(oidc.verifier)),
  ).toString("base64url");
  for (let i = 0; i < OIDC_CODES; i++) {
    const code = randomToken();
    oidc.codes.push(code);
    insertCode.run(hashToken(code), oidc.clientId, oidc.redirectUri, challenge, now, now, now + 3 * 60 * 60 * 1000);
  }
}

/** A token request with the next unused code and a fresh client assertion. */
async function tokenRequest(): Promise<{ body: string; headers: Record<string, string> }> {
  const code = oidc.codes[oidc.next++];
  if (!code) throw new Error("the bench ran out of authorization codes");
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ jti: randomToken() })
    .setProtectedHeader({ alg: "ES256", kid: oidc.kid })
    .setIssuer(oidc.clientId)
    .setSubject(oidc.clientId)
    .setAudience(`${baseURL()}/oidc/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(oidc.privateKey as CryptoKey);
  return {
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: oidc.redirectUri,
      code_verifier: oidc.verifier,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    }).toString(),
  };
}

beforeAll(async () => {
  // The directory and the accounts at the scale the issue names, straight into the local D1.
  const sqlite = new DatabaseSync(inject("localD1File"));
  sqlite.exec("PRAGMA busy_timeout = 10000");
  sqlite.exec("BEGIN IMMEDIATE");
  for (const statement of await buildSeedStatements({ organizations: seedOrganizationsOfSize(ORGANIZATIONS) }))
    sqlite.exec(statement);
  const insertUser = sqlite.prepare(
    "INSERT OR IGNORE INTO users (id, login_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const now = Date.now();
  for (let i = 0; i < USERS; i++)
    insertUser.run(
      `bench-${i}`,
      `BENCH${String(i).padStart(5, "0")}`,
      "Bench",
      `User${i}`,
      `bench${i}@example.test`,
      now,
      now,
    );
  await oidcRows(sqlite);
  sqlite.exec("COMMIT");
  sqlite.close();

  const port = await freePort();
  bareURL = `http://127.0.0.1:${port}`;
  bare = spawn(
    "wrangler",
    [
      "dev",
      "--config",
      "bench/bare-wrangler.toml",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(await freePort()),
      "--show-interactive-dev-session=false",
    ],
    { stdio: "ignore", env: { ...process.env, ...localServerEnv } },
  );
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(bareURL)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the bare worker did not start");
}, 10 * 60_000);

afterAll(() => {
  bare?.kill();
});

it("public and signed-in screens against the bare worker and the 404 page", async () => {
  const app = baseURL();
  const cookieOf = (u: { cookies: { name: string; value: string }[] }) =>
    u.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const user = await createSignedInUser();
  const approver = await createSignedInUser({ roles: [{ role: "HELP_DESK_APPROVER" }] });
  const admin = await createSignedInUser({ roles: [{ role: "HELP_DESK_ADMINISTRATOR" }] });
  const asUser = { Cookie: cookieOf(user) };

  // An access token for userinfo, from the token endpoint itself.
  const issued = await fetch(`${app}/oidc/token`, { method: "POST", ...(await tokenRequest()) });
  expect(issued.status).toBe(200);
  const { access_token: accessToken } = (await issued.json()) as { access_token: string };

  const screens: {
    name: string;
    kind: "public" | "signed-in" | "oidc";
    path: string;
    headers: Record<string, string>;
    makePost?: MakeRequest;
  }[] = [
    { name: "Home", kind: "public", path: "/", headers: {} },
    { name: "Choose Your QualityNet Destination", kind: "public", path: "/destination", headers: {} },
    { name: "Terms and Conditions", kind: "public", path: "/terms?program=IQR", headers: {} },
    { name: "Welcome", kind: "signed-in", path: "/welcome", headers: asUser },
    { name: "My Account (My Tasks)", kind: "signed-in", path: "/my-account", headers: asUser },
    {
      name: 'Organization search ("medical" in CA, 100,000 organizations)',
      kind: "signed-in",
      path: "/admin/organizations?name=medical&state=CA",
      headers: { Cookie: cookieOf(admin) },
    },
    {
      name: "Pending Requests (approver queue)",
      kind: "signed-in",
      path: "/role-requests",
      headers: { Cookie: cookieOf(approver) },
    },
    // The OpenID endpoints an application's server calls (worker/routes/oidc.ts).
    {
      name: "OpenID token endpoint (private_key_jwt, PKCE)",
      kind: "oidc",
      path: "/oidc/token",
      headers: {},
      makePost: tokenRequest,
    },
    {
      name: "OpenID userinfo (bearer token)",
      kind: "oidc",
      path: "/oidc/userinfo",
      headers: { Authorization: `Bearer ${accessToken}` },
    },
  ];

  // Warm every isolate and cache first.
  for (const s of [{ path: "/", headers: {}, makePost: undefined }, ...screens])
    await load(`${app}${s.path}`, s.headers, 1, s.makePost);
  await load(bareURL, {}, 1);

  const bareBefore = await load(bareURL, {});
  const notFoundBefore = await load(`${app}/no-such-page`, {});
  const results = [];
  for (const s of screens) {
    const measured = await load(`${app}${s.path}`, s.headers, SECONDS, s.makePost);
    const probed = await probe(`${app}${s.path}`, s.headers, s.makePost);
    results.push({ ...s, ...measured, ...probed });
  }
  const bareAfter = await load(bareURL, {});
  const notFoundAfter = await load(`${app}/no-such-page`, {});
  const bareRps = (bareBefore.rps + bareAfter.rps) / 2;
  const notFoundRps = (notFoundBefore.rps + notFoundAfter.rps) / 2;

  const misses: string[] = [];
  const known: string[] = [];
  const miss = (screen: string, what: string, budget?: string) => {
    const key = `${screen}: ${what}`;
    if (budget && KNOWN[budget]) known.push(`${key} (${KNOWN[budget]})`);
    else misses.push(key);
  };
  const rows = results.map((r) => {
    const vsBare = r.rps / bareRps;
    const vs404 = r.rps / notFoundRps;
    if (r.kind === "public" && vsBare < BUDGET.publicVsBare)
      miss(r.name, `${vsBare.toFixed(2)} of the bare worker`, "public × bare");
    if (r.kind === "signed-in") {
      if (vsBare < BUDGET.signedInVsBare) miss(r.name, `${vsBare.toFixed(2)} of the bare worker`, "signed-in × bare");
      if (vs404 < BUDGET.signedInVs404) miss(r.name, `${vs404.toFixed(2)} of the 404 page`, "signed-in × 404");
      if (r.roundTrips > BUDGET.roundTrips) miss(r.name, `${r.roundTrips} D1 round trips`);
    }
    // The budget for the token endpoint: at most two D1 round trips (userinfo makes one).
    if (r.kind === "oidc" && r.roundTrips > BUDGET.roundTrips) miss(r.name, `${r.roundTrips} D1 round trips`);
    if (r.htmlGzip > BUDGET.htmlGzip) miss(r.name, `HTML ${r.htmlGzip} bytes gzipped`);
    if (r.errors > 0) miss(r.name, `${r.errors} errors`);
    return {
      screen: r.name,
      kind: r.kind,
      status: r.status,
      requestsPerSecond: Math.round(r.rps),
      p50Ms: Number(r.p50.toFixed(1)),
      p99Ms: Number(r.p99.toFixed(1)),
      vsBare: Number(vsBare.toFixed(2)),
      vs404: Number(vs404.toFixed(2)),
      d1RoundTrips: r.roundTrips,
      htmlGzipBytes: r.htmlGzip,
      scripts: r.scripts,
      errors: r.errors,
    };
  });
  const table = [
    `| Screen | req/s | p50 | p99 | × bare | × 404 | D1 trips | HTML gzip | scripts |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    `| Bare Hono worker (static string) | ${Math.round(bareRps)} | ${bareBefore.p50.toFixed(1)} ms | ${bareBefore.p99.toFixed(1)} ms | 1.00 | | | | |`,
    `| The app's 404 page | ${Math.round(notFoundRps)} | ${notFoundBefore.p50.toFixed(1)} ms | ${notFoundBefore.p99.toFixed(1)} ms | ${(notFoundRps / bareRps).toFixed(2)} | 1.00 | | | |`,
    ...rows.map(
      (r) =>
        `| ${r.screen} | ${r.requestsPerSecond} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.vsBare.toFixed(2)} | ${r.vs404.toFixed(2)} | ${r.kind === "public" ? "" : r.d1RoundTrips} | ${(r.htmlGzipBytes / 1024).toFixed(1)} KB | ${r.scripts} |`,
    ),
  ].join("\n");
  console.log(
    `\n${CONNECTIONS} connections, ${SECONDS} s each, ${ORGANIZATIONS.toLocaleString("en-US")} organizations, ${USERS.toLocaleString("en-US")} users\n\n${table}\n`,
  );
  mkdirSync("bench", { recursive: true });
  writeFileSync(
    "bench/results.json",
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        connections: CONNECTIONS,
        secondsPerScreen: SECONDS,
        organizations: ORGANIZATIONS,
        users: USERS,
        bare: { requestsPerSecond: Math.round(bareRps) },
        notFound: { requestsPerSecond: Math.round(notFoundRps) },
        screens: rows,
        budgets: BUDGET,
        missed: misses,
        missedWithDecision: known,
      },
      null,
      2,
    )}\n`,
  );
  expect(misses, "budgets missed").toEqual([]);
});

/**
 * Lighthouse (npm `lighthouse`, its default mobile configuration: a Moto G
 * Power-sized screen, simulated slow 4G and a 4× slower CPU) in Debian's
 * Chromium, once per public screen. Lighthouse needs Node 22, which the
 * project brings (`node@22`) for wrangler.
 */
const LIGHTHOUSE_BUDGET = { performance: 95, accessibility: 100 };

async function lighthouse(url: string) {
  // Lighthouse sometimes loses its trace on a loaded machine (NO_NAVSTART):
  // that is the tool, not the page, so it is run again, up to three times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await lighthouseOnce(url);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function lighthouseOnce(url: string) {
  const dir = mkdtempSync(join(tmpdir(), "secure-portal-lighthouse-"));
  const report = join(dir, "report.json");
  try {
    await promisify(execFile)(
      join(process.cwd(), "node_modules/.bin/node"),
      [
        "node_modules/lighthouse/cli/index.js",
        url,
        "--quiet",
        "--output=json",
        `--output-path=${report}`,
        "--only-categories=performance,accessibility",
        `--chrome-path=${process.env.CHROME_PATH ?? "/usr/bin/chromium"}`,
        "--chrome-flags=--headless=new --no-sandbox",
      ],
      { timeout: 120_000 },
    );
    const result = JSON.parse(readFileSync(report, "utf8")) as {
      categories: Record<string, { score: number | null }>;
      audits: Record<string, { numericValue?: number }>;
      runWarnings: string[];
    };
    const score = (id: string) => Math.round((result.categories[id]?.score ?? 0) * 100);
    return {
      performance: score("performance"),
      accessibility: score("accessibility"),
      firstContentfulPaintMs: Math.round(result.audits["first-contentful-paint"]?.numericValue ?? 0),
      largestContentfulPaintMs: Math.round(result.audits["largest-contentful-paint"]?.numericValue ?? 0),
      totalBlockingTimeMs: Math.round(result.audits["total-blocking-time"]?.numericValue ?? 0),
      warnings: result.runWarnings,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it(
  "Lighthouse mobile performance and accessibility on every public screen",
  async () => {
    const app = baseURL();
    const publicScreens = [
      { screen: "Home", path: "/" },
      { screen: "Choose Your QualityNet Destination", path: "/destination" },
      { screen: "Terms and Conditions", path: "/terms?program=IQR" },
      { screen: "New User Registration", path: "/register" },
    ];
    const rows = [];
    const misses: string[] = [];
    for (const s of publicScreens) {
      const r = await lighthouse(`${app}${s.path}`);
      if (r.performance < LIGHTHOUSE_BUDGET.performance) misses.push(`${s.screen}: performance ${r.performance}`);
      if (r.accessibility < LIGHTHOUSE_BUDGET.accessibility)
        misses.push(`${s.screen}: accessibility ${r.accessibility}`);
      rows.push({ ...s, ...r });
    }
    console.log(
      [
        "\nLighthouse, mobile (simulated slow 4G, 4× CPU slowdown)\n",
        "| Screen | Performance | Accessibility | FCP | LCP | TBT |",
        "| --- | --- | --- | --- | --- | --- |",
        ...rows.map(
          (r) =>
            `| ${r.screen} | ${r.performance} | ${r.accessibility} | ${r.firstContentfulPaintMs} ms | ${r.largestContentfulPaintMs} ms | ${r.totalBlockingTimeMs} ms |`,
        ),
        "",
      ].join("\n"),
    );
    // Added to the throughput run's results.
    const file = "bench/results.json";
    const results = JSON.parse(readFileSync(file, "utf8"));
    results.lighthouse = { budgets: LIGHTHOUSE_BUDGET, screens: rows, missed: misses };
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    expect(misses, "Lighthouse budgets missed").toEqual([]);
  },
  10 * 60_000,
);
