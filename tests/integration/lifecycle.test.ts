import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../app/.server/access/authorize";
import { RECERTIFICATION_PERIOD_MS, recertifyRole } from "../../app/.server/access/recertify";
import { createDeps } from "../../app/.server/deps";
import { runScheduledJobs } from "../../worker/scheduled";
import { seedDatabase } from "../factories/seed";
import { waitForEmail } from "../factories/users";

/**
 * The cron's lifecycle jobs on a fixed clock. The jobs see every row in this
 * file's database, so each test has its own organization and people and only
 * looks at its own rows; every run is repeated at the same clock to prove that
 * it changes nothing more and sends nothing more.
 */

const DAY = 24 * 60 * 60 * 1000;
/** Noon in New York (EDT): Eastern and UTC dates agree. */
const T0 = Date.UTC(2026, 5, 15, 16, 0, 0);
const at = (ms: number) => new Date(ms);

let sequence = 0;
const unique = (tag: string) => `${tag}-${++sequence}-${crypto.randomUUID().slice(0, 8)}`;

async function makeOrganization(name: string): Promise<number> {
  const row = await env.DB.prepare(
    `INSERT INTO organizations (external_key, name, org_type_id, city, state, zip, created_at, updated_at)
     VALUES (?, ?, (SELECT id FROM organization_types WHERE name = 'Provider'), 'DAYTON', 'OH', '45402', ?, ?) RETURNING id`,
  )
    .bind(`test:${unique("org")}`, name, T0, T0)
    .first<{ id: number }>();
  return row!.id;
}

async function programId(code = "IQR"): Promise<number> {
  return (await env.DB.prepare("SELECT id FROM programs WHERE code = ?").bind(code).first<{ id: number }>())!.id;
}

interface Person {
  id: string;
  email: string;
}

/** A user; approvers get a confirmed authenticator app (deciding needs a strong factor). */
async function makeUser(
  tag: string,
  options: { lastSignInAt?: number | null; createdAt?: number; device?: boolean; firstName?: string } = {},
): Promise<Person> {
  const id = unique(tag);
  const email = `${id}@example.test`;
  const createdAt = options.createdAt ?? T0 - 100 * DAY;
  const statements = [
    env.DB.prepare(
      "INSERT INTO users (id, login_id, first_name, last_name, email, last_sign_in_at, created_at, updated_at) VALUES (?, ?, ?, 'Example', ?, ?, ?, ?)",
    ).bind(
      id,
      id.toUpperCase().replace(/[^A-Z0-9]/g, ""),
      options.firstName ?? "Pat",
      email,
      options.lastSignInAt === undefined ? T0 : options.lastSignInAt,
      createdAt,
      createdAt,
    ),
  ];
  if (options.device) {
    statements.push(
      env.DB.prepare(
        "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, created_at, confirmed_at) VALUES (?, ?, 'totp', 'Phone', 'TOTP-TEST', ?, ?)",
      ).bind(`${id}-totp`, id, createdAt, createdAt),
    );
  }
  await env.DB.batch(statements);
  return { id, email };
}

async function makeRequest(options: {
  userId: string;
  organizationId: number;
  approverUserId: string;
  createdAt: number;
  status?: string;
  roleCode?: string;
}): Promise<string> {
  const id = `QR-${unique("LC")
    .replace(/[^A-Z0-9]/gi, "")
    .toUpperCase()}`;
  await env.DB.prepare(
    `INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_user_id, approver_kind, status, submission_key, created_at)
     VALUES (?, ?, ?, ?, (SELECT id FROM roles WHERE code = ?), ?, 'security_official', ?, ?, ?)`,
  )
    .bind(
      id,
      options.userId,
      await programId(),
      options.organizationId,
      options.roleCode ?? "END_USER",
      options.approverUserId,
      options.status ?? "pending",
      `sk-${id}`,
      options.createdAt,
    )
    .run();
  return id;
}

async function grant(options: {
  userId: string;
  roleCode: string;
  organizationId: number;
  accessRequestId?: string | null;
  endDate?: string | null;
  grantedAt?: number;
}): Promise<string> {
  const id = unique("ur");
  const grantedAt = options.grantedAt ?? T0 - 10 * DAY;
  await env.DB.prepare(
    `INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, access_request_id, end_date, status, granted_at, recertified_at)
     VALUES (?, ?, (SELECT id FROM roles WHERE code = ?), ?, ?, ?, ?, 'active', ?, ?)`,
  )
    .bind(
      id,
      options.userId,
      options.roleCode,
      await programId(),
      options.organizationId,
      options.accessRequestId ?? null,
      options.endDate ?? null,
      grantedAt,
      grantedAt,
    )
    .run();
  return id;
}

/** An organization's Security Official (strong device, role not subject to recertification). */
async function securityOfficial(organizationId: number, tag = "so") {
  const person = await makeUser(tag, { device: true, firstName: "Sasha" });
  await grant({ userId: person.id, roleCode: "OSO", organizationId });
  return person;
}

async function signIn(people: Person[], when: number) {
  await env.DB.batch(
    people.map((p) => env.DB.prepare("UPDATE users SET last_sign_in_at = ? WHERE id = ?").bind(when, p.id)),
  );
}

/** Outbox keys starting with `prefix` (queued or not). */
async function outboxKeys(prefix: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT idempotency_key AS k FROM outbox WHERE substr(idempotency_key, 1, length(?)) = ? ORDER BY idempotency_key",
  )
    .bind(prefix, prefix)
    .all<{ k: string }>();
  return results.map((r) => r.k);
}

/** Outbox keys that mention any of these ids. */
async function keysFor(...ids: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT idempotency_key AS k FROM outbox ORDER BY idempotency_key").all<{
    k: string;
  }>();
  return results.map((r) => r.k).filter((k) => ids.some((id) => k.includes(id)));
}

async function auditCount(eventType: string, subjectUserId: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM audit_events WHERE event_type = ? AND subject_user_id = ?",
  )
    .bind(eventType, subjectUserId)
    .first<{ n: number }>();
  return row!.n;
}

async function roleRow(id: string) {
  return env.DB.prepare(
    "SELECT status, ended_at, end_reason, recertified_at, recertified_by_user_id FROM user_roles WHERE id = ?",
  )
    .bind(id)
    .first<{
      status: string;
      ended_at: number | null;
      end_reason: string | null;
      recertified_at: number | null;
      recertified_by_user_id: string | null;
    }>();
}

/** Everything a job may change, across the whole database. */
async function snapshot() {
  const [outboxRows, audit, roleRows, requestRows] = await env.DB.batch([
    env.DB.prepare("SELECT count(*) AS n, sum(queued_at IS NULL) AS unqueued FROM outbox"),
    env.DB.prepare("SELECT count(*) AS n FROM audit_events"),
    env.DB.prepare("SELECT id, status, ended_at, end_reason, recertified_at FROM user_roles ORDER BY id"),
    env.DB.prepare("SELECT id, status, decided_at FROM access_requests ORDER BY id"),
  ]);
  return {
    outbox: outboxRows.results,
    audit: audit.results,
    roles: roleRows.results,
    requests: requestRows.results,
  };
}

const run = (ms: number) => runScheduledJobs(env, () => at(ms));

/** A run, then the same run again: the second changes nothing, writes no email and queues none. */
async function runTwice(ms: number) {
  const first = await run(ms);
  const before = await snapshot();
  const second = await run(ms);
  expect(await snapshot()).toEqual(before);
  expect(second).toMatchObject({
    expiredRequests: 0,
    requestReminders: 0,
    expiredRoles: 0,
    roleEndingNotices: 0,
    lapsedRoles: 0,
    recertificationReminders: 0,
    inactiveUsers: 0,
    inactivityWarnings: 0,
    queued: 0,
  });
  return first;
}

/** The program of every grant and request here (IQR): an official's authority is one program at one organization. */
let officialProgramId: number | null = null;

function officialActor(userId: string, organizationId: number, now: number, roleCode = "OSO"): Actor {
  return {
    userId,
    enrollmentCompleted: true,
    restrictedUntil: null,
    hasDevice: true,
    assurance: "strong",
    strongFactorAt: at(now - 60 * 1000),
    roles: [
      {
        roleCode,
        programId: officialProgramId,
        organizationId,
        isSecurityOfficial: true,
        isHelpDesk: false,
        isAdmin: false,
      },
    ],
  };
}

const client = { ip: "203.0.113.9", userAgent: "vitest" };

beforeAll(async () => {
  // Reference data only (programs, organization types, roles); each test makes its own organizations.
  await seedDatabase(env.DB, { organizations: [] });
  officialProgramId = await programId();
});

describe("pending requests", () => {
  it("remind the chosen approver after 3 and 7 days (not after 2), then another approver when the chosen one may no longer decide, and expire at 30 days with the requester's email", async () => {
    const org = await makeOrganization("REMINDER GENERAL HOSPITAL");
    const requester = await makeUser("requester");
    const chosen = await securityOfficial(org, "chosen");
    const other = await securityOfficial(org, "other");
    const created = T0 + 1000;
    const requestId = await makeRequest({
      userId: requester.id,
      organizationId: org,
      approverUserId: chosen.id,
      createdAt: created,
    });
    const people = [requester, chosen, other];

    await signIn(people, created + 2 * DAY);
    await runTwice(created + 2 * DAY);
    expect(await keysFor(requestId)).toEqual([]);

    await runTwice(created + 3 * DAY);
    expect(await keysFor(requestId)).toEqual([`request_reminder:3:${requestId}:${chosen.id}`]);
    const reminder = await waitForEmail(chosen.email, `Reminder: access request ${requestId}`);
    expect(reminder.body_text).toContain(`/role-requests/${requestId}`);

    // Still inside the first window: nothing more.
    await runTwice(created + 6 * DAY);
    expect(await keysFor(requestId)).toHaveLength(1);

    // The chosen approver loses the Security Official role: the day-7 reminder goes to the other one.
    await env.DB.prepare("UPDATE user_roles SET status = 'revoked' WHERE user_id = ?").bind(chosen.id).run();
    await runTwice(created + 7 * DAY);
    expect(await keysFor(requestId)).toEqual([
      `request_reminder:3:${requestId}:${chosen.id}`,
      `request_reminder:7:${requestId}:${other.id}`,
    ]);

    await signIn(people, created + 29 * DAY);
    await runTwice(created + 30 * DAY - 1);
    const pending = await env.DB.prepare("SELECT status FROM access_requests WHERE id = ?")
      .bind(requestId)
      .first<{ status: string }>();
    expect(pending?.status).toBe("pending");

    const result = await runTwice(created + 30 * DAY);
    expect(result.expiredRequests).toBeGreaterThanOrEqual(1);
    const expired = await env.DB.prepare("SELECT status, decided_at, decision_reason FROM access_requests WHERE id = ?")
      .bind(requestId)
      .first<{ status: string; decided_at: number; decision_reason: string }>();
    expect(expired).toEqual({
      status: "expired",
      decided_at: created + 30 * DAY,
      decision_reason: "Expired after 30 days without a decision",
    });
    expect(await auditCount("access_request.expired", requester.id)).toBe(1);
    expect(await keysFor(requestId)).toEqual([
      `request_expired:${requestId}`,
      `request_reminder:3:${requestId}:${chosen.id}`,
      `request_reminder:7:${requestId}:${other.id}`,
    ]);
    const mail = await waitForEmail(requester.email, `Your access request ${requestId} has expired`);
    expect(mail.body_text).toContain("REMINDER GENERAL HOSPITAL");
  });

  it("never remind about a request decided in the meantime", async () => {
    const org = await makeOrganization("DECIDED CLINIC");
    const requester = await makeUser("requester");
    const official = await securityOfficial(org);
    const requestId = await makeRequest({
      userId: requester.id,
      organizationId: org,
      approverUserId: official.id,
      createdAt: T0,
      status: "approved",
    });
    await runTwice(T0 + 3 * DAY);
    await runTwice(T0 + 30 * DAY);
    expect(await keysFor(requestId)).toEqual([]);
  });
});

describe("roles with an end date", () => {
  it("tell the holder 14 days and 1 day before the end date, and end the role after it", async () => {
    const org = await makeOrganization("ENDING MEDICAL CENTER");
    const holder = await makeUser("holder");
    const roleId = await grant({ userId: holder.id, roleCode: "END_USER", organizationId: org, endDate: "2026-07-01" });
    const day = (n: number) => T0 + n * DAY; // T0 is 2026-06-15 in New York

    await runTwice(day(1)); // 15 days left
    expect(await keysFor(roleId)).toEqual([]);

    await runTwice(day(2)); // 14 days left
    expect(await keysFor(roleId)).toEqual([`role_ending:14:${roleId}:2026-07-01`]);
    await waitForEmail(holder.email, "ENDING MEDICAL CENTER ends on Jul 1, 2026");

    await runTwice(day(14)); // 2 days left: still the first notice only
    expect(await keysFor(roleId)).toHaveLength(1);

    await runTwice(day(15)); // 1 day left
    expect(await keysFor(roleId)).toEqual([
      `role_ending:14:${roleId}:2026-07-01`,
      `role_ending:1:${roleId}:2026-07-01`,
    ]);
    await waitForEmail(holder.email, "ends tomorrow");

    await runTwice(day(16)); // the end date itself: the role lasts through it
    expect((await roleRow(roleId))?.status).toBe("active");

    await runTwice(day(17)); // the day after
    expect(await roleRow(roleId)).toMatchObject({
      status: "expired",
      ended_at: day(17),
      end_reason: "End date reached",
    });
    expect(await auditCount("user_role.expired", holder.id)).toBe(1);
    expect(await keysFor(roleId)).toContain(`role_expired:${roleId}`);
    await waitForEmail(holder.email, "role has ended");
  });
});

describe("annual recertification", () => {
  it("reminds the organization's Security Officials and the holder 30 and 7 days before the due date, then lapses the role", async () => {
    const org = await makeOrganization("RECERT REGIONAL HOSPITAL");
    const elsewhere = await makeOrganization("ANOTHER HOSPITAL");
    const holder = await makeUser("holder");
    const official = await securityOfficial(org);
    const stranger = await securityOfficial(elsewhere, "stranger");
    const requestId = await makeRequest({
      userId: holder.id,
      organizationId: org,
      approverUserId: official.id,
      createdAt: T0 - DAY,
      status: "approved",
    });
    const roleId = await grant({
      userId: holder.id,
      roleCode: "END_USER",
      organizationId: org,
      accessRequestId: requestId,
      grantedAt: T0,
    });
    // An administrator-granted role (no request) is never recertified.
    const adminGranted = await grant({ userId: holder.id, roleCode: "QBIC_REPORT_VIEWER", organizationId: org });
    const due = T0 + RECERTIFICATION_PERIOD_MS;
    const dueIso = new Date(due).toISOString();
    const people = [holder, official, stranger];
    const runAt = async (ms: number) => {
      await signIn(people, ms - DAY); // keep everyone clear of the inactivity rule
      return runTwice(ms);
    };

    await runAt(due - 30 * DAY - 60 * 1000);
    expect(await keysFor(roleId)).toEqual([]);

    await runAt(due - 30 * DAY);
    expect(await keysFor(roleId)).toEqual([
      `recert_notice:30:${roleId}:${dueIso}`,
      `recert_reminder:30:${roleId}:${dueIso}:${official.id}`,
    ]);
    const reminder = await waitForEmail(official.email, `role (request ${requestId}) by`);
    expect(reminder.body_text).toContain("RECERT REGIONAL HOSPITAL");
    await waitForEmail(holder.email, "must be recertified by");

    await runAt(due - 8 * DAY);
    expect(await keysFor(roleId)).toHaveLength(2);

    await runAt(due - 7 * DAY);
    expect(await keysFor(roleId)).toEqual([
      `recert_notice:30:${roleId}:${dueIso}`,
      `recert_notice:7:${roleId}:${dueIso}`,
      `recert_reminder:30:${roleId}:${dueIso}:${official.id}`,
      `recert_reminder:7:${roleId}:${dueIso}:${official.id}`,
    ]);
    expect(await keysFor(stranger.id)).toEqual([]);

    await runAt(due - 1000);
    expect((await roleRow(roleId))?.status).toBe("active");

    await runAt(due);
    expect(await roleRow(roleId)).toMatchObject({ status: "expired", ended_at: due, end_reason: "Not recertified" });
    expect(await auditCount("user_role.lapsed", holder.id)).toBe(1);
    expect(await keysFor(roleId)).toContain(`role_not_recertified:${roleId}:${dueIso}`);
    await waitForEmail(holder.email, "lapsed: not recertified");
    expect((await roleRow(adminGranted))?.status).toBe("active");
  });

  it("recertifyRole moves the due date, refuses the holder and another organization's Security Official, and writes one event for 10 parallel calls", async () => {
    const org = await makeOrganization("RECERTIFYING HOSPITAL");
    const elsewhere = await makeOrganization("UNRELATED HOSPITAL");
    const holder = await makeUser("holder");
    const official = await securityOfficial(org);
    const stranger = await securityOfficial(elsewhere, "stranger");
    const grantedAt = T0 + 2 * DAY;
    const due = grantedAt + RECERTIFICATION_PERIOD_MS;
    const requestId = await makeRequest({
      userId: holder.id,
      organizationId: org,
      approverUserId: official.id,
      createdAt: grantedAt - DAY,
      status: "approved",
    });
    const roleId = await grant({
      userId: holder.id,
      roleCode: "END_USER",
      organizationId: org,
      accessRequestId: requestId,
      grantedAt,
    });
    const adminGranted = await grant({ userId: holder.id, roleCode: "QBIC_REPORT_VIEWER", organizationId: org });
    const now = due - 10 * DAY;
    const deps = createDeps(env, { now: () => at(now) });

    expect(await recertifyRole(deps, officialActor(holder.id, org, now), roleId, client)).toEqual({
      ok: false,
      code: "own_role",
    });
    expect(await recertifyRole(deps, officialActor(stranger.id, elsewhere, now), roleId, client)).toEqual({
      ok: false,
      code: "refused",
      refusal: { ok: false, reason: "forbidden" },
    });
    expect(await recertifyRole(deps, officialActor(official.id, org, now), "no-such-role", client)).toEqual({
      ok: false,
      code: "not_found",
    });
    const stale = { ...officialActor(official.id, org, now), strongFactorAt: at(now - 60 * 60 * 1000) };
    expect(await recertifyRole(deps, stale, roleId, client)).toEqual({
      ok: false,
      code: "refused",
      refusal: { ok: false, reason: "step_up" },
    });
    expect(await recertifyRole(deps, officialActor(official.id, org, now), adminGranted, client)).toEqual({
      ok: false,
      code: "not_required",
    });
    expect(await auditCount("user_role.recertified", holder.id)).toBe(0);

    // A double click, ten times over: one recertification, one audit event, every call answered alike.
    const results = await Promise.all(
      Array.from({ length: 10 }, () => recertifyRole(deps, officialActor(official.id, org, now), roleId, client)),
    );
    for (const r of results)
      expect(r).toMatchObject({
        ok: true,
        value: { recertifiedAt: at(now), dueAt: at(now + RECERTIFICATION_PERIOD_MS) },
      });
    expect(results.filter((r) => r.ok && !r.value.replayed)).toHaveLength(1);
    expect(await auditCount("user_role.recertified", holder.id)).toBe(1);
    expect(await roleRow(roleId)).toMatchObject({
      status: "active",
      recertified_at: now,
      recertified_by_user_id: official.id,
    });

    // The old due date passes without a lapse; the new year's reminders key on the new due date.
    const people = [holder, official, stranger];
    await signIn(people, due);
    await runTwice(due + DAY);
    expect(await roleRow(roleId)).toMatchObject({ status: "active" });
    expect(await keysFor(roleId)).toEqual([]);
    const newDue = now + RECERTIFICATION_PERIOD_MS;
    await signIn(people, newDue - 31 * DAY);
    await runTwice(newDue - 30 * DAY);
    expect(await keysFor(roleId)).toEqual([
      `recert_notice:30:${roleId}:${new Date(newDue).toISOString()}`,
      `recert_reminder:30:${roleId}:${new Date(newDue).toISOString()}:${official.id}`,
    ]);

    // A minute later it may be recertified again (a new decision, a new event).
    const later = createDeps(env, { now: () => at(newDue - 30 * DAY) });
    expect(
      await recertifyRole(later, officialActor(official.id, org, newDue - 30 * DAY), roleId, client),
    ).toMatchObject({
      ok: true,
      value: { replayed: false },
    });
    expect(await auditCount("user_role.recertified", holder.id)).toBe(2);

    // A role that has lapsed cannot be recertified.
    await env.DB.prepare("UPDATE user_roles SET status = 'expired' WHERE id = ?").bind(roleId).run();
    expect(await recertifyRole(later, officialActor(official.id, org, newDue - 30 * DAY), roleId, client)).toEqual({
      ok: false,
      code: "not_active",
    });
  });
});

describe("inactivity", () => {
  it("warns on days 50, 55 and 59 without a sign-in and revokes every role at 60, only for people who hold a role", async () => {
    const org = await makeOrganization("IDLE HEALTH SYSTEM");
    const last = T0 + 5000;
    const idle = await makeUser("idle", { lastSignInAt: last });
    const roleless = await makeUser("roleless", { lastSignInAt: last });
    const first = await grant({ userId: idle.id, roleCode: "END_USER", organizationId: org });
    const second = await grant({ userId: idle.id, roleCode: "QBIC_REPORT_VIEWER", organizationId: org });
    const day = (n: number) => last + n * DAY;

    await runTwice(day(50) - 1);
    expect(await keysFor(idle.id, roleless.id)).toEqual([]);

    await runTwice(day(50));
    expect(await keysFor(idle.id, roleless.id)).toEqual([`inactivity_warning:50:${idle.id}:${last}`]);
    await waitForEmail(idle.email, "to keep your QualityNet roles");

    await runTwice(day(54));
    await runTwice(day(55));
    await runTwice(day(58));
    await runTwice(day(59));
    expect(await keysFor(idle.id, roleless.id)).toEqual([
      `inactivity_warning:50:${idle.id}:${last}`,
      `inactivity_warning:55:${idle.id}:${last}`,
      `inactivity_warning:59:${idle.id}:${last}`,
    ]);
    expect((await roleRow(first))?.status).toBe("active");

    await runTwice(day(60));
    for (const id of [first, second]) {
      expect(await roleRow(id)).toMatchObject({
        status: "revoked",
        ended_at: day(60),
        end_reason: "Inactive for 60 days",
      });
    }
    expect(await auditCount("user_role.revoked_inactive", idle.id)).toBe(2);
    expect(await outboxKeys(`inactivity_roles_removed:${idle.id}`)).toEqual([
      `inactivity_roles_removed:${idle.id}:${last}`,
    ]);
    const mail = await waitForEmail(idle.email, "removed after 60 days");
    expect(mail.body_text).toContain("End User at IDLE HEALTH SYSTEM");
    expect(await keysFor(roleless.id)).toEqual([]);

    // Nothing more once the roles are gone.
    await runTwice(day(61));
    expect(await keysFor(idle.id)).toHaveLength(4);
  });

  it("starts a new cycle when the user signs in again", async () => {
    const org = await makeOrganization("RETURNING CLINIC");
    const last = T0 + 7000;
    const user = await makeUser("returning", { lastSignInAt: last });
    const roleId = await grant({ userId: user.id, roleCode: "END_USER", organizationId: org });

    await runTwice(last + 50 * DAY);
    expect(await keysFor(user.id)).toEqual([`inactivity_warning:50:${user.id}:${last}`]);

    const again = last + 52 * DAY;
    await signIn([user], again);
    await runTwice(last + 55 * DAY);
    await runTwice(last + 60 * DAY);
    expect((await roleRow(roleId))?.status).toBe("active");
    expect(await keysFor(user.id)).toEqual([`inactivity_warning:50:${user.id}:${last}`]);

    await runTwice(again + 50 * DAY);
    expect(await keysFor(user.id)).toEqual([
      `inactivity_warning:50:${user.id}:${last}`,
      `inactivity_warning:50:${user.id}:${again}`,
    ]);
    await runTwice(again + 60 * DAY);
    expect((await roleRow(roleId))?.status).toBe("revoked");
  });
});

describe("overlapping runs", () => {
  it("two runs at the same moment change each request and role once, with one audit event and one email each", async () => {
    const X = T0 + 500 * DAY;
    const org = await makeOrganization("OVERLAP COMMUNITY HOSPITAL");
    const requester = await makeUser("requester", { lastSignInAt: X - DAY });
    const holder = await makeUser("holder", { lastSignInAt: X - DAY });
    const idle = await makeUser("idle", { lastSignInAt: X - 60 * DAY });
    const official = await makeUser("so", { lastSignInAt: X - DAY, device: true });
    await grant({ userId: official.id, roleCode: "OSO", organizationId: org, grantedAt: X - 10 * DAY });
    const requestId = await makeRequest({
      userId: requester.id,
      organizationId: org,
      approverUserId: official.id,
      createdAt: X - 30 * DAY,
    });
    const ended = await grant({
      userId: holder.id,
      roleCode: "END_USER",
      organizationId: org,
      endDate: new Date(X - 2 * DAY).toISOString().slice(0, 10),
      grantedAt: X - 10 * DAY,
    });
    const grantingRequest = await makeRequest({
      userId: holder.id,
      organizationId: org,
      approverUserId: official.id,
      createdAt: X - RECERTIFICATION_PERIOD_MS - DAY,
      status: "approved",
      roleCode: "QBIC_ANALYST",
    });
    const unrecertified = await grant({
      userId: holder.id,
      roleCode: "QBIC_ANALYST",
      organizationId: org,
      accessRequestId: grantingRequest,
      grantedAt: X - RECERTIFICATION_PERIOD_MS,
    });
    const idleRole = await grant({
      userId: idle.id,
      roleCode: "END_USER",
      organizationId: org,
      grantedAt: X - 90 * DAY,
    });

    await Promise.all([run(X), run(X)]);

    expect(await auditCount("access_request.expired", requester.id)).toBe(1);
    expect(await auditCount("user_role.expired", holder.id)).toBe(1);
    expect(await auditCount("user_role.lapsed", holder.id)).toBe(1);
    expect(await auditCount("user_role.revoked_inactive", idle.id)).toBe(1);
    expect((await roleRow(ended))?.status).toBe("expired");
    expect((await roleRow(unrecertified))?.end_reason).toBe("Not recertified");
    expect((await roleRow(idleRole))?.end_reason).toBe("Inactive for 60 days");
    expect(await keysFor(requestId, ended, unrecertified, idle.id)).toEqual([
      `inactivity_roles_removed:${idle.id}:${X - 60 * DAY}`,
      `request_expired:${requestId}`,
      `role_expired:${ended}`,
      `role_not_recertified:${unrecertified}:${new Date(X).toISOString()}`,
    ]);
    await runTwice(X);
  });
});
