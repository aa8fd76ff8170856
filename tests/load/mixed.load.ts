import { DatabaseSync } from "node:sqlite";
import { expect, inject, it } from "vitest";
import { baseURL } from "../e2e/support/browser";
import { createSignedInUser, type SignedInUser } from "../e2e/support/signed-in-user";

/**
 * `npm run test:load` (not part of `npm test`): 60 seconds of mixed traffic at
 * a fixed rate against the built app on `wrangler dev` (loopback): people
 * browsing the public screens, signing in with an authenticator code,
 * searching organizations, submitting role requests, and a help-desk approver
 * approving them. Requests start on a clock, whatever the answers' speed (an
 * open loop). Expected: no 5xx, every request answered, every email the
 * traffic caused delivered once.
 */
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const RATE = Number(process.env.LOAD_RATE ?? 8); // operations a second
const PEOPLE = 40;

/** A browser: a cookie jar over fetch. */
/** The start of every 5xx answer's body, so a failure report says which layer answered. */
const errorBodies = new WeakMap<Response, string>();

class Client {
  cookies = new Map<string, string>();
  constructor(readonly ip: string) {}
  private header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  private keep(response: Response) {
    for (const c of response.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const [name, ...rest] = pair.split("=");
      if (attrs.some((a) => /max-age=0/i.test(a))) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), rest.join("="));
    }
  }
  async get(path: string) {
    const r = await fetch(`${baseURL()}${path}`, {
      redirect: "manual",
      headers: { Cookie: this.header(), "CF-Connecting-IP": this.ip },
    });
    this.keep(r);
    const body = await r.text();
    if (r.status >= 500) errorBodies.set(r, body.slice(0, 300));
    return r;
  }
  async post(path: string, fields: Record<string, string>) {
    const r = await fetch(`${baseURL()}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        Cookie: this.header(),
        Origin: baseURL(),
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
        "CF-Connecting-IP": this.ip,
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.keep(r);
    const body = await r.text();
    if (r.status >= 500) errorBodies.set(r, body.slice(0, 300));
    return r;
  }
}

const ipOf = (i: number) => `203.0.113.${(i % 250) + 1}`;
const usDate = () => {
  const iso = new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" });
  return `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
};

it("60 seconds of browsing, sign-ins, searches, requests and approvals: no 5xx, nothing lost", async () => {
  const db = new DatabaseSync(inject("localD1File"), { readOnly: true });
  const one = <T>(sql: string, ...params: (string | number)[]) => db.prepare(sql).get(...params) as T;
  const qies = one<{ id: number }>("SELECT id FROM programs WHERE code = 'QIES'").id;
  const oso = one<{ id: number }>("SELECT id FROM roles WHERE code = 'OSO'").id;
  // Organizations with no Security Official yet: a request for the role goes to the help desk.
  const orgs = (
    db
      .prepare(
        "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.organization_id = o.id) ORDER BY o.id LIMIT 40",
      )
      .all() as { id: number }[]
  ).map((o) => o.id);
  const startedAt = Date.now();

  const people: SignedInUser[] = [];
  for (let i = 0; i < PEOPLE; i++) people.push(await createSignedInUser());
  const approver = await createSignedInUser({ roles: [{ role: "HELP_DESK_APPROVER" }] });
  // Signed-in browsers for searching and requesting (their sessions from the factory).
  const sessions = people.map((p, i) => {
    const c = new Client(ipOf(i));
    for (const cookie of p.cookies) c.cookies.set(cookie.name, cookie.value);
    return c;
  });
  const desk = new Client(ipOf(PEOPLE));
  for (const cookie of approver.cookies) desk.cookies.set(cookie.name, cookie.value);

  const counts: Record<string, { sent: number; answered: number; status: Record<string, number> }> = {};
  const fiveHundreds: string[] = [];
  const record = async (kind: string, work: () => Promise<Response>) => {
    counts[kind] ??= { sent: 0, answered: 0, status: {} };
    counts[kind].sent++;
    const r = await work();
    counts[kind].answered++;
    const bucket = `${Math.floor(r.status / 100)}xx`;
    counts[kind].status[bucket] = (counts[kind].status[bucket] ?? 0) + 1;
    if (r.status >= 500)
      fiveHundreds.push(`${kind} ${r.status} trace ${r.headers.get("X-Trace-Id")}: ${errorBodies.get(r) ?? ""}`);
    return r;
  };

  const submitted: string[] = [];
  let signIns = 0;
  let requests = 0;
  const operations: Record<string, () => Promise<unknown>> = {
    browse: async () => {
      const c = new Client(ipOf(Math.floor(Math.random() * 200) + 50));
      for (const path of ["/", "/destination", "/terms?program=IQR"]) await record("browse", () => c.get(path));
    },
    signIn: async () => {
      const person = people[signIns++ % PEOPLE];
      const c = new Client(ipOf(PEOPLE + 1 + (signIns % 100)));
      await record("sign-in", () => c.post("/terms", { intent: "accept", program: "IQR" }));
      await record("sign-in", () => c.post("/login", { intent: "next", userId: person.loginId }));
      const done = await record("sign-in", () =>
        c.post("/login", {
          intent: "login",
          userId: person.loginId,
          password: person.password,
          deviceType: "totp",
          code: person.computeTotp(),
        }),
      );
      if (done.status === 302) await record("sign-in", () => c.get(done.headers.get("Location") ?? "/welcome"));
    },
    search: async () => {
      const c = sessions[Math.floor(Math.random() * PEOPLE)];
      const word = ["medical", "ohio", "survey", "center", "mem"][Math.floor(Math.random() * 5)];
      await record("search", () => c.get(`/my-account/request-access/organizations?name=${word}`));
    },
    request: async () => {
      const i = requests++;
      const c = sessions[i % PEOPLE];
      const r = await record("request", () =>
        c.post("/my-account/request-access", {
          intent: "confirm",
          submissionKey: `load${crypto.randomUUID().replaceAll("-", "")}`,
          programId: String(qies),
          organizationId: String(orgs[i % orgs.length]),
          roleId: String(oso),
          startDate: usDate(),
          endDateNotApplicable: "on",
          approverUserId: approver.userId,
          additionalInfo: "Quality lead.",
          comments: "Load test.",
        }),
      );
      const id = /\/my-account\/requests\/(QR-[A-Z0-9-]+)/.exec(r.headers.get("Location") ?? "")?.[1];
      if (id) submitted.push(id);
    },
    approve: async () => {
      const id = submitted.shift();
      if (!id) return;
      await record("approve", () => desk.post(`/role-requests/${id}`, { intent: "approve" }));
    },
  };
  const mix: [string, number][] = [
    ["browse", 0.45],
    ["signIn", 0.15],
    ["search", 0.2],
    ["request", 0.12],
    ["approve", 0.08],
  ];
  const pick = () => {
    let x = Math.random();
    for (const [name, share] of mix) {
      x -= share;
      if (x < 0) return name;
    }
    return "browse";
  };

  const running: Promise<unknown>[] = [];
  const total = SECONDS * RATE;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    running.push(operations[pick()]());
  }
  const settled = await Promise.allSettled(running);
  const failed = settled.filter((s) => s.status === "rejected").map((s) => String((s as PromiseRejectedResult).reason));
  const elapsed = (Date.now() - t0) / 1000;

  // Every email the traffic caused (each is written to the outbox with its change) is delivered once:
  // wait for the outbox, the queue and its consumer.
  const emailsOf = () =>
    one<{ written: number; delivered: number; duplicates: number }>(
      `SELECT count(*) AS written,
              sum(EXISTS (SELECT 1 FROM dev_mailbox m WHERE m.idempotency_key = o.idempotency_key)) AS delivered,
              sum((SELECT count(*) FROM dev_mailbox m WHERE m.idempotency_key = o.idempotency_key) > 1) AS duplicates
         FROM outbox o WHERE o.created_at >= ?`,
      startedAt,
    );
  for (let i = 0; i < 60 && emailsOf().delivered < emailsOf().written; i++)
    await new Promise((r) => setTimeout(r, 1000));
  const emails = emailsOf();
  db.close();

  const lines = Object.entries(counts).map(
    ([kind, c]) =>
      `| ${kind} | ${c.sent} | ${c.answered} | ${Object.entries(c.status)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ")} |`,
  );
  console.log(
    [
      "",
      `${total} operations in ${elapsed.toFixed(1)} s (${RATE}/s), ${PEOPLE} people and an approver`,
      "",
      "| Traffic | requests sent | answered | statuses |",
      "| --- | --- | --- | --- |",
      ...lines,
      "",
      `Role requests submitted ${requests}; emails written ${emails.written}, delivered ${emails.delivered}, delivered twice ${emails.duplicates}`,
      "A sign-in refused (4xx) is the same person's authenticator code used twice in one 30-second step: refused by design.",
      "",
    ].join("\n"),
  );
  expect(failed, "operations that threw").toEqual([]);
  expect(fiveHundreds, "5xx answers").toEqual([]);
  for (const [kind, c] of Object.entries(counts)) expect(c.answered, kind).toBe(c.sent);
  expect(emails.delivered, "emails delivered").toBe(emails.written);
  expect(emails.duplicates, "emails delivered twice").toBe(0);
});
