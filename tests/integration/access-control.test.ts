import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { type Action, type Actor, can } from "../../app/.server/access/authorize";
import { newRequestId } from "../../app/.server/access/request-id";
import { SESSION_COOKIE } from "../../app/.server/auth/session";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import * as build from "../../build/server";
import { app } from "../../worker/index";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { createClient } from "../factories/oidc";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, signedInWithTotp } from "../factories/users";

/**
 * The access-control sweep: every route of the built app (Remix's routes from
 * build/server and the Hono routes mounted in worker/index.ts) has a rule in
 * RULES below, and every rule is checked against the running Worker:
 * - signed out, a guarded screen sends the visitor to sign in (never a page, never a 5xx);
 * - a user without the capability gets a 404, whatever they ask (GET or POST);
 * - a weak session on a capability screen is sent to step up;
 * - a user who holds the capability gets the screen (so a 404 above is the rule, not a broken route);
 * - a form posted cross-site to any route with an action is refused (403) and changes nothing;
 * - another user's request, account or organization is a 404 to whoever may not see it.
 * A route without a rule, or a rule whose route is gone, fails the sweep by name.
 */

/** Who may reach a route: anyone, any session, or a `can()` action. */
type Rule = "public" | "signed-in" | { can: Action };

/** The ids the sweep's URLs point at (made in beforeAll). */
interface Fixture {
  /** An organization the approver serves, and one they do not. */
  orgA: number;
  orgB: number;
  /** The account that owns the requests below (someone else to everyone else). */
  ownerId: string;
  /** A pending request at orgA (the approver's organization) and one at orgB. */
  requestA: string;
  requestB: string;
  /** A registered application (Administration → Applications). */
  clientId: string;
}

interface Entry {
  rule: Rule;
  /** The route exports an action (or the Hono route answers a POST). */
  action: boolean;
  /** A URL of the route that whoever holds the rule may open (a route with params needs one). */
  url?: (f: Fixture) => string;
  /** For routes about one record: a record belonging to someone else (or an organization not served). */
  foreign?: (f: Fixture) => string;
  /**
   * Why a POST here needs no same-origin check: it is called by an application's server and
   * authenticated by what it carries (a client assertion, a bearer token), never by a cookie.
   */
  noCookie?: string;
}

const ADMIN_READ: Rule = { can: "admin.read" };

/** Every Remix route id in the build, with its rule (see each route module's "Rule:" comment). */
const RULES: Record<string, Entry> = {
  root: { rule: "public", action: false },
  "routes/_index": { rule: "public", action: false },
  "routes/$": { rule: "public", action: false, url: () => "/no-such-page" },
  // Development only (404 in production, see production-fails-closed.security.test.ts).
  "routes/[_dev].components": { rule: "public", action: false },
  "routes/destination": { rule: "public", action: false },
  "routes/terms": { rule: "public", action: true },
  "routes/login": { rule: "public", action: true },
  "routes/login_.recover": { rule: "public", action: true },
  "routes/logout": { rule: "public", action: true },
  // RP-initiated logout: ends only the caller's own session, and only with proof (app/routes/oidc.logout.tsx).
  "routes/oidc.logout": { rule: "public", action: true },
  "routes/register": { rule: "public", action: true },
  "routes/forgot-password": { rule: "public", action: true },
  "routes/forgot-user-id": { rule: "public", action: true },
  "routes/reset-password": { rule: "public", action: true },
  "routes/this-wasnt-me": { rule: "public", action: true },
  "routes/secure-file-transfer": { rule: "public", action: false },
  // A permanent redirect to /admin/proofing, whose own rule applies.
  "routes/help-desk.proofing": { rule: "public", action: false },
  // The OpenID authorization endpoint: a page for a bad client, else sign-in, consent and `can(…, "application.connect")`.
  "routes/oidc.authorize": { rule: "public", action: true },
  // Keeps the caller's own session alive, if any; nothing without one.
  "routes/session.keepalive": { rule: "public", action: true },

  "routes/welcome": { rule: "signed-in", action: false },
  "routes/account-restricted": { rule: "signed-in", action: false },
  "routes/first-sign-in": { rule: "signed-in", action: true },
  "routes/step-up": { rule: "signed-in", action: true },
  // Changing the password or the challenge questions asks `can()` in the action (password.change, challenge_questions.change).
  "routes/profile": { rule: "signed-in", action: true },
  // Renaming, removing and new recovery codes ask `can()` in the action (device.*, recovery_codes.issue).
  "routes/profile_.devices": { rule: "signed-in", action: true },
  // "Disconnect" asks `can()` in the service (application.disconnect).
  "routes/profile_.applications": { rule: "signed-in", action: true },
  // Cancelling and re-submitting ask `can()` in the action (request.cancel, request.create).
  "routes/my-account": { rule: "signed-in", action: true },
  // One's own request only: anyone else's is a 404.
  "routes/my-account_.requests.$requestId": {
    rule: "signed-in",
    action: false,
    url: (f) => `/my-account/requests/${f.requestA}`,
    foreign: (f) => `/my-account/requests/${f.requestB}`,
  },
  // New User Enrollment (requireEnrollee): screens adding a device ask `can(…, "device.add")`.
  "routes/enrollment._index": { rule: "signed-in", action: false },
  "routes/enrollment.step.$step": { rule: "signed-in", action: true, url: () => "/enrollment/step/consent" },
  "routes/enrollment.mfa": { rule: "signed-in", action: false },
  "routes/enrollment.totp": { rule: "signed-in", action: true },
  "routes/enrollment.email": { rule: "signed-in", action: true },
  "routes/enrollment.security-key": { rule: "signed-in", action: true },
  "routes/enrollment.finish": { rule: "signed-in", action: true },
  // The first device after Reset MFA: "Email me a new link", and the emailed link's confirmation.
  "routes/enrollment.link": { rule: "signed-in", action: true },
  "routes/enrollment.reenroll": { rule: "signed-in", action: true },

  "routes/my-account_.request-access": { rule: { can: "request.create" }, action: true },
  "routes/my-account_.request-access_.organizations": { rule: { can: "organization.search" }, action: true },
  "routes/role-requests._index": { rule: { can: "request.queue" }, action: false },
  "routes/role-requests.users": { rule: { can: "organization_roster.read" }, action: true },
  "routes/role-requests.$requestId": {
    rule: { can: "request.read" },
    action: true,
    url: (f) => `/role-requests/${f.requestA}`,
    foreign: (f) => `/role-requests/${f.requestB}`,
  },
  "routes/audit-log": { rule: { can: "audit.read" }, action: false },
  "routes/audit-log[.csv]": { rule: { can: "audit.read" }, action: false },

  "routes/admin": { rule: ADMIN_READ, action: false },
  "routes/admin._index": { rule: ADMIN_READ, action: false },
  "routes/admin.users._index": { rule: ADMIN_READ, action: false },
  "routes/admin.users.$userId": {
    rule: ADMIN_READ,
    action: true,
    url: (f) => `/admin/users/${f.ownerId}`,
    foreign: (f) => `/admin/users/${f.ownerId}`,
  },
  "routes/admin.organizations._index": { rule: ADMIN_READ, action: false },
  "routes/admin.organizations.$id": {
    rule: ADMIN_READ,
    action: true,
    url: (f) => `/admin/organizations/${f.orgB}`,
    foreign: (f) => `/admin/organizations/${f.orgB}`,
  },
  "routes/admin.organizations.new": { rule: ADMIN_READ, action: true },
  "routes/admin.organizations.import": { rule: ADMIN_READ, action: true },
  "routes/admin.organizations.template[.csv]": { rule: ADMIN_READ, action: false },
  "routes/admin.failed-email": { rule: ADMIN_READ, action: true },
  "routes/admin.programs": { rule: ADMIN_READ, action: true },
  "routes/admin.proofing": { rule: ADMIN_READ, action: true },
  "routes/admin.terms": { rule: ADMIN_READ, action: true },
  // The programs' applications: the pages are admin.read; every change is application.manage.
  "routes/admin.applications._index": { rule: ADMIN_READ, action: false },
  "routes/admin.applications.new": { rule: ADMIN_READ, action: true },
  "routes/admin.applications.$clientId": {
    rule: ADMIN_READ,
    action: true,
    url: (f) => `/admin/applications/${f.clientId}`,
  },
};

/** Every Hono route of worker/index.ts ("METHOD path"), with its rule. */
const HONO_RULES: Record<string, Entry> = {
  "GET /healthz": { rule: "public", action: false },
  // The development mailbox: 404 unless ENVIRONMENT is development and the request is local.
  "GET /_dev/mailbox": { rule: "public", action: false },
  "GET /_dev/mailbox/mailbox.css": { rule: "public", action: false },
  "GET /_dev/mailbox/:id{[0-9]+}/html": { rule: "public", action: false, url: () => "/_dev/mailbox/999999999/html" },
  "POST /_dev/mailbox/test": { rule: "public", action: true },
  "POST /webauthn/registration/options": { rule: { can: "device.add" }, action: true },
  "POST /webauthn/authentication/options": { rule: "public", action: true },
  // An application's authorization request by POST becomes the same GET; the consent form goes on to the CSRF check.
  "POST /oidc/authorize": { rule: "public", action: true },
  // The OpenID provider's machine endpoints (worker/routes/oidc.ts).
  "GET /.well-known/openid-configuration": { rule: "public", action: false },
  "GET /oidc/jwks": { rule: "public", action: false },
  "POST /oidc/token": { rule: "public", action: true, noCookie: "the client's private_key_jwt assertion" },
  "GET /oidc/userinfo": { rule: "public", action: false },
  "POST /oidc/userinfo": { rule: "public", action: true, noCookie: "a bearer access token" },
};

interface Found {
  key: string;
  /** The URL pattern, e.g. /admin/users/:userId. */
  pattern: string;
  hasLoader: boolean;
  hasAction: boolean;
  /** A screen (a default export): its loader can also be asked alone, by a client-side navigation. */
  isPage: boolean;
  hono: boolean;
}

type BuiltRoute = {
  id: string;
  path?: string;
  parentId?: string;
  module: { loader?: unknown; action?: unknown; default?: unknown };
};

/** Every route of the built Remix app, with its full URL pattern from its parents. */
function screenRoutes(): Found[] {
  const routes = build.routes as unknown as Record<string, BuiltRoute>;
  const patternOf = (id: string): string => {
    const route = routes[id];
    const own = route.path ?? "";
    const parent = route.parentId ? patternOf(route.parentId) : "";
    return [parent, own].filter((p) => p !== "" && p !== "/").join("/");
  };
  return Object.values(routes).map((r) => ({
    key: r.id,
    pattern: `/${patternOf(r.id)}`,
    hasLoader: typeof r.module.loader === "function",
    hasAction: typeof r.module.action === "function",
    isPage: typeof r.module.default === "function",
    hono: false,
  }));
}

/** Every Hono route with a method of its own (middleware and the Remix catch-all are `ALL …*`). */
function honoRoutes(): Found[] {
  const seen = new Map<string, Found>();
  for (const r of app.routes) {
    if (r.method === "ALL" && r.path.endsWith("*")) continue;
    const path = r.path.length > 1 ? r.path.replace(/\/$/, "") : r.path;
    const key = `${r.method} ${path}`;
    seen.set(key, {
      key,
      pattern: path,
      hasLoader: r.method === "GET",
      hasAction: r.method !== "GET",
      isPage: false,
      hono: true,
    });
  }
  return [...seen.values()];
}

const ALL = [...screenRoutes(), ...honoRoutes()];
const entryOf = (r: Found) => (r.hono ? HONO_RULES : RULES)[r.key];
const urlOf = (r: Found, f: Fixture) => entryOf(r).url?.(f) ?? r.pattern;
const capability = (r: Found) => {
  const rule = entryOf(r).rule;
  return typeof rule === "object" ? rule.can : null;
};

/** A user with a session of the given strength written straight into D1 (strong: factor proven now). */
async function withSession(
  roles: { code: string; organizationId?: number; programId?: number }[],
  assurance: "strong" | "weak" = "strong",
) {
  const user = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
  for (const role of roles)
    await grantRole(user.id, role.code, { organizationId: role.organizationId, programId: role.programId });
  const token = randomToken();
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  )
    .bind(hashToken(token), user.id, now, now, now + 3600_000, assurance, assurance === "strong" ? now : null)
    .run();
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, token);
  return { user, browser };
}

const cookieOf = (browser?: Browser) =>
  browser ? [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ") : "";

/** A form post to a route, same-origin unless `crossSite`, as a signed-in user or nobody. */
function post(path: string, options: { browser?: Browser; crossSite?: boolean } = {}) {
  return fetchWorker(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Host: HOST,
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: options.crossSite ? "https://evil.example" : ORIGIN,
      "Sec-Fetch-Site": options.crossSite ? "cross-site" : "same-origin",
      Cookie: cookieOf(options.browser),
      "CF-Connecting-IP": options.browser?.ip ?? "203.0.113.9",
    },
    body: new URLSearchParams({ intent: "approve", confirm: "yes", name: "Sweep" }).toString(),
  });
}

/** Row counts of every table: a refused request must leave them all as they were. */
async function fingerprint(): Promise<Record<string, number>> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
  ).all<{ name: string }>();
  const counts = await env.DB.batch<{ n: number }>(
    tables.results.map((t) => env.DB.prepare(`SELECT count(*) AS n FROM "${t.name}"`)),
  );
  return Object.fromEntries(tables.results.map((t, i) => [t.name, counts[i].results[0].n]));
}

/** What a route answered, for failure messages. */
const described = async (response: Response) =>
  `${response.status} ${response.headers.get("Location") ?? ""} ${response.status >= 500 ? (await response.text()).slice(0, 300) : ""}`.trim();

/**
 * Two ways to ask for a screen: the document (every matching route's loader runs,
 * parents included) and its loader alone, as a client-side navigation asks it
 * (single fetch: `/path.data?_routes=<id>`), where no parent's guard runs; so
 * every loader must state its own rule. Resource and Hono routes have one way.
 */
type Mode = "document" | "data";
const modesOf = (r: Found): Mode[] => (r.isPage ? ["document", "data"] : ["document"]);

interface Answer {
  status: number;
  /** A redirect's target (single fetch answers a redirect as 202 with it in the body). */
  location: string;
  text: string;
  where: string;
}

async function open(r: Found, url: string, mode: Mode, browser?: Browser): Promise<Answer> {
  const path = mode === "document" ? url : `${url === "/" ? "/_root" : url}.data?_routes=${encodeURIComponent(r.key)}`;
  const response = browser
    ? await browser.get(path)
    : await fetchWorker(`${ORIGIN}${path}`, { redirect: "manual", headers: { Host: HOST } });
  const text = await response.text();
  if (mode === "data" && response.status === 202) {
    const location = text.match(/"SingleFetchRedirect".*?"redirect","([^"]*)"/)?.[1] ?? "";
    return { status: 302, location, text, where: `${r.key} ${path}` };
  }
  return { status: response.status, location: response.headers.get("Location") ?? "", text, where: `${r.key} ${path}` };
}

const explain = (a: Answer) =>
  `${a.where}: ${a.status} ${a.location} ${a.status >= 500 ? a.text.slice(0, 300) : ""}`.trim();

const qarmOrg = async (offset: number) =>
  (await env.DB.prepare(
    "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' ORDER BY o.id LIMIT 1 OFFSET ?",
  )
    .bind(offset)
    .first<{ id: number }>())!.id;

async function pendingRequest(userId: string, organizationId: number) {
  const requestId = newRequestId();
  await env.DB.prepare(
    `INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, start_date, end_date, submission_key, comments, created_at)
     SELECT ?, ?, (SELECT id FROM programs WHERE code = 'QIES'), ?, (SELECT id FROM roles WHERE code = 'END_USER'), 'security_official', 'pending', ?, '2099-12-31', ?, 'Please approve.', ?`,
  )
    .bind(
      requestId,
      userId,
      organizationId,
      new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" }),
      `sk-${requestId}`,
      Date.now(),
    )
    .run();
  return requestId;
}

let fixture: Fixture;
/** An enrolled END_USER with no roles, signed in through the screens with an authenticator app. */
let plain: Awaited<ReturnType<typeof signedInWithTotp>>;
/** The owner of the requests, signed in (strong). */
let owner: Awaited<ReturnType<typeof withSession>>;
/** Every capability (administrator, Security Official of orgA), strong session; and the same with a weak one. */
let everything: Awaited<ReturnType<typeof withSession>>;
let everythingWeak: Awaited<ReturnType<typeof withSession>>;
/** A Security Official of orgA only. */
let officialA: Awaited<ReturnType<typeof withSession>>;

beforeAll(async () => {
  await seedDatabase(env.DB);
  const [orgA, orgB] = [await qarmOrg(0), await qarmOrg(1)];
  owner = await withSession([]);
  fixture = {
    orgA,
    orgB,
    ownerId: owner.user.id,
    requestA: await pendingRequest(owner.user.id, orgA),
    requestB: await pendingRequest(owner.user.id, orgB),
    clientId: (await createClient()).id,
  };
  // Officials of QIES, the program of the fixture's requests.
  const qies = (await env.DB.prepare("SELECT id FROM programs WHERE code = 'QIES'").first<number>("id")) as number;
  const all = [{ code: "HELP_DESK_ADMINISTRATOR" }, { code: "OSO", organizationId: orgA, programId: qies }];
  everything = await withSession(all);
  everythingWeak = await withSession(all, "weak");
  officialA = await withSession([{ code: "OSO", organizationId: orgA, programId: qies }]);
  plain = await signedInWithTotp("Plain", "User");
});

/** The plain user, as `can()` sees them (no roles, enrolled, a fresh strong factor). */
const plainActor = (): Actor => ({
  userId: plain.user.id,
  enrollmentCompleted: true,
  restrictedUntil: null,
  hasDevice: true,
  assurance: "strong",
  strongFactorAt: new Date(),
  roles: [],
});

const guarded = ALL.filter((r) => entryOf(r) && entryOf(r).rule !== "public");
const capabilityRoutes = ALL.filter((r) => entryOf(r) && capability(r));
const pages = (routes: Found[]) => routes.filter((r) => r.hasLoader);

describe("every route has a rule", () => {
  it("finds the routes of the built app and of the Worker", () => {
    expect(screenRoutes().length).toBeGreaterThan(40);
    expect(honoRoutes().map((r) => r.key)).toContain("GET /healthz");
  });

  it("has a rule for every route, and no rule for a route that is gone", () => {
    const missing = ALL.filter((r) => !entryOf(r)).map((r) => `${r.key} (${r.pattern})`);
    expect(missing, `routes without a rule in access-control.test.ts: ${missing.join(", ")}`).toEqual([]);
    const screenKeys = new Set(screenRoutes().map((r) => r.key));
    const honoKeys = new Set(honoRoutes().map((r) => r.key));
    const gone = [
      ...Object.keys(RULES).filter((k) => !screenKeys.has(k)),
      ...Object.keys(HONO_RULES).filter((k) => !honoKeys.has(k)),
    ];
    expect(gone, `rules for routes that no longer exist: ${gone.join(", ")}`).toEqual([]);
  });

  it("knows which routes change things (an action) and how to reach routes with params", () => {
    const wrongAction = ALL.filter((r) => entryOf(r) && entryOf(r).action !== r.hasAction).map(
      (r) => `${r.key}: the rule says action=${entryOf(r).action}, the route ${r.hasAction ? "has" : "has no"} action`,
    );
    expect(wrongAction).toEqual([]);
    const noUrl = ALL.filter((r) => entryOf(r) && r.pattern.match(/[:*]/) && !entryOf(r).url).map((r) => r.key);
    expect(noUrl, `routes with params and no URL to try: ${noUrl.join(", ")}`).toEqual([]);
  });
});

describe("signed out", () => {
  it("public routes answer without a server error", async () => {
    const failures: string[] = [];
    for (const r of pages(ALL.filter((r) => entryOf(r)?.rule === "public")))
      for (const mode of modesOf(r)) {
        const answer = await open(r, urlOf(r, fixture), mode);
        // 400: the authorization endpoint asked without a client is a page saying so; 401: userinfo without a token.
        if (![200, 301, 302, 303, 400, 401, 404, 405].includes(answer.status)) failures.push(explain(answer));
      }
    expect(failures).toEqual([]);
  });

  it("guarded screens, and their loaders alone, send the visitor to sign in, and come back after", async () => {
    const failures: string[] = [];
    for (const r of pages(guarded))
      for (const mode of modesOf(r)) {
        const url = urlOf(r, fixture);
        const answer = await open(r, url, mode);
        if (answer.status !== 302 || answer.location !== `/login?redirectTo=${encodeURIComponent(url)}`)
          failures.push(explain(answer));
      }
    expect(failures).toEqual([]);
  });

  it("guarded actions refuse a signed-out post and change nothing", async () => {
    const before = await fingerprint();
    const failures: string[] = [];
    for (const r of guarded.filter((r) => r.hasAction)) {
      const url = urlOf(r, fixture);
      const response = await post(url);
      await response.arrayBuffer();
      const location = response.headers.get("Location") ?? "";
      const refused = r.hono ? response.status === 401 : response.status === 302 && location.startsWith("/login?");
      if (!refused) failures.push(`${r.key} (${url}): ${await described(response)}`);
    }
    expect(failures).toEqual([]);
    expect(await fingerprint()).toEqual(before);
  });
});

describe("signed in", () => {
  it("screens any session may open answer a strong END_USER without a server error", async () => {
    const failures: string[] = [];
    for (const r of pages(guarded.filter((r) => entryOf(r).rule === "signed-in")))
      for (const mode of modesOf(r)) {
        const answer = await open(r, urlOf(r, fixture), mode, plain.browser);
        if (answer.status >= 500 || answer.location.startsWith("/login")) failures.push(explain(answer));
      }
    expect(failures).toEqual([]);
  });

  it("a capability the END_USER lacks is a 404, on GET (screen and loader alone) and POST, and a POST changes nothing", async () => {
    const before = await fingerprint();
    const failures: string[] = [];
    let refusedCount = 0;
    for (const r of capabilityRoutes) {
      const decision = can(plainActor(), capability(r)!);
      const url = urlOf(r, fixture);
      if (decision.ok) {
        // Open to every enrolled user (Request User Access): the screen, not a refusal.
        if (r.hasLoader && !r.hono)
          for (const mode of modesOf(r)) {
            const answer = await open(r, url, mode, plain.browser);
            if (answer.status !== 200) failures.push(`(allowed) ${explain(answer)}`);
          }
        continue;
      }
      expect(decision.reason).toBe("forbidden");
      refusedCount++;
      if (r.hasLoader)
        for (const mode of modesOf(r)) {
          const answer = await open(r, url, mode, plain.browser);
          if (answer.status !== 404) failures.push(explain(answer));
        }
      if (r.hasAction) {
        const response = await post(url, { browser: plain.browser });
        await response.arrayBuffer();
        if (response.status !== 404) failures.push(`POST ${r.key} (${url}): ${await described(response)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(refusedCount).toBeGreaterThan(15);
    expect(await fingerprint()).toEqual(before);
  });

  it("a weak session on a capability screen, or its loader alone, is sent to step up, and back", async () => {
    const failures: string[] = [];
    for (const r of pages(capabilityRoutes.filter((r) => !r.hono)))
      for (const mode of modesOf(r)) {
        const answer = await open(r, urlOf(r, fixture), mode, everythingWeak.browser);
        if (answer.status !== 302 || !answer.location.startsWith("/step-up?redirectTo="))
          failures.push(explain(answer));
      }
    expect(failures).toEqual([]);
  });

  it("whoever holds the capability, with a strong session, gets the screen and its data", async () => {
    const failures: string[] = [];
    for (const r of pages(capabilityRoutes.filter((r) => !r.hono)))
      for (const mode of modesOf(r)) {
        const answer = await open(r, urlOf(r, fixture), mode, everything.browser);
        if (answer.status !== 200) failures.push(explain(answer));
      }
    expect(failures).toEqual([]);
  });
});

describe("cross-site form posts", () => {
  it("every route with an action refuses a cross-site post from a signed-in user with 403, changing nothing", async () => {
    const actions = ALL.filter((r) => r.hasAction);
    expect(actions.length).toBeGreaterThan(25);
    const before = await fingerprint();
    const failures: string[] = [];
    for (const r of actions) {
      const url = urlOf(r, fixture);
      const response = await post(url, { browser: everything.browser, crossSite: true });
      const body = await response.text();
      // A cookie proves nothing there: refused for want of the assertion or token it needs.
      if (entryOf(r).noCookie) {
        if (response.status !== 400 && response.status !== 401) failures.push(`${r.key} (${url}): ${response.status}`);
        continue;
      }
      if (response.status !== 403 || !body.includes("Request refused"))
        failures.push(`${r.key} (${url}): ${response.status}`);
    }
    expect(failures).toEqual([]);
    expect(await fingerprint()).toEqual(before);
    const stillPending = await env.DB.prepare("SELECT status FROM access_requests WHERE id = ?")
      .bind(fixture.requestA)
      .first<{ status: string }>();
    expect(stillPending?.status).toBe("pending");
  });
});

describe("someone else's records", () => {
  it("another user's request, account or organization is a 404 to a user without the capability", async () => {
    const withForeign = ALL.filter((r) => entryOf(r)?.foreign);
    expect(withForeign.map((r) => r.key).sort()).toEqual([
      "routes/admin.organizations.$id",
      "routes/admin.users.$userId",
      "routes/my-account_.requests.$requestId",
      "routes/role-requests.$requestId",
    ]);
    const failures: string[] = [];
    for (const r of withForeign)
      for (const mode of modesOf(r)) {
        const answer = await open(r, entryOf(r).foreign!(fixture), mode, plain.browser);
        if (answer.status !== 404 || answer.text.includes(fixture.requestB)) failures.push(explain(answer));
      }
    expect(failures).toEqual([]);
  });

  it("the owner sees their own request; nobody else does", async () => {
    const own = await owner.browser.get(`/my-account/requests/${fixture.requestB}`);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain(fixture.requestB);
    for (const other of [plain.browser, officialA.browser, everything.browser]) {
      const response = await other.get(`/my-account/requests/${fixture.requestB}`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain(fixture.requestB);
    }
  });

  it("a Security Official sees and decides requests of their organization only", async () => {
    const served = await officialA.browser.get(`/role-requests/${fixture.requestA}`);
    expect(served.status).toBe(200);
    await served.arrayBuffer();
    const notServed = await officialA.browser.get(`/role-requests/${fixture.requestB}`);
    expect(notServed.status).toBe(404);
    expect(await notServed.text()).not.toContain(fixture.requestB);
    const before = await fingerprint();
    const decide = await post(`/role-requests/${fixture.requestB}`, { browser: officialA.browser });
    expect(decide.status).toBe(404);
    await decide.arrayBuffer();
    expect(await fingerprint()).toEqual(before);
    const row = await env.DB.prepare("SELECT status FROM access_requests WHERE id = ?")
      .bind(fixture.requestB)
      .first<{ status: string }>();
    expect(row?.status).toBe("pending");
  });

  it("a Security Official is not an administrator: other accounts and organizations are a 404", async () => {
    for (const url of [`/admin/users/${fixture.ownerId}`, `/admin/organizations/${fixture.orgA}`]) {
      const response = await officialA.browser.get(url);
      expect(response.status, url).toBe(404);
      await response.arrayBuffer();
    }
  });
});
