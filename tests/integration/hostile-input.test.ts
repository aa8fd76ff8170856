import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { newRequestId } from "../../app/.server/access/request-id";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, signedInWithTotp } from "../factories/users";

/**
 * Hostile input: every form and route parameter fed markup, script URLs, SQL
 * fragments, a megabyte, null bytes, direction overrides, combining marks, lone
 * surrogates, the wrong kind of value, missing and duplicated fields. Each answer
 * is below 500, re-rendered forms never echo the payload as markup, and what was
 * stored is shown escaped wherever the portal shows it.
 */
// Hundreds of requests a test; a busy machine takes several times as long.
vi.setConfig({ testTimeout: 120_000 });

beforeAll(async () => {
  await seedDatabase(env.DB);
});

const SCRIPT = "<script>alert(1)</script>";
const ATTRIBUTE = '"><img src=x onerror=alert(1)>';
const TEXT_CORPUS = [
  SCRIPT,
  ATTRIBUTE,
  "javascript:alert(1)",
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  "a\u0000b",
  "\u202Eevil",
  "e\u0301\u0301\u0301",
  "\uD800",
  "12345678901234567890",
  "-1",
  "1e308",
  "NaN",
  "",
  " ",
];
const MEGABYTE = "x".repeat(1024 * 1024);
/** Percent-encoded bytes URLSearchParams cannot produce: a lone surrogate in UTF-8 (CESU) and a bare %. */
const RAW_VALUES = ["%ED%A0%80", "%C0%BC", "%", "%00"];
const PATH_CORPUS = [
  "..%2F..%2Fadmin",
  "../../admin",
  "%00",
  "a%00b",
  "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
  "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
  "%E2%80%AEevil",
  "e%CC%81%CC%81",
  "%ED%A0%80",
  "%",
  "%27%20OR%201%3D1%20--",
  "-1",
  "99999999999999999999999",
  "1.5",
  "x".repeat(4000),
];
const QUERY_CORPUS = [
  ...TEXT_CORPUS.filter((v) => v !== "\uD800").map(encodeURIComponent),
  ...RAW_VALUES,
  "x".repeat(50_000),
];

/** Raw markup that must never come back from a payload (escaped text is fine). */
const MARKUP = [
  /<script>alert\(1\)<\/script>/i,
  /<img src=x onerror/i,
  /href="\s*javascript:/i,
  /src="\s*javascript:/i,
];

const problems: string[] = [];

/** Status below 500, no payload echoed as markup, no redirect off-site or to a script URL. */
async function check(label: string, response: Response) {
  const body = await response.text();
  if (response.status >= 500) problems.push(`${label}: ${response.status}`);
  for (const pattern of MARKUP) if (pattern.test(body)) problems.push(`${label}: body matches ${pattern}`);
  const location = response.headers.get("Location");
  if (location && (/^\s*javascript:/i.test(location) || /^\/\/|^https?:\/\/(?!localhost:8787)/i.test(location)))
    problems.push(`${label}: redirects to ${location}`);
  return { status: response.status, body };
}

const cookieOf = (browser: Browser) => [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");

/** A form post with a body written by hand (duplicates, raw bytes), as the browser `b` (or anonymous). */
function rawPost(path: string, body: string, browser?: Browser) {
  return fetchWorker(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Host: HOST,
      Origin: ORIGIN,
      "Sec-Fetch-Site": "same-origin",
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: browser ? cookieOf(browser) : "",
      "CF-Connecting-IP": browser?.ip ?? `203.0.113.${Math.floor(Math.random() * 250) + 1}`,
    },
    body,
  });
}

function rawGet(path: string, browser?: Browser) {
  return fetchWorker(`${ORIGIN}${path}`, {
    redirect: "manual",
    headers: { Host: HOST, Cookie: browser ? cookieOf(browser) : "", "CF-Connecting-IP": browser?.ip ?? "203.0.113.7" },
  });
}

const encode = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** A few values for every field; the whole corpus goes to each form's first field. */
const SHORT_CORPUS = [SCRIPT, ATTRIBUTE, "' OR 1=1 --", "a\u0000b", "\u202Eevil", "12345"];

/**
 * Each field of `base` replaced in turn by hostile values (the whole corpus for the first
 * field), raw bytes, the field missing and the field sent twice; then a megabyte, an empty
 * body and nameless fields. `browser` gives the browser (a fresh one for throttled public forms).
 */
async function fuzzForm(
  path: string,
  base: Record<string, string>,
  options: { browser?: () => Browser | undefined; skip?: string[]; light?: boolean } = {},
) {
  // `light`: the short list for every field and no megabyte (forms fuzzed more than once).
  const light = options.light ?? false;
  const browser = options.browser ?? (() => undefined);
  const fields = Object.keys(base).filter((f) => !options.skip?.includes(f));
  const bodies: [string, string][] = [];
  fields.forEach((field, n) => {
    const rest = encode(Object.fromEntries(Object.entries(base).filter(([k]) => k !== field)));
    (n === 0 && !light ? TEXT_CORPUS : SHORT_CORPUS).forEach((value, i) => {
      bodies.push([`${field}=#${i}`, encode({ ...base, [field]: value })]);
    });
    for (const raw of n === 0 && !light ? RAW_VALUES : RAW_VALUES.slice(0, 1))
      bodies.push([`${field}=${raw}`, `${rest}&${field}=${raw}`]);
    bodies.push([`missing ${field}`, rest]);
    bodies.push([`duplicated ${field}`, `${encode(base)}&${encodeURIComponent(field)}=${encodeURIComponent(SCRIPT)}`]);
  });
  if (!light)
    bodies.push([`${fields[fields.length - 1]}=1MB`, encode({ ...base, [fields[fields.length - 1]]: MEGABYTE })]);
  bodies.push(["empty body", ""]);
  bodies.push(["no field names", "=&&=x&%00=%00"]);
  await Promise.all(
    bodies.map(async ([label, body]) => check(`POST ${path} ${label}`, await rawPost(path, body, browser()))),
  );
}

async function fuzzPath(template: (param: string) => string, browser?: Browser) {
  await Promise.all(
    PATH_CORPUS.map(async (param) =>
      check(`GET ${template(param)}`.slice(0, 200), await rawGet(template(param), browser)),
    ),
  );
}

async function fuzzQuery(path: string, names: string[], browser?: Browser) {
  const urls = names.flatMap((name, n) =>
    (n === 0 ? QUERY_CORPUS : [...SHORT_CORPUS.map(encodeURIComponent), RAW_VALUES[0]]).map(
      (v) => `${path}?${name}=${v}`,
    ),
  );
  urls.push(`${path}?${names.map((n) => `${n}=1&${n}=${encodeURIComponent(SCRIPT)}`).join("&")}`);
  await Promise.all(urls.map(async (url) => check(`GET ${url.slice(0, 80)}`, await rawGet(url, browser))));
}

const expectNoProblems = () => {
  const found = problems.splice(0);
  expect(found).toEqual([]);
};

const one = async <T>(sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<T>())!;
const idOf = async (sql: string, ...params: unknown[]) => (await one<{ id: number }>(sql, ...params)).id;
const today = () => new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" });
const us = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
const submissionKey = () => crypto.randomUUID().replaceAll("-", "");

describe("signed-in forms", () => {
  it("profile (password, challenge questions, sessions) and devices refuse hostile input", async () => {
    const member = await signedInWithTotp("Hostile", "Member");
    const b = () => member.browser;
    const device = await one<{ id: string }>("SELECT id FROM mfa_devices WHERE user_id = ?", member.user.id);

    await fuzzForm(
      "/profile",
      {
        intent: "change-password",
        currentPassword: member.user.password,
        newPassword: "another granite kettle orbit",
        confirmPassword: "another granite kettle orbit",
      },
      { browser: b, skip: ["currentPassword", "confirmPassword"] },
    );
    await fuzzForm(
      "/profile",
      {
        intent: "change-questions",
        question1: "first_pet",
        answer1: "Rex",
        question2: "birth_city",
        answer2: "Dayton",
        question3: "first_school",
        answer3: "Lincoln",
        currentPassword: "not the current password",
      },
      { browser: b, skip: ["currentPassword", "question2", "answer2", "question3", "answer3"] },
    );
    await fuzzForm("/profile", { intent: "end-session", sessionId: "nope" }, { browser: b });
    await fuzzForm("/profile/devices", { intent: "rename", deviceId: device.id, name: "Work phone" }, { browser: b });
    await fuzzForm(
      "/profile/devices",
      { intent: "remove", deviceId: "not-a-device" },
      { browser: b, skip: ["intent"] },
    );
    await fuzzQuery("/profile", ["done"], member.browser);
    expectNoProblems();
  });

  it("request access, organization search and My Account refuse hostile input", async () => {
    const member = await signedInWithTotp("Hostile", "Requester");
    const b = () => member.browser;

    const desk = await createUser({ verified: true, firstName: "Desk", lastName: "Approver" });
    await grantRole(desk.id, "HELP_DESK_APPROVER");
    const qies = await idOf("SELECT id FROM programs WHERE code = 'QIES'");
    const utah = await idOf(
      "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.name LIKE 'STATE OF UTAH%' ORDER BY o.name LIMIT 1",
    );
    const oso = await idOf("SELECT id FROM roles WHERE code = 'OSO'");
    await fuzzForm(
      "/my-account/request-access",
      {
        intent: "review",
        submissionKey: submissionKey(),
        programId: String(qies),
        organizationId: String(utah),
        roleId: String(oso),
        startDate: us(today()),
        endDateNotApplicable: "on",
        approverUserId: desk.id,
        additionalInfo: "Quality lead.",
        comments: "Please approve.",
      },
      { browser: b, skip: ["intent", "endDateNotApplicable", "additionalInfo", "roleId", "approverUserId"] },
    );
    await fuzzQuery("/my-account/request-access", ["organization"], member.browser);
    await fuzzQuery("/my-account/request-access/organizations", ["name", "page"], member.browser);
    await fuzzForm("/my-account", { intent: "cancel-request", requestId: "QR-AAAAAAAA" }, { browser: b });
    await fuzzForm("/my-account", { intent: "remove-role", userRoleId: "nope" }, { browser: b });
    await fuzzPath((p) => `/my-account/requests/${p}`, member.browser);
    await fuzzQuery("/my-account/requests/QR-AAAAAAAA", ["submitted"], member.browser);
    await fuzzPath((p) => `/enrollment/step/${p}`, member.browser);
    expectNoProblems();
  });
});

describe("approvers and administration", () => {
  let admin: Awaited<ReturnType<typeof signedInWithTotp>>;
  const b = () => admin.browser;
  let org: number;
  beforeAll(async () => {
    admin = await signedInWithTotp("Hostile", "Admin");
    await grantRole(admin.user.id, "HELP_DESK_ADMINISTRATOR");
    await grantRole(admin.user.id, "HELP_DESK_APPROVER");
    org = await idOf(
      "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' ORDER BY o.id LIMIT 1",
    );
  });

  it("role-request decisions, revoke, the queue's filters and the audit log refuse hostile input", async () => {
    const requester = await createUser({ verified: true });
    const requestId = newRequestId();
    await env.DB.prepare(
      `INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, start_date, end_date, submission_key, comments, created_at)
       SELECT ?, ?, (SELECT id FROM programs WHERE code = 'QIES'), ?, (SELECT id FROM roles WHERE code = 'OSO'), 'help_desk', 'pending', ?, '2099-12-31', ?, ?, ?`,
    )
      .bind(requestId, requester.id, org, today(), `sk-${requestId}`, SCRIPT, Date.now())
      .run();

    // A reason code that is not on the list, with hostile details: refused, the request stays pending.
    await fuzzForm(
      `/role-requests/${requestId}`,
      { intent: "reject", reasonCode: "nope", details: SCRIPT },
      { browser: b },
    );
    await fuzzForm(`/role-requests/${requestId}`, { intent: "recertify", userRoleId: "nope" }, { browser: b });
    await fuzzPath((p) => `/role-requests/${p}`, admin.browser);
    await fuzzQuery(`/role-requests/${requestId}`, ["decide", "decided"], admin.browser);
    await fuzzQuery("/role-requests", ["organization", "program", "page"], admin.browser);
    await fuzzForm("/role-requests/users", { intent: "revoke", userRoleId: "nope", reason: "Left" }, { browser: b });
    await fuzzQuery("/audit-log", ["userId", "requestId", "type", "from", "page"], admin.browser);
    await fuzzQuery("/audit-log.csv", ["requestId"], admin.browser);

    expectNoProblems();
  });

  it("every Administration form and page refuses hostile input", async () => {
    const orgForm = {
      name: "Hostile Test Clinic",
      orgType: "Provider",
      address1: "100 Main Street",
      address2: "",
      city: "Columbus",
      state: "OH",
      zip: "43215",
      country: "US",
      ccn: "",
      npi: "",
      tin: "",
    };
    const orgSkip = ["orgType", "address2", "country", "ccn", "tin", "address1", "city"];
    await fuzzForm("/admin/organizations/new", orgForm, { browser: b, skip: orgSkip });
    await fuzzForm(`/admin/organizations/${org}`, { ...orgForm, intent: "save" }, { browser: b, skip: orgSkip });
    // One megabyte in an Administration form too.
    await check(
      "POST /admin/organizations/new 1MB",
      await rawPost("/admin/organizations/new", encode({ ...orgForm, name: MEGABYTE }), admin.browser),
    );
    await fuzzPath((p) => `/admin/organizations/${p}`, admin.browser);
    await fuzzQuery("/admin/organizations", ["q", "page"], admin.browser);
    await fuzzQuery(`/admin/organizations/${org}`, ["saved"], admin.browser);

    const target = await createUser();
    await fuzzQuery("/admin/users", ["q", "page"], admin.browser);
    await fuzzPath((p) => `/admin/users/${p}`, admin.browser);
    for (const intent of ["deactivate"])
      await fuzzForm(`/admin/users/${target.id}`, { intent, reason: "Verified by phone" }, { browser: b });

    const role = await one<{ id: number }>("SELECT id FROM roles WHERE code = 'OSO'");
    const orgTypes = await env.DB.prepare("SELECT id FROM organization_types ORDER BY id LIMIT 1").first<{
      id: number;
    }>();
    await fuzzForm(
      "/admin/programs",
      { roleId: String(role.id), orgTypeIds: String(orgTypes?.id), approverRule: "nope", requiresEndDate: "on" },
      { browser: b },
    );
    await fuzzQuery("/admin/programs", ["saved"], admin.browser);
    await fuzzForm(
      "/admin/terms",
      {
        intent: "preview",
        version: "2099-01-01",
        bodyMarkdown: `# Terms\n\n${SCRIPT}\n\n${ATTRIBUTE}\n\n[x](javascript:alert(1))`,
      },
      { browser: b },
    );
    await fuzzForm(
      "/admin/proofing",
      { reviewId: "nope", intent: "reject", evidenceType: "passport", evidenceLast4: "1234", denialReason: SCRIPT },
      { browser: b },
    );
    await fuzzForm("/admin/failed-email", { source: "outbox", idempotencyKey: "nope" }, { browser: b });
    expectNoProblems();
  });
});

describe("what was stored is shown as text", () => {
  it("values stored from hostile input render escaped on the pages that show them", async () => {
    const member = await signedInWithTotp("Stored", "Member");
    const device = await one<{ id: string }>("SELECT id FROM mfa_devices WHERE user_id = ?", member.user.id);
    const renamed = await member.browser.post("/profile/devices", {
      intent: "rename",
      deviceId: device.id,
      name: ATTRIBUTE,
    });
    expect(renamed.status).toBeLessThan(500);

    const desk = await createUser({
      totpKey: crypto.getRandomValues(new Uint8Array(20)),
      firstName: "Desk",
      lastName: "Approver",
    });
    await grantRole(desk.id, "HELP_DESK_APPROVER");
    const qies = await idOf("SELECT id FROM programs WHERE code = 'QIES'");
    const org = await idOf(
      "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.name LIKE 'STATE OF UTAH%' ORDER BY o.name LIMIT 1",
    );
    const made = await member.browser.post("/my-account/request-access", {
      intent: "confirm",
      submissionKey: submissionKey(),
      programId: String(qies),
      organizationId: String(org),
      roleId: String(await idOf("SELECT id FROM roles WHERE code = 'OSO'")),
      startDate: us(today()),
      endDateNotApplicable: "on",
      approverUserId: desk.id,
      additionalInfo: ATTRIBUTE,
      comments: `${SCRIPT} javascript:alert(1)`,
    });
    expect(
      made.status,
      (await made.clone().text())
        .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/g, "")
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .match(/problem.{0,300}/i)?.[0],
    ).toBe(302);
    const requestId = made.headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];

    const admin = await signedInWithTotp("Stored", "Admin");
    await grantRole(admin.user.id, "HELP_DESK_ADMINISTRATOR");
    await grantRole(admin.user.id, "HELP_DESK_APPROVER");
    const created = await admin.browser.post("/admin/organizations/new", {
      name: `${SCRIPT} Clinic`,
      orgType: "Provider",
      address1: ATTRIBUTE,
      address2: "",
      city: "Columbus",
      state: "OH",
      zip: "43215",
      country: "US",
      ccn: "",
      npi: "",
      tin: "",
    });
    expect(created.status).toBeLessThan(500);
    const orgLocation = created.headers.get("Location");
    const target = await createUser();
    const deactivated = await admin.browser.post(`/admin/users/${target.id}`, { intent: "deactivate", reason: SCRIPT });
    expect(deactivated.status).toBeLessThan(500);
    const rejected = await admin.browser.post(`/role-requests/${requestId}`, {
      intent: "reject",
      reasonCode: "other",
      details: ATTRIBUTE,
    });
    expect(rejected.status).toBeLessThan(500);

    // Every stored text value that looks like markup, and the pages that show it.
    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
    ).all<{ name: string }>();
    const stored: string[] = [];
    for (const { name } of tables.results) {
      const columns = await env.DB.prepare(`PRAGMA table_info("${name}")`).all<{ name: string; type: string }>();
      for (const column of columns.results.filter((c) => /TEXT|^$/i.test(c.type))) {
        const hit = await env.DB.prepare(
          `SELECT count(*) AS n FROM "${name}" WHERE "${column.name}" LIKE '%<script%' OR "${column.name}" LIKE '%onerror=%'`,
        ).first<{ n: number }>();
        if (hit?.n) stored.push(`${name}.${column.name}`);
      }
    }
    // Stored as typed is fine (the portal keeps what people wrote); shown as markup is not.
    expect(stored.length).toBeGreaterThan(0);

    const pages: [Browser, string][] = [
      [member.browser, "/profile"],
      [member.browser, "/profile/devices"],
      [member.browser, "/my-account"],
      [member.browser, `/my-account/requests/${requestId}`],
      [admin.browser, `/role-requests/${requestId}`],
      [admin.browser, "/role-requests"],
      [admin.browser, `/admin/users/${target.id}`],
      [admin.browser, `/admin/users/${member.user.id}`],
      [admin.browser, `/admin/users?q=${target.loginId}`],
      [admin.browser, "/audit-log"],
      [admin.browser, `/audit-log?requestId=${requestId}`],
      [admin.browser, `/audit-log?userId=${target.loginId}`],
      [admin.browser, "/admin/organizations?q=SCRIPT"],
      [admin.browser, "/admin"],
    ];
    if (orgLocation) pages.push([admin.browser, orgLocation.replace(ORIGIN, "")]);
    const shown: string[] = [];
    for (const [browser, path] of pages) {
      const { status, body } = await check(`stored on ${path}`, await browser.get(path));
      expect(status, path).toBeLessThan(500);
      if (/&lt;script&gt;|&lt;SCRIPT&gt;|onerror=alert/i.test(body)) shown.push(path);
    }
    // The payloads did reach the pages, as text.
    expect(shown).toContain(`/my-account/requests/${requestId}`);
    expect(shown).toContain(`/role-requests/${requestId}`);
    expect(shown).toContain("/profile/devices");
    expectNoProblems();
  });
});

// Last: the public forms queue emails and hash passwords, work that goes on after their answers.
describe("public forms", () => {
  it("registration, both sign-in steps, Forgot User ID, Forgot password, reset and Terms refuse hostile input without a 5xx", async () => {
    const fresh = () => new Browser(`203.0.113.${Math.floor(Math.random() * 250) + 1}`);
    await fuzzForm(
      "/register",
      { firstName: "Casey", lastName: "Jordan", email: "casey.hostile@example.test", phone: "614-555-0142" },
      { browser: fresh },
    );
    await fuzzForm("/login", { intent: "next", userId: "NOSUCH01" }, { browser: fresh });
    await fuzzForm(
      "/login",
      { intent: "login", userId: "NOSUCH02", password: "not the password", deviceType: "totp", code: "123456" },
      { browser: fresh },
    );
    await fuzzForm("/forgot-user-id", { email: "nobody@example.test" }, { browser: fresh });
    await fuzzForm("/forgot-password", { userId: "NOSUCH03", email: "nobody@example.test" }, { browser: fresh });
    await fuzzForm(
      "/reset-password",
      {
        token: "a".repeat(32),
        newPassword: "granite kettle orbit lantern two",
        confirmPassword: "granite kettle orbit lantern two",
      },
      { browser: fresh },
    );
    await fuzzForm(
      "/terms",
      { intent: "accept", program: "IQR", version: "1", redirectTo: "/my-account" },
      { browser: fresh },
    );
    await fuzzQuery("/reset-password", ["token"]);
    await fuzzQuery("/terms", ["program", "redirectTo"]);
    await fuzzQuery("/login", ["program", "redirectTo", "userId", "step", "device"]);
    await fuzzQuery("/login/recover", ["userId"]);
    await fuzzQuery("/this-wasnt-me", ["token"]);
    await fuzzQuery("/", ["declined"]);
    await fuzzPath((p) => `/${p}`);
    expectNoProblems();
  });

  it("a registration with a hostile name is refused with the message next to the field, keeping the other input", async () => {
    const browser = new Browser();
    const response = await browser.post("/register", {
      firstName: SCRIPT,
      lastName: "Jordan",
      email: "kept.input@example.test",
      phone: "614-555-0142",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("Your first name may use letters, spaces, hyphens and apostrophes.");
    expect(html).toContain("kept.input@example.test");
    expect(html).not.toContain(SCRIPT);
  });
});
