import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../app/.server/auth/session";
import { hashToken, randomToken } from "../../app/.server/auth/tokens";
import { createDb } from "../../app/.server/db/client";
import type { ImportChunkMessage } from "../../app/.server/mail/messages";
import {
  previewImport,
  resumeImports,
  STALLED_AFTER_MS,
  startImport,
  writeImportChunk,
} from "../../app/.server/organizations/import";
import { searchOrganizations } from "../../app/.server/organizations/search";
import { MAX_IMPORT_BYTES } from "../../app/lib/organization-admin";
import { npiCheckDigit } from "../../app/lib/organization-identifiers";
import { handleImportBatch, IMPORT_QUEUE } from "../../worker/queue";
import { Browser, fetchWorker, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";

/**
 * Administration › Organizations (SPEC 2.8): who may see and change the
 * directory, create, edit, deactivate, duplicates and races, and the CSV import
 * (preview, import, re-import changing nothing).
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}${crypto.randomUUID().slice(0, 8)}`;
const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");
const letters = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => "ABCDEFGHJKLMNPQRSTUVWXYZ"[b % 24]).join("");
/** A fresh NPI with a valid check digit. */
/**
 * A fresh NPI with a valid check digit. NPIs begin with 1 or 2; the seed's begin with 1, so these begin
 * with 2, and a random one matching a seeded organization (which the import would rightly update) cannot happen.
 */
const newNpi = () => {
  const nine = `2${digits(8)}`;
  return `${nine}${npiCheckDigit(nine)}`;
};
/** The same NPI with its check digit wrong. */
const badNpi = () => {
  const good = newNpi();
  return `${good.slice(0, 9)}${(Number(good[9]) + 1) % 10}`;
};
const newCcn = () => `Z${digits(5)}`;
const newTin = () => `9${digits(8)}`;
/** A name word no seeded organization has, so a search finds only this test's. */
const newWord = () => `QX${letters(8)}`;

/** A signed-in user with these roles, written straight into D1, with a session of the given strength. */
async function signedIn(roles: string[], session: { assurance?: "strong" | "weak"; strongFactorAgoMs?: number } = {}) {
  const id = crypto.randomUUID();
  const loginId = unique("ADMORG")
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "");
  const now = Date.now();
  const token = randomToken();
  const assurance = session.assurance ?? "strong";
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO users (id, login_id, first_name, last_name, email, identity_verified_at, enrollment_completed_at, created_at, updated_at) VALUES (?, ?, 'Riley', 'Admin', ?, ?, ?, ?, ?)",
    ).bind(id, loginId, `${loginId.toLowerCase()}@example.test`, now, now, now, now),
    env.DB.prepare(
      "INSERT INTO password_credentials (user_id, hash, is_temporary, changed_at) VALUES (?, 'not-used', 0, ?)",
    ).bind(id, now),
    env.DB.prepare(
      "INSERT INTO challenge_answers (id, user_id, question_key, answer_hash, created_at) VALUES (?, ?, 'first_pet', 'not-used', ?)",
    ).bind(crypto.randomUUID(), id, now),
    env.DB.prepare(
      "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, assurance, strong_factor_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).bind(
      hashToken(token),
      id,
      now,
      now,
      now + 3600_000,
      assurance,
      assurance === "strong" ? now - (session.strongFactorAgoMs ?? 0) : null,
    ),
    ...roles.map((role) =>
      env.DB.prepare(
        "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) SELECT ?, ?, id, NULL, (SELECT id FROM organizations ORDER BY id LIMIT 1), 'active', ? FROM roles WHERE code = ?",
      ).bind(crypto.randomUUID(), id, now, role),
    ),
  ]);
  const browser = new Browser();
  browser.cookies.set(SESSION_COOKIE, token);
  return { id, browser };
}

const admin = () => signedIn(["HELP_DESK_ADMINISTRATOR"]);

/** A same-origin multipart post with a CSV file, as the import form sends it. */
function postFile(browser: Browser, path: string, fields: Record<string, string>, csv: string, name = "orgs.csv") {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  body.append("file", new File([csv], name, { type: "text/csv" }));
  return fetchWorker(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Host: HOST,
      Origin: ORIGIN,
      "Sec-Fetch-Site": "same-origin",
      Cookie: [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; "),
      "CF-Connecting-IP": browser.ip,
    },
    body,
  });
}

const orgForm = (overrides: Record<string, string> = {}) => ({
  intent: "save",
  name: `${newWord()} Community Hospital`,
  orgType: "Provider",
  address1: "12 Elm Street",
  address2: "",
  city: "Columbus",
  state: "OH",
  zip: "43215",
  country: "",
  ccn: "",
  npi: "",
  tin: "",
  ...overrides,
});

const idFrom = (response: Response) =>
  Number(/\/admin\/organizations\/(\d+)/.exec(response.headers.get("Location") ?? "")?.[1]);

const row = (id: number) =>
  env.DB.prepare("SELECT * FROM organizations WHERE id = ?").bind(id).first<{
    name: string;
    city: string;
    status: string;
    npi: string | null;
    ccn: string | null;
    tin: string | null;
    updated_at: number;
  }>();

const eventsFor = async (organizationId: number) =>
  (
    await env.DB.prepare(
      "SELECT event_type, actor_user_id, details_json FROM audit_events WHERE organization_id = ? ORDER BY id",
    )
      .bind(organizationId)
      .all<{ event_type: string; actor_user_id: string; details_json: string }>()
  ).results;

const search = (name: string) => searchOrganizations({ db: createDb(env.DB) }, { name });

const decode = (html: string) =>
  html
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");

describe("who may administer organizations", () => {
  const pages = [
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/organizations/import",
    "/admin/organizations/template.csv",
  ];

  it("answers 404 to pages and actions without the Help Desk Administrator role", async () => {
    const { id: userId, browser } = await signedIn(["HELP_DESK_APPROVER", "END_USER"]);
    for (const page of pages) expect((await browser.get(page)).status, page).toBe(404);
    const someOrg = await env.DB.prepare("SELECT id FROM organizations ORDER BY id LIMIT 1").first<{ id: number }>();
    expect((await browser.get(`/admin/organizations/${someOrg?.id}`)).status).toBe(404);
    expect((await browser.post("/admin/organizations/new", orgForm({ npi: newNpi() }))).status).toBe(404);
    expect((await browser.post(`/admin/organizations/${someOrg?.id}`, { intent: "deactivate" })).status).toBe(404);
    expect((await postFile(browser, "/admin/organizations/import", {}, "name\n")).status).toBe(404);
    expect((await row(someOrg?.id as number))?.status).toBe("Active");
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM organization_imports WHERE actor_user_id = ?")
        .bind(userId)
        .first("n"),
    ).toBe(0);
  });

  it("sends a weak session to step up for the pages", async () => {
    const { browser } = await signedIn(["HELP_DESK_ADMINISTRATOR"], { assurance: "weak" });
    const response = await browser.get("/admin/organizations");
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/step-up?redirectTo=%2Fadmin%2Forganizations");
  });

  it("shows the pages with a strong factor older than 15 minutes, but asks to step up for every change", async () => {
    const { browser } = await signedIn(["HELP_DESK_ADMINISTRATOR"], { strongFactorAgoMs: 20 * 60 * 1000 });
    for (const page of pages) expect((await browser.get(page)).status, page).toBe(200);
    const npi = newNpi();
    const create = await browser.post("/admin/organizations/new", orgForm({ npi }));
    expect(create.status).toBe(302);
    expect(create.headers.get("Location")).toMatch(/^\/step-up\?redirectTo=%2Fadmin%2Forganizations%2Fnew/);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM organizations WHERE npi = ?").bind(npi).first("n")).toBe(0);
    const someOrg = await env.DB.prepare("SELECT id FROM organizations ORDER BY id LIMIT 1").first<{ id: number }>();
    const deactivate = await browser.post(`/admin/organizations/${someOrg?.id}`, { intent: "deactivate" });
    expect(deactivate.headers.get("Location")).toMatch(/^\/step-up\?/);
    const preview = await postFile(browser, "/admin/organizations/import", {}, "name\n");
    expect(preview.headers.get("Location")).toMatch(/^\/step-up\?/);
  });
});

describe("create, edit, deactivate", () => {
  it("creates an organization that both searches find, audited with its values", async () => {
    const { id: adminId, browser } = await admin();
    const word = newWord();
    const npi = newNpi();
    const response = await browser.post(
      "/admin/organizations/new",
      orgForm({ name: `${word} Regional Clinic`, npi, ccn: newCcn().toLowerCase(), tin: newTin() }),
    );
    expect(response.status).toBe(302);
    const id = idFrom(response);
    expect(response.headers.get("Location")).toBe(`/admin/organizations/${id}?saved=created`);
    const stored = await row(id);
    expect(stored).toMatchObject({ name: `${word} REGIONAL CLINIC`, city: "COLUMBUS", status: "Active", npi });
    expect(stored?.ccn).toMatch(/^Z\d{5}$/);
    expect(stored?.tin).toMatch(/^\d{2}-\d{7}$/);

    const found = await search(word.toLowerCase());
    expect(found.hits.map((h) => h.id)).toEqual([id]);
    const page = await browser.get(`/my-account/request-access/organizations?name=${word.toLowerCase()}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`${word} REGIONAL CLINIC`);
    const adminPage = await browser.get(`/admin/organizations?name=${word}`);
    expect(await adminPage.text()).toContain(`href="/admin/organizations/${id}"`);

    const events = await eventsFor(id);
    expect(events.map((e) => e.event_type)).toEqual(["organization.created"]);
    expect(events[0].actor_user_id).toBe(adminId);
    expect(JSON.parse(events[0].details_json).after).toMatchObject({ name: `${word} REGIONAL CLINIC`, npi });
  });

  it("keeps what was typed and says what is wrong next to each field", async () => {
    const { browser } = await admin();
    const word = newWord();
    const response = await browser.post(
      "/admin/organizations/new",
      orgForm({ name: `${word} Home Health`, npi: badNpi(), ccn: "12345", tin: "1234", zip: "4321" }),
    );
    expect(response.status).toBe(400);
    const html = decode(await response.text());
    expect(html).toContain("This NPI's check digit is wrong");
    expect(html).toContain("Enter a CCN of exactly 6 letters or digits.");
    expect(html).toContain("Enter a TIN of 9 digits");
    expect(html).toContain("Enter a ZIP code of 5 or 9 digits");
    expect(html).toContain(`value="${word} Home Health"`);
    expect((await search(word)).total).toBe(0);
  });

  it("refuses an identifier another organization holds", async () => {
    const { browser } = await admin();
    const npi = newNpi();
    const first = await browser.post("/admin/organizations/new", orgForm({ npi }));
    expect(first.status).toBe(302);
    const firstName = (await row(idFrom(first)))?.name;
    const second = await browser.post("/admin/organizations/new", orgForm({ npi }));
    expect(second.status).toBe(400);
    expect(decode(await second.text())).toContain(`Another organization (${firstName}) already has this NPI.`);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM organizations WHERE npi = ?").bind(npi).first("n")).toBe(1);
  });

  it("creates one organization from 10 identical creates at once with the same NPI", async () => {
    const { browser } = await admin();
    const form = orgForm({ npi: newNpi() });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => browser.post("/admin/organizations/new", form)),
    );
    expect(responses.filter((r) => r.status === 302)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(9);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM organizations WHERE npi = ?").bind(form.npi).first("n"),
    ).toBe(1);
    const id = idFrom(responses.find((r) => r.status === 302) as Response);
    expect((await eventsFor(id)).map((e) => e.event_type)).toEqual(["organization.created"]);
    expect(
      await env.DB.prepare(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'organization.created' AND details_json LIKE ?",
      )
        .bind(`%${form.npi}%`)
        .first("n"),
    ).toBe(1);
  });

  it("audits an edit with the values before and after, and only what changed", async () => {
    const { browser } = await admin();
    const form = orgForm({ npi: newNpi() });
    const id = idFrom(await browser.post("/admin/organizations/new", form));
    const edit = await browser.post(`/admin/organizations/${id}`, { ...form, city: "Dayton", address2: "Suite 4" });
    expect(edit.status).toBe(302);
    expect(edit.headers.get("Location")).toBe(`/admin/organizations/${id}?saved=updated`);
    expect((await row(id))?.city).toBe("DAYTON");
    const events = await eventsFor(id);
    expect(events.map((e) => e.event_type)).toEqual(["organization.created", "organization.updated"]);
    expect(JSON.parse(events[1].details_json)).toEqual({
      before: { address2: "", city: "COLUMBUS" },
      after: { address2: "SUITE 4", city: "DAYTON" },
    });
    // The same values again: nothing to save, nothing audited.
    const again = await browser.post(`/admin/organizations/${id}`, { ...form, city: "Dayton", address2: "Suite 4" });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("Nothing was changed.");
    expect(await eventsFor(id)).toHaveLength(2);
  });

  it("deactivates (Inactive in search) and reactivates, each audited once", async () => {
    const { browser } = await admin();
    const word = newWord();
    const id = idFrom(await browser.post("/admin/organizations/new", orgForm({ name: `${word} Dialysis` })));
    expect((await browser.post(`/admin/organizations/${id}`, { intent: "deactivate" })).status).toBe(302);
    expect((await search(word)).hits.map((h) => [h.id, h.status])).toEqual([[id, "Inactive"]]);
    // Twice: the second finds it already inactive and records nothing.
    await browser.post(`/admin/organizations/${id}`, { intent: "deactivate" });
    const userPage = await browser.get(`/my-account/request-access/organizations?name=${word}`);
    expect(await userPage.text()).toContain("Inactive");
    expect((await browser.post(`/admin/organizations/${id}`, { intent: "reactivate" })).status).toBe(302);
    expect((await search(word)).hits[0].status).toBe("Active");
    const events = await eventsFor(id);
    expect(events.map((e) => e.event_type)).toEqual([
      "organization.created",
      "organization.deactivated",
      "organization.reactivated",
    ]);
    expect(JSON.parse(events[1].details_json)).toEqual({ before: { status: "Active" }, after: { status: "Inactive" } });
  });
});

describe("CSV import", () => {
  const header = "Name,Org Type,Address1,Address2,City,State,ZIP,Country,CCN,NPI,TIN";

  it("an upload past the size limit is too_large from previewImport, read no further than the limit, and nothing of it is kept", async () => {
    const { id: adminId } = await admin();
    const fileName = `too-large-${crypto.randomUUID()}.csv`;
    const piece = new TextEncoder().encode(`${"A".repeat(1024 * 1024 - 1)}\n`);
    let sent = 0;
    const upload = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far more than the limit: the reading must stop at it.
        if (sent >= MAX_IMPORT_BYTES * 4) return controller.close();
        sent += piece.byteLength;
        controller.enqueue(piece.slice());
      },
    });
    const deps = { db: createDb(env.DB), now: () => new Date(), traceId: "too-large" };
    expect(await previewImport(deps, { userId: adminId }, upload, fileName)).toEqual({ ok: false, code: "too_large" });
    expect(sent).toBeLessThan(MAX_IMPORT_BYTES + 16 * piece.byteLength);
    const kept = await env.DB.prepare("SELECT count(*) AS n FROM organization_imports WHERE file_name = ?")
      .bind(fileName)
      .first<{ n: number }>();
    expect(kept?.n).toBe(0);
  });

  function file() {
    const word = newWord();
    const good = [0, 1, 2].map((i) => ({ name: `${word} Imported ${i}`, npi: newNpi(), ccn: newCcn(), tin: newTin() }));
    const lines = [
      header,
      ...good.map((g, i) => `"${g.name}, Inc.",Provider,${i} Main St,,Akron,oh,44308,,${g.ccn},${g.npi},${g.tin}`),
      `${word} Bad Npi,Provider,,,Akron,OH,44308,,,${badNpi()},`,
      `${word} Short Ccn,Provider,,,Akron,OH,44308,,${newCcn().slice(0, 5)},,`,
      `,Provider,,,Akron,OH,44308,,,${newNpi()},`,
    ];
    return { word, good, csv: `${lines.join("\r\n")}\r\n` };
  }

  const errorRows = (html: string) =>
    [...html.matchAll(/headers="import-errors-row"[^>]*>(\d+)</g)].map((m) => Number(m[1]));
  const importEvents = async (sha: string) =>
    (
      await env.DB.prepare(
        "SELECT details_json FROM audit_events WHERE event_type = 'organization.imported' AND json_extract(details_json, '$.sha256') = ? ORDER BY id",
      )
        .bind(sha)
        .all<{ details_json: string }>()
    ).results.map((r) => JSON.parse(r.details_json));
  const importRow = (id: string) =>
    env.DB.prepare("SELECT * FROM organization_imports WHERE id = ?")
      .bind(id)
      .first<{ status: string; sha256: string; chunks: number; valid_rows: number }>();

  /** Preview: the upload answers with the import's page; returns its id and that page. */
  async function preview(browser: Browser, csv: string) {
    const response = await postFile(browser, "/admin/organizations/import", {}, csv);
    expect(response.status).toBe(303);
    const location = response.headers.get("Location") ?? "";
    const id = /\?import=([0-9a-f-]{36})$/.exec(location)?.[1] as string;
    expect(id).toBeTruthy();
    const page = await browser.get(location);
    expect(page.status).toBe(200);
    return { id, html: decode(await page.text()) };
  }

  /** "Import", then the import queue's consumer for every chunk still pending, as the queue would deliver them. */
  async function runImport(browser: Browser, id: string, options: { deliveries?: number } = {}) {
    const started = await browser.post(`/admin/organizations/import?import=${id}`, { import: id });
    expect(started.status).toBe(303);
    await deliverChunks(id, options.deliveries ?? 1);
    return decode(await (await browser.get(`/admin/organizations/import?import=${id}`)).text());
  }

  /**
   * "Import" through the service, with the queue's sends captured: what the
   * consumer then receives, and when, is the test's to decide.
   */
  async function startCaptured(id: string, userId: string) {
    const sent: ImportChunkMessage[] = [];
    const deps = {
      db: createDb(env.DB),
      now: () => new Date(),
      traceId: "test",
      enqueueImport: async (messages: ImportChunkMessage[]) => {
        sent.push(...messages);
      },
    };
    expect(await startImport(deps, { userId }, id, { ip: null, userAgent: null })).toBe(true);
    return sent;
  }

  async function deliverChunks(id: string, deliveries = 1, seqs?: number[]) {
    const pending =
      seqs ??
      (
        await env.DB.prepare("SELECT seq FROM organization_import_chunks WHERE import_id = ? ORDER BY seq")
          .bind(id)
          .all<{ seq: number }>()
      ).results.map((r) => r.seq);
    const batches = Array.from({ length: deliveries }, () =>
      createMessageBatch<ImportChunkMessage>(
        IMPORT_QUEUE,
        pending.map((seq) => ({
          id: `m-${seq}-${crypto.randomUUID()}`,
          timestamp: new Date(),
          attempts: 1,
          body: { type: "organization-import", importId: id, seq },
        })),
      ),
    );
    // Several deliveries of the same messages at once, as a redelivering queue could.
    await Promise.all(batches.map((batch) => handleImportBatch(batch, env)));
  }

  it("previews 3 bad rows with their problems and writes nothing, then imports the rest; the same file again changes nothing", async () => {
    const { browser } = await admin();
    const { word, good, csv } = file();

    const { id, html } = await preview(browser, csv);
    expect(errorRows(html)).toEqual([5, 6, 7]);
    expect(html).toContain("This NPI's check digit is wrong");
    expect(html).toContain("Enter a CCN of exactly 6 letters or digits.");
    expect(html).toContain("Enter the organization's name.");
    expect(html).toContain("6 rows read: 3 valid, 3 with errors.");
    expect(html).toContain("Import 3 valid rows");
    const sha = (await importRow(id))?.sha256 as string;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(html).toContain(sha);
    expect((await search(word)).total).toBe(0);

    const done = await runImport(browser, id);
    expect(done).toContain("Import finished");
    expect(done).toContain("Created 3, updated 0, unchanged 0, skipped 0; 3 rows with errors not imported.");
    expect(done).not.toContain("Import 3 valid rows");
    const found = await search(word);
    expect(found.hits.map((h) => h.name).sort()).toEqual(good.map((g) => `${g.name.toUpperCase()}, INC.`).sort());
    const ids = found.hits.map((h) => h.id);
    const before = await Promise.all(ids.map(row));
    expect(before.map((r) => r?.npi).sort()).toEqual(good.map((g) => g.npi).sort());
    expect(before.every((r) => /^\d{2}-\d{7}$/.test(r?.tin ?? ""))).toBe(true);
    // Each organization's creation is audited with its values, written in the chunk's batch.
    for (const orgId of ids) {
      const events = await eventsFor(orgId);
      expect(events.map((e) => e.event_type)).toEqual(["organization.created"]);
      expect(JSON.parse(events[0].details_json)).toMatchObject({ importId: id, after: { city: "AKRON", state: "OH" } });
    }

    // Starting it again (a second click) queues nothing.
    const again = await browser.post(`/admin/organizations/import?import=${id}`, { import: id });
    expect(again.status).toBe(303);
    expect((await importRow(id))?.status).toBe("done");

    // The same file again: every row unchanged, nothing written but the import's own events.
    const second = await preview(browser, csv);
    expect(await runImport(browser, second.id)).toContain("Created 0, updated 0, unchanged 3, skipped 0");
    expect(await Promise.all(ids.map(row))).toEqual(before);
    for (const orgId of ids) expect(await eventsFor(orgId), String(orgId)).toHaveLength(1);
    const events = await importEvents(sha);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ rows: 6, created: 3, updated: 0, unchanged: 0, skipped: 0, invalid: 3 });
    expect(events[1]).toMatchObject({ rows: 6, created: 0, updated: 0, unchanged: 3, skipped: 0, invalid: 3 });

    // A changed value in a later file updates that organization only, audited before and after.
    const changed = csv.replace("0 Main St", "0 Main Street");
    const third = await preview(browser, changed);
    expect(await runImport(browser, third.id)).toContain("Created 0, updated 1, unchanged 2, skipped 0");
    const updatedEvents = (await Promise.all(ids.map(eventsFor)))
      .flat()
      .filter((e) => e.event_type === "organization.updated");
    expect(updatedEvents).toHaveLength(1);
    expect(JSON.parse(updatedEvents[0].details_json)).toMatchObject({
      before: { address1: "0 MAIN ST" },
      after: { address1: "0 MAIN STREET" },
    });
  });

  it("10 parallel Import posts start the import once: one start event, its chunks queued once", async () => {
    const { browser } = await admin();
    const { id } = await preview(browser, file().csv);
    const posts = await Promise.all(
      Array.from({ length: 10 }, () => browser.post(`/admin/organizations/import?import=${id}`, { import: id })),
    );
    expect(posts.map((r) => r.status)).toEqual(Array(10).fill(303));
    expect(
      await env.DB.prepare(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'organization.import_started' AND json_extract(details_json, '$.importId') = ?",
      )
        .bind(id)
        .first("n"),
    ).toBe(1);
    expect((await importRow(id))?.status).toMatch(/^(running|done)$/);
  });

  it("writes 2,500 rows in 25 chunks through the queue; three deliveries of every chunk at once write each row once", async () => {
    const { id: adminId, browser } = await admin();
    const word = newWord();
    // 2,500 different NPIs (random ones could repeat, which the preview would refuse).
    const npis = new Set<string>();
    while (npis.size < 2500) npis.add(newNpi());
    const rows = [...npis].map((npi, i) => `${word} Clinic ${i},Provider,,,Akron,OH,44308,,,${npi},`);
    const csv = `${header}\n${rows.join("\n")}\n`;
    const { id, html } = await preview(browser, csv);
    expect(html).toContain("2,500 rows read: 2,500 valid, 0 with errors.");
    expect((await importRow(id))?.chunks).toBe(25);
    // Staged, not written.
    expect((await search(word)).total).toBe(0);

    const sent = await startCaptured(id, adminId);
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // Halfway: the page shows the progress.
    await deliverChunks(id, 1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const halfway = decode(await (await browser.get(`/admin/organizations/import?import=${id}`)).text());
    expect(halfway).toContain("Imported 1,000 of 2,500 rows (40%).");
    expect(halfway).toMatch(/<progress[^>]*max="2500"[^>]*value="1000"|<progress[^>]*value="1000"[^>]*max="2500"/);
    expect(halfway).toContain("Refresh progress");

    await deliverChunks(id, 3);
    const done = decode(await (await browser.get(`/admin/organizations/import?import=${id}`)).text());
    expect(done).toContain("Created 2,500, updated 0, unchanged 0, skipped 0; 0 rows with errors not imported.");
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM organizations WHERE name LIKE ?").bind(`${word}%`).first("n"),
    ).toBe(2500);
    expect(
      await env.DB.prepare(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'organization.created' AND json_extract(details_json, '$.importId') = ?",
      )
        .bind(id)
        .first("n"),
    ).toBe(2500);
    const finished = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE event_type = 'organization.imported' AND json_extract(details_json, '$.importId') = ?",
    )
      .bind(id)
      .first("n");
    expect(finished).toBe(1);
  });

  it("a chunk that fails is retried and shown as waiting; the cron queues again what no consumer finished", async () => {
    const { id: adminId, browser } = await admin();
    const { word, csv } = file();
    const { id } = await preview(browser, csv);
    await startCaptured(id, adminId);
    // The first attempt fails: the chunk's rows cannot be read for a moment.
    const staged = await env.DB.prepare("SELECT rows_json FROM organization_import_chunks WHERE import_id = ?")
      .bind(id)
      .first<string>("rows_json");
    await env.DB.prepare("UPDATE organization_import_chunks SET rows_json = 'not json' WHERE import_id = ?")
      .bind(id)
      .run();
    const batch = createMessageBatch<ImportChunkMessage>(IMPORT_QUEUE, [
      { id: "m-fail", timestamp: new Date(), attempts: 1, body: { type: "organization-import", importId: id, seq: 0 } },
    ]);
    await handleImportBatch(batch, env);
    expect(await getQueueResult(batch, createExecutionContext())).toMatchObject({
      retryMessages: [{ msgId: "m-fail" }],
    });
    const waiting = decode(await (await browser.get(`/admin/organizations/import?import=${id}`)).text());
    expect(waiting).toContain("1 part of the file could not be written yet and will be tried again");
    expect(waiting).toContain("Imported 0 of 3 rows (0%).");

    // Readable again, but the queue gave up on the message: the cron queues the chunk again once it is stale.
    await env.DB.prepare("UPDATE organization_import_chunks SET rows_json = ? WHERE import_id = ?")
      .bind(staged, id)
      .run();
    const sent: ImportChunkMessage[] = [];
    const cron = (atMs: number) => ({
      db: createDb(env.DB),
      now: () => new Date(atMs),
      traceId: "test",
      enqueueImport: async (messages: ImportChunkMessage[]) => {
        sent.push(...messages);
      },
    });
    await resumeImports(cron(Date.now()));
    expect(sent.filter((m) => m.importId === id)).toEqual([]);
    await resumeImports(cron(Date.now() + STALLED_AFTER_MS + 60_000));
    expect(sent.filter((m) => m.importId === id)).toEqual([{ type: "organization-import", importId: id, seq: 0 }]);
    await deliverChunks(id);
    const done = decode(await (await browser.get(`/admin/organizations/import?import=${id}`)).text());
    expect(done).toContain("Created 3, updated 0, unchanged 0, skipped 0");
    expect((await search(word)).total).toBe(3);
  });

  it("counts a row another administrator changed first as skipped, in the chunk's own batch, and audits only what was written", async () => {
    const { id: adminId, browser } = await admin();
    const { word, csv } = file();
    const first = await preview(browser, csv);
    await runImport(browser, first.id);
    const [org] = (await search(word)).hits.filter((h) => h.name.includes("IMPORTED 0"));
    // The next file changes that organization's address. The chunk reads the organization, then, before its batch,
    // someone edits the city: the batch's conditional update no longer matches.
    const changed = csv.replace("0 Main St", "0 Main Street");
    const next = await preview(browser, changed);
    await startCaptured(next.id, adminId);
    const db = createDb(env.DB);
    const racing = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== "batch") return Reflect.get(target, property, receiver);
        return async (statements: Parameters<typeof db.batch>[0]) => {
          await env.DB.prepare("UPDATE organizations SET city = 'DAYTON' WHERE id = ?").bind(org.id).run();
          return target.batch(statements);
        };
      },
    });
    expect(
      await writeImportChunk({ db: racing, now: () => new Date(), traceId: "test" }, { importId: next.id, seq: 0 }),
    ).toBe("written");
    const html = decode(await (await browser.get(`/admin/organizations/import?import=${next.id}`)).text());
    expect(html).toContain("Created 0, updated 0, unchanged 2, skipped 1");
    expect(html).toContain("Skipped rows");
    expect((await row(org.id))?.city).toBe("DAYTON");
    expect((await eventsFor(org.id)).map((e) => e.event_type)).toEqual(["organization.created"]);
    const [event] = (await importEvents((await importRow(next.id))?.sha256 as string)).slice(-1);
    expect(event).toMatchObject({ created: 0, updated: 0, unchanged: 2, skipped: 1 });
  });

  it("gives up on a chunk after 20 failed attempts: its rows are reported, and the import finishes", async () => {
    const { id: adminId, browser } = await admin();
    const { word, csv } = file();
    const { id } = await preview(browser, csv);
    await startCaptured(id, adminId);
    await env.DB.prepare(
      "UPDATE organization_import_chunks SET attempts = 20, last_error = 'D1_ERROR: overloaded' WHERE import_id = ?",
    )
      .bind(id)
      .run();
    const sent: ImportChunkMessage[] = [];
    const result = await resumeImports({
      db: createDb(env.DB),
      now: () => new Date(Date.now() + STALLED_AFTER_MS + 60_000),
      traceId: "test",
      enqueueImport: async (messages: ImportChunkMessage[]) => {
        sent.push(...messages);
      },
    });
    expect(result.givenUp).toBeGreaterThanOrEqual(1);
    expect(sent.filter((m) => m.importId === id)).toEqual([]);
    const html = decode(await (await browser.get(`/admin/organizations/import?import=${id}`)).text());
    expect(html).toContain("Created 0, updated 0, unchanged 0, skipped 3");
    expect(html).toContain("Rows 2 to 4 could not be written after repeated attempts (D1_ERROR: overloaded)");
    expect((await importRow(id))?.status).toBe("done");
    expect((await search(word)).total).toBe(0);
  });

  it("reads a refused file to its end even when it arrives a few bytes at a time, and answers with the preview", async () => {
    const { browser } = await admin();
    const boundary = "----bound4ry";
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bad.csv"\r\nContent-Type: text/csv\r\n\r\n`,
      `name,city\r\n${"A,B\r\n".repeat(2000)}`,
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="after"\r\n\r\nstill read\r\n--${boundary}--\r\n`,
    ].join("");
    const bytes = new TextEncoder().encode(body);
    for (const size of [1, 7, 64]) {
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(offset, offset + size));
          offset += size;
        },
      });
      const response = await fetchWorker(`${ORIGIN}/admin/organizations/import`, {
        method: "POST",
        redirect: "manual",
        headers: {
          Host: HOST,
          Origin: ORIGIN,
          "Content-Type": `multipart/form-data; boundary=${boundary}`,
          Cookie: [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; "),
          "CF-Connecting-IP": browser.ip,
        },
        body: stream,
        // @ts-expect-error workerd's fetch needs this for a streamed request body
        duplex: "half",
      });
      expect(response.status, `${size}-byte pieces`).toBe(303);
      const page = decode(await (await browser.get(response.headers.get("Location") as string)).text());
      expect(page).toContain("The header row lacks the columns org_type, state, zip.");
    }
  });

  it("refuses a row with too many values or too long a value, without holding it", async () => {
    const { browser } = await admin();
    const wide = await preview(browser, `${header}\n${",".repeat(100)}\n`);
    expect(wide.html).toContain("Row 2 is too long: a row has at most 64 values of at most 4,096 characters each.");
    const long = await preview(browser, `${header}\n"${"x".repeat(70_000)}",Provider\n`);
    expect(long.html).toContain("Row 2 is too long");
  });

  it("refuses a file without the required columns", async () => {
    const { browser } = await admin();
    const { html } = await preview(browser, "name,city\nA,B\n");
    expect(html).toContain("The header row lacks the columns org_type, state, zip.");
    expect(html).not.toContain("valid row");
  });

  it("refuses a file of more than 100,000 rows with a message, writing nothing", async () => {
    const { browser } = await admin();
    const word = newWord();
    const lines = Array.from(
      { length: 100_001 },
      (_, i) => `${word} ${i},Provider,,,Akron,OH,44308,,,,${100000000 + i}`,
    );
    const csv = `${header}\n${lines.join("\n")}\n`;
    const { id, html } = await preview(browser, csv);
    expect(html).toContain("The file has more than 100,000 rows.");
    expect(html).not.toContain("valid row");
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM organization_import_chunks WHERE import_id = ?")
        .bind(id)
        .first("n"),
    ).toBe(0);
    // Nothing to start.
    await browser.post(`/admin/organizations/import?import=${id}`, { import: id });
    expect((await importRow(id))?.status).toBe("previewed");
    expect((await search(word)).total).toBe(0);
  });

  it("offers the template with every column", async () => {
    const { browser } = await admin();
    const response = await browser.get("/admin/organizations/template.csv");
    expect(response.headers.get("Content-Type")).toContain("text/csv");
    expect((await response.text()).split("\r\n")[0]).toBe(
      "name,org_type,address1,address2,city,state,zip,country,ccn,npi,tin",
    );
  });
});
