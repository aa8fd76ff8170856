import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { exportAuditLog } from "../../app/.server/audit/query";
import { SESSION_COOKIE } from "../../app/.server/auth/session";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { createDb } from "../../app/.server/db/client";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";

/**
 * The Audit Log (/audit-log) and its CSV (/audit-log.csv): who may read it,
 * what each reader sees (their scope), the filters, paging, and a download a
 * spreadsheet cannot run.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const PAGE = "/audit-log";
const CSV = "/audit-log.csv";

const ids = async (sql: string) => (await env.DB.prepare(sql).all<{ id: number }>()).results.map((r) => r.id);
/** Organizations and programs from the seed, a different few for each test so their events do not mix. */
let orgs: number[] = [];
let programs: number[] = [];
beforeAll(async () => {
  orgs = await ids("SELECT id FROM organizations ORDER BY id LIMIT 40");
  programs = await ids("SELECT id FROM programs ORDER BY id");
});

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}${crypto.randomUUID().slice(0, 8)}`;

/**
 * A signed-in reader with the given roles: rows written straight into D1 (the
 * sign-in itself is tested elsewhere), a session of the given strength, and
 * its cookie in a Browser. A Security Official's role is for the first program
 * unless another is given (an official's authority is one program at one organization).
 */
async function reader(
  grants: { role: string; organizationId?: number | null; programId?: number | null }[],
  assurance: "strong" | "weak" = "strong",
) {
  const id = crypto.randomUUID();
  const loginId = unique("AUDIT")
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "");
  const now = Date.now();
  const token = randomToken();
  const statements = [
    env.DB.prepare(
      "INSERT INTO users (id, login_id, first_name, last_name, email, identity_verified_at, enrollment_completed_at, created_at, updated_at) VALUES (?, ?, 'Avery', 'Reader', ?, ?, ?, ?, ?)",
    ).bind(id, loginId, `${loginId.toLowerCase()}@example.test`, now, now, now, now),
    // First sign-in is done: a permanent password and challenge questions (never checked here).
    env.DB.prepare(
      "INSERT INTO password_credentials (user_id, hash, is_temporary, changed_at) VALUES (?, 'not-used', 0, ?)",
    ).bind(id, now),
    env.DB.prepare(
      "INSERT INTO challenge_answers (id, user_id, question_key, answer_hash, created_at) VALUES (?, ?, 'first_pet', 'not-used', ?)",
    ).bind(crypto.randomUUID(), id, now),
    env.DB.prepare(
      "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).bind(hashToken(token), id, now, now, now + 3600_000, assurance, assurance === "strong" ? now : null),
    ...grants.map((g) =>
      env.DB.prepare(
        "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) SELECT ?, ?, id, ?, ?, 'active', ? FROM roles WHERE code = ?",
      ).bind(
        crypto.randomUUID(),
        id,
        g.programId === undefined && g.role === "OSO" ? programs[0] : (g.programId ?? null),
        g.organizationId ?? null,
        now,
        g.role,
      ),
    ),
  ];
  await env.DB.batch(statements);
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, token);
  return { id, loginId, browser };
}

interface EventInput {
  type?: string;
  outcome?: "success" | "failure" | "info";
  at?: number;
  organizationId?: number | null;
  programId?: number | null;
  actorUserId?: string | null;
  subjectUserId?: string | null;
  requestId?: string | null;
  traceId?: string;
}

/**
 * Audit events as the services write them (the log is append-only: tests only add).
 * An event at an organization is of the first program unless `programId` says otherwise (null: none).
 */
async function addEvents(events: EventInput[]) {
  const statement = env.DB.prepare(
    "INSERT INTO audit_events (occurred_at, event_type, outcome, actor_user_id, subject_user_id, organization_id, program_id, trace_id, access_request_id, details_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
  );
  await env.DB.batch(
    events.map((e) =>
      statement.bind(
        e.at ?? Date.now(),
        e.type ?? "signin.success",
        e.outcome ?? "success",
        e.actorUserId ?? null,
        e.subjectUserId ?? null,
        e.organizationId ?? null,
        e.programId === undefined ? (e.organizationId != null ? programs[0] : null) : e.programId,
        e.traceId ?? unique("trace-"),
        e.requestId ?? null,
      ),
    ),
  );
}

/** One column's cells, top to bottom (`key` as in the route's columns). */
const cellsIn = (html: string, key: string) =>
  [...html.matchAll(new RegExp(`headers="audit-events-${key}"[^>]*>([^<]*)<`, "g"))].map((m) =>
    m[1]
      .replace(/&#x27;/g, "'")
      .replace(/&amp;/g, "&")
      .replace(/\u202f/g, " "),
  );
/** The Trace ID of every row the page shows, top to bottom. */
const tracesIn = (html: string) => cellsIn(html, "trace");

/** The CSV's records (no quoted line breaks in these tests). */
const csvRecords = (text: string) => text.split("\r\n").filter(Boolean);

const requestId = () => {
  const alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
  return `QR-${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => alphabet[b % 30]).join("")}`;
};

describe("who may read the Audit Log", () => {
  it("an ordinary user gets 404 for the page and the CSV; a signed-out visitor is sent to sign in", async () => {
    const { browser } = await reader([{ role: "END_USER", organizationId: orgs[0] }]);
    expect((await browser.get(PAGE)).status).toBe(404);
    expect((await browser.get(`${CSV}?type=signin.success`)).status).toBe(404);

    const none = await reader([]);
    expect((await none.browser.get(PAGE)).status).toBe(404);

    const signedOut = await new Browser().get(PAGE);
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get("Location")).toMatch(/^\/login\?.*redirectTo=%2Faudit-log/);
  });

  it("a weak session is sent to step up and back, for the page and the CSV alike", async () => {
    const { browser } = await reader([{ role: "OSO", organizationId: orgs[1] }], "weak");
    const page = await browser.get(`${PAGE}?type=signin.failure`);
    expect(page.status).toBe(302);
    expect(page.headers.get("Location")).toBe(
      `/step-up?redirectTo=${encodeURIComponent("/audit-log?type=signin.failure")}`,
    );
    const csv = await browser.get(`${CSV}?type=signin.failure`);
    expect(csv.status).toBe(302);
    // After stepping up, the reader lands on the page with the same filters rather than on a bare download.
    expect(csv.headers.get("Location")).toBe(
      `/step-up?redirectTo=${encodeURIComponent("/audit-log?type=signin.failure")}`,
    );
  });
});

describe("each reader sees their scope", () => {
  it("a Security Official sees their organization's events and not another organization's", async () => {
    const [mine, other] = [orgs[2], orgs[3]];
    const { browser } = await reader([{ role: "OSO", organizationId: mine }]);
    const [ours, theirs, noOrg] = [unique("ours-"), unique("theirs-"), unique("no-org-")];
    await addEvents([
      { organizationId: mine, programId: programs[0], traceId: ours },
      { organizationId: other, programId: programs[0], traceId: theirs },
      { programId: programs[0], traceId: noOrg },
    ]);
    const response = await browser.get(PAGE);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<h1>Audit Log</h1>");
    expect(html).toContain("Security events of the programs at the organizations you approve for, newest first.");
    const traces = tracesIn(html);
    expect(traces).toEqual([ours]);
    // Places by name.
    const names = await env.DB.prepare(
      "SELECT (SELECT name FROM organizations WHERE id = ?) AS org, (SELECT name FROM programs WHERE id = ?) AS program",
    )
      .bind(mine, programs[0])
      .first<{ org: string; program: string }>();
    expect(cellsIn(html, "organization")).toEqual([names!.org]);
    expect(cellsIn(html, "program")).toEqual([names!.program]);
    expect(cellsIn(html, "outcome")).toEqual(["Success"]);
    expect(cellsIn(html, "event")).toEqual(["signin.success"]);
    expect(traces).not.toContain(theirs);
    expect(traces).not.toContain(noOrg);

    const csv = await (await browser.get(CSV)).text();
    expect(csv).toContain(ours);
    expect(csv).not.toContain(theirs);
    expect(csv).not.toContain(noOrg);
  });

  it("a Security Official of program A at X sees A's events at X only: not program B's at X, nor X's events without a program (page and CSV)", async () => {
    const org = orgs[20];
    const [programA, programB] = [programs[1], programs[2]];
    const { browser } = await reader([{ role: "OSO", organizationId: org, programId: programA }]);
    const [a, b, none] = [unique("so-a-"), unique("so-b-"), unique("so-none-")];
    await addEvents([
      { organizationId: org, programId: programA, traceId: a },
      { organizationId: org, programId: programB, traceId: b },
      { organizationId: org, programId: null, traceId: none },
    ]);
    const seen = tracesIn(await (await browser.get(PAGE)).text());
    expect(seen).toEqual([a]);
    const csv = await (await browser.get(CSV)).text();
    expect(csv).toContain(a);
    expect(csv).not.toContain(b);
    expect(csv).not.toContain(none);
  });

  it("a help-desk approver of program A does not see program B's events; one for every program sees both, not events without a program", async () => {
    const [programA, programB] = [programs[1], programs[2]];
    const desk = await reader([{ role: "HELP_DESK_APPROVER", programId: programA }]);
    const everyProgram = await reader([{ role: "HELP_DESK_APPROVER" }]);
    const [a, b, none] = [unique("prog-a-"), unique("prog-b-"), unique("no-prog-")];
    await addEvents([
      { programId: programA, organizationId: orgs[4], traceId: a },
      { programId: programB, organizationId: orgs[4], traceId: b },
      { organizationId: orgs[4], programId: null, traceId: none },
    ]);
    const seen = tracesIn(await (await desk.browser.get(PAGE)).text());
    expect(seen).toContain(a);
    expect(seen).not.toContain(b);
    expect(seen).not.toContain(none);

    const seenByAll = tracesIn(await (await everyProgram.browser.get(`${PAGE}?type=signin.success`)).text());
    expect(seenByAll).toEqual(expect.arrayContaining([a, b]));
    expect(seenByAll).not.toContain(none);
  });

  it("a help-desk approver's scope is their programs: the organization their role is held at adds nothing", async () => {
    const desk = await reader([{ role: "HELP_DESK_APPROVER", programId: programs[1], organizationId: orgs[5] }]);
    const [atOrg, elsewhere] = [unique("desk-org-"), unique("elsewhere-")];
    await addEvents([
      { organizationId: orgs[5], traceId: atOrg },
      { organizationId: orgs[6], traceId: elsewhere },
    ]);
    const seen = tracesIn(await (await desk.browser.get(PAGE)).text());
    expect(seen).not.toContain(atOrg);
    expect(seen).not.toContain(elsewhere);
  });

  it("an administrator sees every event, those without an organization or program included", async () => {
    const admin = await reader([{ role: "HELP_DESK_ADMINISTRATOR" }]);
    const [signIn, orgEvent] = [unique("admin-a-"), unique("admin-b-")];
    const rid = requestId();
    await addEvents([
      { traceId: signIn, requestId: rid },
      { organizationId: orgs[7], traceId: orgEvent, requestId: rid },
    ]);
    const html = await (await admin.browser.get(`${PAGE}?requestId=${rid}`)).text();
    expect(html).toContain("As an administrator you see every event.");
    expect(tracesIn(html).sort()).toEqual([signIn, orgEvent].sort());
  });
});

describe("filters", () => {
  it("filters by User ID (subject or actor, any case), Request ID, event type and Eastern dates, newest first", async () => {
    const org = orgs[8];
    const { browser } = await reader([{ role: "OSO", organizationId: org }]);
    const person = await reader([]);
    const rid = requestId();
    // 2026-03-09 begins at 04:00 UTC (daylight saving time began on the 8th).
    const lateOnThe8th = Date.UTC(2026, 2, 9, 3, 30);
    const earlyOnThe9th = Date.UTC(2026, 2, 9, 4, 30);
    const lateOnThe9th = Date.UTC(2026, 2, 10, 3, 59);
    const on10th = Date.UTC(2026, 2, 10, 4, 0);
    const t = {
      subject: unique("subj-"),
      actor: unique("actor-"),
      request: unique("req-"),
      type: unique("type-"),
      d8: unique("d8-"),
      d9a: unique("d9a-"),
      d9b: unique("d9b-"),
      d10: unique("d10-"),
    };
    await addEvents([
      { organizationId: org, subjectUserId: person.id, traceId: t.subject, at: Date.UTC(2026, 0, 5) },
      { organizationId: org, actorUserId: person.id, traceId: t.actor, at: Date.UTC(2026, 0, 6) },
      { organizationId: org, requestId: rid, traceId: t.request, type: "access_request.submitted" },
      { organizationId: org, type: "mfa.device_removed", traceId: t.type },
      { organizationId: org, traceId: t.d8, at: lateOnThe8th, type: "password.changed" },
      { organizationId: org, traceId: t.d9a, at: earlyOnThe9th, type: "password.changed" },
      { organizationId: org, traceId: t.d9b, at: lateOnThe9th, type: "password.changed" },
      { organizationId: org, traceId: t.d10, at: on10th, type: "password.changed" },
    ]);

    const userHtml = await (await browser.get(`${PAGE}?userId=${person.loginId.toLowerCase()}`)).text();
    expect(tracesIn(userHtml)).toEqual([t.actor, t.subject]);
    // People by User ID; "None" where the event has nobody in that place.
    expect(cellsIn(userHtml, "actor")).toEqual([person.loginId, "None"]);
    expect(cellsIn(userHtml, "subject")).toEqual(["None", person.loginId]);
    // Eastern time: midnight UTC on January 6 is 7 p.m. on the 5th.
    expect(cellsIn(userHtml, "when")).toEqual(["Jan 5, 2026, 7:00 PM ET", "Jan 4, 2026, 7:00 PM ET"]);

    const byRequest = tracesIn(await (await browser.get(`${PAGE}?requestId=${rid.toLowerCase()}`)).text());
    expect(byRequest).toEqual([t.request]);

    const typeHtml = await (await browser.get(`${PAGE}?type=mfa.device_removed`)).text();
    expect(tracesIn(typeHtml)).toEqual([t.type]);
    expect(typeHtml).toMatch(/<option value="mfa.device_removed" selected="">/);

    const byDates = tracesIn(
      await (
        await browser.get(`${PAGE}?type=password.changed&from=03/09/2026&to=${encodeURIComponent("3/9/2026")}`)
      ).text(),
    );
    expect(byDates).toEqual([t.d9b, t.d9a]);
    const fromOnly = tracesIn(await (await browser.get(`${PAGE}?type=password.changed&from=03092026`)).text());
    expect(fromOnly).toEqual([t.d10, t.d9b, t.d9a]);
    const toOnly = tracesIn(await (await browser.get(`${PAGE}?type=password.changed&to=03/08/2026`)).text());
    expect(toOnly).toEqual([t.d8]);

    // The CSV follows the same filters.
    const csv = csvRecords(
      await (await browser.get(`${CSV}?type=password.changed&from=03/09/2026&to=03/09/2026`)).text(),
    );
    expect(csv).toHaveLength(3);
    expect(csv[1]).toContain(t.d9b);
    expect(csv[1].startsWith("2026-03-10T03:59:00.000Z,password.changed,Success,")).toBe(true);
    expect(csv[2]).toContain(t.d9a);
  });

  it("a bad date shows its message next to the field and keeps the other filters, without a server error", async () => {
    const { browser } = await reader([{ role: "OSO", organizationId: orgs[9] }]);
    const rid = requestId();
    const response = await browser.get(
      `${PAGE}?userId=someone42&requestId=${rid}&type=signin.failure&from=02/30/2026&to=03/01/2026`,
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    // The message sits with the From field, which points to it.
    expect(html).toMatch(
      /<p class="ds-c-inline-error" id="audit-filters-from-error">.*Enter the From date as mm\/dd\/yyyy/,
    );
    expect(html).toMatch(/<input[^>]*id="audit-filters-from"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/<input[^>]*id="audit-filters-from"[^>]*aria-describedby="[^"]*audit-filters-from-error/);
    expect(html).toMatch(/<input[^>]*id="audit-filters-from"[^>]*value="02\/30\/2026"/);
    // Everything else as it was typed.
    expect(html).toMatch(/<input[^>]*name="userId"[^>]*value="someone42"/);
    expect(html).toMatch(new RegExp(`<input[^>]*name="requestId"[^>]*value="${rid}"`));
    expect(html).toMatch(/<option value="signin.failure" selected="">/);
    expect(html).toMatch(/<input[^>]*id="audit-filters-to"[^>]*value="03\/01\/2026"/);
    expect(html).not.toContain("audit-filters-to-error");
    expect(html).toContain("Correct the filters above to see events.");

    // Years the log cannot hold are refused by their field, not a server error.
    for (const far of ["from=01/01/1800", "to=12/31/9999"]) {
      const response = await browser.get(`${PAGE}?${far}`);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(`id="audit-filters-${far.slice(0, far.indexOf("="))}-error"`);
    }

    // A To before the From, a malformed Request ID and User ID: each says so by its own field.
    const backwards = await (await browser.get(`${PAGE}?from=03/02/2026&to=03/01/2026`)).text();
    expect(backwards).toContain('id="audit-filters-to-error"');
    expect(backwards).toContain("Enter a To date on or after the From date.");
    const others = await (await browser.get(`${PAGE}?requestId=QR-1&userId=a'b`)).text();
    expect(others).toContain('id="audit-filters-requestId-error"');
    expect(others).toContain('id="audit-filters-userId-error"');

    // The CSV refuses the same input plainly.
    const csv = await browser.get(`${CSV}?from=13/45/2026`);
    expect(csv.status).toBe(400);
    expect(await csv.text()).toContain("Enter the From date as mm/dd/yyyy");
  });
});

describe("the CSV", () => {
  it("has the header row, the filtered rows, and cells a spreadsheet would run are neutralised", async () => {
    const org = orgs[10];
    const { browser } = await reader([{ role: "OSO", organizationId: org }]);
    const rid = requestId();
    const plain = unique("plain-");
    await addEvents([
      { organizationId: org, requestId: rid, traceId: plain, at: Date.UTC(2026, 4, 1, 12) },
      {
        organizationId: org,
        requestId: rid,
        traceId: '=HYPERLINK("http://evil.example","x")',
        at: Date.UTC(2026, 4, 2),
      },
      { organizationId: org, requestId: rid, traceId: "+1-2", at: Date.UTC(2026, 4, 3) },
      { organizationId: org, requestId: rid, traceId: "@SUM(A1)", at: Date.UTC(2026, 4, 4) },
      { organizationId: org, requestId: rid, traceId: "-3", at: Date.UTC(2026, 4, 5) },
      { organizationId: org, requestId: rid, traceId: "\tTAB", at: Date.UTC(2026, 4, 6) },
      { organizationId: orgs[11], requestId: rid, traceId: unique("not-mine-") },
    ]);
    const response = await browser.get(`${CSV}?requestId=${rid}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const records = csvRecords(await response.text());
    expect(records[0]).toBe(
      "When (UTC),Event,Outcome,Actor (User ID),Subject (User ID),Organization,Program,Request ID,Trace ID",
    );
    expect(records).toHaveLength(7);
    const traceCells = records.slice(1).map((r) => r.slice(r.indexOf(rid) + rid.length + 1));
    expect(traceCells).toEqual([
      "'\tTAB",
      "'-3",
      "'@SUM(A1)",
      "'+1-2",
      // Quoted (it holds commas and quotes), quotes doubled, and the apostrophe inside the quotes.
      `"'=HYPERLINK(""http://evil.example"",""x"")"`,
      plain,
    ]);
    expect(records[6].startsWith(`2026-05-01T12:00:00.000Z,signin.success,Success,,,`)).toBe(true);

    // The download is itself on the record.
    const logged = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE event_type = 'audit_log.exported' AND details_json LIKE ?",
    )
      .bind(`%${rid}%`)
      .first<{ n: number }>();
    expect(logged?.n).toBe(1);
  });

  it("stops at the row limit and says there were more", async () => {
    const org = orgs[12];
    const rid = requestId();
    await addEvents(
      Array.from({ length: 5 }, (_, i) => ({ organizationId: org, requestId: rid, at: Date.UTC(2026, 5, 1, i) })),
    );
    const official = { isSecurityOfficial: true, isHelpDesk: false, isAdmin: false };
    const scope = { all: false as const, grants: [{ ...official, programId: programs[0], organizationId: org }] };
    const db = createDb(env.DB);
    const cut = await exportAuditLog({ db }, scope, { requestId: rid }, 3);
    expect(cut.rows).toHaveLength(3);
    expect(cut.truncated).toBe(true);
    expect(cut.rows[0].occurredAt.toISOString()).toBe("2026-06-01T04:00:00.000Z");
    const whole = await exportAuditLog({ db }, scope, { requestId: rid }, 5);
    expect(whole).toMatchObject({ truncated: false });
    expect(whole.rows).toHaveLength(5);
  });
});

describe("paging", () => {
  it("shows 50 events a page, newest first, with page 2 carrying the filters", async () => {
    const org = orgs[13];
    const { browser } = await reader([{ role: "OSO", organizationId: org }]);
    const base = Date.UTC(2026, 6, 1);
    const traces = Array.from({ length: 120 }, (_, i) => `page-${org}-${String(i).padStart(3, "0")}`);
    await addEvents(
      traces.map((traceId, i) => ({ organizationId: org, type: "mfa.code_sent", traceId, at: base + i * 60_000 })),
    );
    const newestFirst = [...traces].reverse();

    const first = await (await browser.get(`${PAGE}?type=mfa.code_sent`)).text();
    expect(tracesIn(first)).toEqual(newestFirst.slice(0, 50));
    expect(first).toContain("120 events found, page 1 of 3");
    expect(first).toContain('href="/audit-log?type=mfa.code_sent&amp;page=2"');
    expect(first).toContain('href="/audit-log.csv?type=mfa.code_sent"');

    const second = await (await browser.get(`${PAGE}?type=mfa.code_sent&page=2`)).text();
    expect(tracesIn(second)).toEqual(newestFirst.slice(50, 100));
    expect(second).toMatch(/aria-label="Page 2" aria-current="page"/);

    const third = await (await browser.get(`${PAGE}?type=mfa.code_sent&page=3`)).text();
    expect(tracesIn(third)).toEqual(newestFirst.slice(100));
    // A page past the end shows the last one; a page that is not a number, the first.
    expect(tracesIn(await (await browser.get(`${PAGE}?type=mfa.code_sent&page=99`)).text())).toEqual(
      newestFirst.slice(100),
    );
    expect(tracesIn(await (await browser.get(`${PAGE}?type=mfa.code_sent&page=x`)).text())).toEqual(
      newestFirst.slice(0, 50),
    );
  });
});
