import { createExecutionContext, createMessageBatch, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../app/.server/access/authorize";
import { checkRequest, loadRequestForm } from "../../app/.server/access/requests";
import { updateRoleRules } from "../../app/.server/access/role-rules";
import { createDeps } from "../../app/.server/deps";
import { resendFailedEmail } from "../../app/.server/mail/failed-email";
import type { EmailQueueMessage, QueueMessageBody } from "../../app/.server/mail/messages";
import { MAX_OUTBOX_ATTEMPTS, outboxEmail, outboxInsert } from "../../app/.server/mail/outbox";
import worker from "../../worker/index";
import { Browser, fetchWorker } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, totpNow, waitForEmail } from "../factories/users";

/**
 * Administration (SPEC 2.8): Failed email with an exactly-once Resend, the
 * manual-proofing queue with its evidence and denial reasons, and the rules of
 * programs and roles, applied to the next request at once. Every page is for
 * the Help Desk Administrator with a strong session; every change needs a
 * strong factor from the last 15 minutes; all of it audited.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const one = async <T>(sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<T>())!;
const count = async (sql: string, ...params: unknown[]) => (await one<{ n: number }>(sql, ...params)).n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function grantRole(userId: string, roleCode: string) {
  await env.DB.prepare(
    "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) SELECT ?, ?, id, NULL, NULL, 'active', ? FROM roles WHERE code = ?",
  )
    .bind(crypto.randomUUID(), userId, Date.now(), roleCode)
    .run();
}

/** A user with an authenticator app, signed in strongly; an administrator unless told otherwise. */
async function signedIn(options: { admin?: boolean } = {}) {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const user = await createUser({ totpKey: key });
  if (options.admin !== false) await grantRole(user.id, "HELP_DESK_ADMINISTRATOR");
  const browser = new Browser();
  const response = await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
  expect(response.status).toBe(302);
  return { user, browser };
}

/** Waits until the queue has delivered `key` at least once, then a little longer for any second delivery. */
async function mailboxCount(key: string, settleMs = 1500) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await count("SELECT count(*) AS n FROM dev_mailbox WHERE idempotency_key = ?", key)) > 0) break;
    await sleep(100);
  }
  await sleep(settleMs);
  return count("SELECT count(*) AS n FROM dev_mailbox WHERE idempotency_key = ?", key);
}

const PAGES = ["/admin/failed-email", "/admin/proofing", "/admin/programs", "/admin/terms"];

describe("who may use Administration", () => {
  it("answers 404 to every page and every change without the Help Desk Administrator role", async () => {
    const { browser, user } = await signedIn({ admin: false });
    await grantRole(user.id, "HELP_DESK_APPROVER");
    for (const page of PAGES) {
      expect((await browser.get(page)).status).toBe(404);
      expect((await browser.post(page, { intent: "x" })).status).toBe(404);
    }
  });

  it("sends a weak session to step up for the pages, and a strong factor older than 15 minutes to step up for changes", async () => {
    const { browser, user } = await signedIn();
    for (const page of PAGES) expect((await browser.get(page)).status).toBe(200);

    await env.DB.prepare("UPDATE sessions SET strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now() - 16 * 60 * 1000, user.id)
      .run();
    for (const page of PAGES) {
      expect((await browser.get(page)).status).toBe(200);
      const change = await browser.post(page, { intent: "x" });
      expect(change.status).toBe(302);
      expect(change.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent(page)}`);
    }

    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(user.id)
      .run();
    for (const page of PAGES) {
      const read = await browser.get(page);
      expect(read.status).toBe(302);
      expect(read.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent(page)}`);
    }
  });
});

/** Hands messages to the dead-letter consumer, as the queue does after the last retry. */
async function deadLetter(message: EmailQueueMessage) {
  const batch = createMessageBatch<QueueMessageBody>("secure-portal-email-dlq", [
    { id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: message },
  ]);
  createExecutionContext();
  await worker.queue(batch, env);
}

describe("Failed email", () => {
  it("lists a dead-lettered email, and 10 parallel Resends deliver it exactly once, audited once", async () => {
    const key = `test:${crypto.randomUUID()}`;
    const to = `resend.${Date.now()}@secure-portal.localhost`;
    await deadLetter({ type: "email", template: "test", to, data: { note: "Resent once." }, idempotencyKey: key });
    const failed = await one<{ status: string; sealed: unknown }>(
      "SELECT status, sealed FROM email_log WHERE idempotency_key = ?",
      key,
    );
    expect(failed.status).toBe("failed");
    expect(failed.sealed).not.toBeNull();

    const { browser, user } = await signedIn();
    const page = await (await browser.get("/admin/failed-email")).text();
    expect(page).toContain(to);
    expect(page).toContain(key);
    // The menu counts what waits.
    expect(page).toMatch(/Failed email\s*(<!-- -->)?\s*<span class="badge">\d+<\/span>/);

    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        browser.post("/admin/failed-email", { source: "dead_letter", idempotencyKey: key }),
      ),
    );
    expect(answers.filter((r) => r.status === 302)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(9);

    expect(await mailboxCount(key)).toBe(1);
    const sent = await one<{ status: string; sealed: unknown }>(
      "SELECT status, sealed FROM email_log WHERE idempotency_key = ?",
      key,
    );
    expect(sent.status).toBe("sent");
    // Delivered: the kept copy is gone.
    expect(sent.sealed).toBeNull();
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'email.resent' AND actor_user_id = ? AND details_json LIKE ?",
        user.id,
        `%${key}%`,
      ),
    ).toBe(1);
    // Sent: no longer listed, and a late Resend changes nothing.
    expect(await (await browser.get("/admin/failed-email")).text()).not.toContain(key);
    const late = await browser.post("/admin/failed-email", { source: "dead_letter", idempotencyKey: key });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain("That email is no longer failed: someone resent it, or it was sent.");
    expect(await mailboxCount(key, 300)).toBe(1);
  });

  it("resends a dead letter that first went through the outbox: the queued row is taken up again under the same key", async () => {
    const to = `outboxed.${Date.now()}@secure-portal.localhost`;
    const deps = createDeps(env);
    const entry = await outboxEmail(deps, { template: "test", to, data: { note: "Queued, dead-lettered, resent." } });
    await outboxInsert(deps, entry);
    // Queued long ago: the outbox dropped its sealed copy, as drainOutbox does.
    await env.DB.prepare("UPDATE outbox SET attempts = 1, queued_at = ?, sealed = NULL WHERE idempotency_key = ?")
      .bind(Date.now() - 3_600_000, entry.idempotencyKey)
      .run();
    await deadLetter({
      type: "email",
      template: "test",
      to,
      data: { note: "Queued, dead-lettered, resent." },
      idempotencyKey: entry.idempotencyKey,
    });

    const { browser } = await signedIn();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        browser.post("/admin/failed-email", { source: "dead_letter", idempotencyKey: entry.idempotencyKey }),
      ),
    );
    expect(answers.filter((r) => r.status === 302)).toHaveLength(1);
    expect(await mailboxCount(entry.idempotencyKey)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM outbox WHERE idempotency_key = ?", entry.idempotencyKey)).toBe(1);
    const mail = await one<{ body_text: string }>(
      "SELECT body_text FROM dev_mailbox WHERE idempotency_key = ?",
      entry.idempotencyKey,
    );
    expect(mail.body_text).toContain("Queued, dead-lettered, resent.");
  });

  it("lists an outbox row retired after 10 attempts (recipient opened from the sealed message), and Resend queues it once", async () => {
    const to = `retired.${Date.now()}@secure-portal.localhost`;
    const deps = createDeps(env);
    const entry = await outboxEmail(deps, { template: "test", to, data: { note: "Retired, then resent." } });
    await outboxInsert(deps, entry);
    await env.DB.prepare("UPDATE outbox SET attempts = ?, claimed_at = ? WHERE idempotency_key = ?")
      .bind(MAX_OUTBOX_ATTEMPTS, Date.now() - 3_600_000, entry.idempotencyKey)
      .run();

    const { browser, user } = await signedIn();
    const page = await (await browser.get("/admin/failed-email")).text();
    expect(page).toContain(entry.idempotencyKey);
    expect(page).toContain(to);

    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        browser.post("/admin/failed-email", { source: "outbox", idempotencyKey: entry.idempotencyKey }),
      ),
    );
    expect(answers.filter((r) => r.status === 302)).toHaveLength(1);
    expect(await mailboxCount(entry.idempotencyKey)).toBe(1);
    const row = await one<{ queued_at: number | null; attempts: number }>(
      "SELECT queued_at, attempts FROM outbox WHERE idempotency_key = ?",
      entry.idempotencyKey,
    );
    expect(row.queued_at).not.toBeNull();
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'email.resent' AND actor_user_id = ? AND details_json LIKE ?",
        user.id,
        `%${entry.idempotencyKey}%`,
      ),
    ).toBe(1);
  });
});

async function openReview(userId: string) {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    "INSERT INTO proofing_reviews (id, user_id, status, note, created_at) VALUES (?, ?, 'open', 'Call after 3 pm', ?)",
  )
    .bind(id, userId, Date.now())
    .run();
  return id;
}

describe("Manual proofing in Administration", () => {
  it("an approval records the evidence checked, who checked it and when; it needs the document and its last 4", async () => {
    const { browser, user: admin } = await signedIn();
    const applicant = await createUser();
    const reviewId = await openReview(applicant.id);
    expect(await (await browser.get("/admin/proofing")).text()).toContain(applicant.loginId);

    const missing = await browser.post("/admin/proofing", { reviewId, intent: "verify" });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Choose the document you checked.");

    const before = Date.now();
    const done = await browser.post("/admin/proofing", {
      reviewId,
      intent: "verify",
      evidenceType: "passport",
      evidenceLast4: "x9k2",
    });
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/admin/proofing?decided=1");
    const review = await one<Record<string, string | number>>("SELECT * FROM proofing_reviews WHERE id = ?", reviewId);
    expect(review).toMatchObject({
      status: "verified",
      evidence_type: "passport",
      evidence_last4: "X9K2",
      decided_by_user_id: admin.id,
      denial_reason: null,
    });
    expect(Number(review.decided_at)).toBeGreaterThanOrEqual(before);
    const audit = await one<{ details_json: string }>(
      "SELECT details_json FROM audit_events WHERE event_type = 'proofing.manual_verified' AND subject_user_id = ? AND actor_user_id = ?",
      applicant.id,
      admin.id,
    );
    expect(JSON.parse(audit.details_json)).toEqual({ evidenceType: "passport", evidenceLast4: "X9K2" });
    await waitForEmail(applicant.email, "Your identity has been verified");
    // The queue's history shows it.
    const page = await (await browser.get("/admin/proofing")).text();
    expect(page).toContain("U.S. passport ending X9K2");
  });

  it("a denial needs a reason, records it and emails it to the person", async () => {
    const { browser, user: admin } = await signedIn();
    const applicant = await createUser();
    const reviewId = await openReview(applicant.id);
    const missing = await browser.post("/admin/proofing", { reviewId, intent: "reject" });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Enter the reason");

    const reason = "The name on the license does not match the account.";
    expect((await browser.post("/admin/proofing", { reviewId, intent: "reject", denialReason: reason })).status).toBe(
      302,
    );
    const review = await one<Record<string, string | null>>("SELECT * FROM proofing_reviews WHERE id = ?", reviewId);
    expect(review).toMatchObject({ status: "rejected", denial_reason: reason, evidence_type: null });
    const mail = await waitForEmail(applicant.email, "could not verify your identity");
    expect(mail.body_text).toContain(reason);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'proofing.manual_rejected' AND subject_user_id = ? AND actor_user_id = ?",
        applicant.id,
        admin.id,
      ),
    ).toBe(1);
    // Decided once: a second decision is refused.
    expect(
      (
        await browser.post("/admin/proofing", {
          reviewId,
          intent: "verify",
          evidenceType: "passport",
          evidenceLast4: "1234",
        })
      ).status,
    ).toBe(409);
  });
});

describe("Programs, roles and rules", () => {
  it("the services ask can() themselves: a strong factor older than 15 minutes is refused with the step-up refusal, and nothing changes", async () => {
    const { user: admin } = await signedIn();
    const stale: Actor = {
      userId: admin.id,
      enrollmentCompleted: true,
      restrictedUntil: null,
      hasDevice: true,
      assurance: "strong",
      strongFactorAt: new Date(Date.now() - 60 * 60 * 1000),
      roles: [
        {
          roleCode: "HELP_DESK_ADMINISTRATOR",
          programId: null,
          organizationId: null,
          isSecurityOfficial: false,
          isHelpDesk: false,
          isAdmin: true,
        },
      ],
    };
    const deps = createDeps(env);
    const role = await one<{ id: number }>(
      "SELECT id FROM roles WHERE is_help_desk = 0 AND is_admin = 0 AND active = 1 ORDER BY id LIMIT 1",
    );
    const stepUp = { ok: false, code: "refused", refusal: { ok: false, reason: "step_up" } };
    expect(
      await updateRoleRules(deps, stale, {
        roleId: role.id,
        orgTypeIds: [],
        requiresEndDate: true,
        approverRule: "help_desk_only",
      }),
    ).toEqual(stepUp);
    expect(
      await resendFailedEmail(deps, stale, { source: "dead_letter", idempotencyKey: `never-${crypto.randomUUID()}` }),
    ).toEqual(stepUp);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE actor_user_id = ? AND event_type = 'role.rules_changed'",
        admin.id,
      ),
    ).toBe(0);
  });

  it("a role's organization types, End Date and approver rule apply to the next request at once, audited before and after", async () => {
    const { browser, user: admin } = await signedIn();
    const role = await one<{ id: number; code: string; name: string; program_id: number }>(
      "SELECT r.id, r.code, r.name, r.program_id FROM roles r WHERE r.program_id IS NOT NULL AND r.is_help_desk = 0 AND r.is_admin = 0 AND r.active = 1 AND (SELECT count(*) FROM role_org_type_rules t WHERE t.role_id = r.id) >= 2 ORDER BY r.id LIMIT 1",
    );
    const types = (
      await env.DB.prepare("SELECT org_type_id FROM role_org_type_rules WHERE role_id = ? ORDER BY org_type_id")
        .bind(role.id)
        .all<{ org_type_id: number }>()
    ).results.map((r) => r.org_type_id);
    const removedType = types[0];
    const org = await one<{ id: number }>(
      "SELECT id FROM organizations WHERE org_type_id = ? AND status = 'Active' ORDER BY id LIMIT 1",
      removedType,
    );
    const requester = await createUser({ totpKey: crypto.getRandomValues(new Uint8Array(20)) });
    const deps = createDeps(env);
    const chosen = { programId: role.program_id, organizationId: org.id, roleId: role.id };
    expect((await loadRequestForm(deps, requester.id, chosen)).roles.map((r) => r.id)).toContain(role.id);

    const page = await (await browser.get("/admin/programs")).text();
    expect(page).toContain(role.code);

    const form = new URLSearchParams();
    form.set("roleId", String(role.id));
    for (const t of types.slice(1)) form.append("orgTypeIds", String(t));
    form.set("requiresEndDate", "on");
    form.set("approverRule", "help_desk_only");
    // Browser.post takes a record; repeated checkboxes need the raw body.
    const saved = await postRaw(browser, "/admin/programs", form);
    expect(saved.status).toBe(302);
    expect(saved.headers.get("Location")).toBe(`/admin/programs?saved=1&role=${role.id}#role-${role.id}`);

    // The next request form no longer offers the role for that organization type.
    const after = await loadRequestForm(deps, requester.id, chosen);
    expect(after.roles.map((r) => r.id)).not.toContain(role.id);
    const audit = await one<{ details_json: string; program_id: number }>(
      "SELECT details_json, program_id FROM audit_events WHERE event_type = 'role.rules_changed' AND actor_user_id = ?",
      admin.id,
    );
    expect(audit.program_id).toBe(role.program_id);
    expect(JSON.parse(audit.details_json)).toEqual({
      role: role.code,
      before: { orgTypeIds: types, requiresEndDate: false, approverRule: "security_official_else_help_desk" },
      after: { orgTypeIds: types.slice(1), requiresEndDate: true, approverRule: "help_desk_only" },
    });

    // For an organization of a type still allowed: an End Date is required, and only the help desk approves.
    const otherOrg = await one<{ id: number }>(
      "SELECT id FROM organizations WHERE org_type_id = ? AND status = 'Active' ORDER BY id LIMIT 1",
      types[1],
    );
    const options = await loadRequestForm(deps, requester.id, { ...chosen, organizationId: otherOrg.id });
    expect(options.roles.find((r) => r.id === role.id)).toMatchObject({
      requiresEndDate: true,
      approverRule: "help_desk_only",
    });
    expect(options.approverKind).toBe("help_desk");
    const today = new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" });
    const errors = checkRequest(
      options,
      {
        submissionKey: "k",
        programId: role.program_id,
        organizationId: otherOrg.id,
        roleId: role.id,
        startDate: today,
        endDateNotApplicable: true,
        approverUserId: options.approvers[0]?.userId ?? "",
        additionalInfo: "",
        comments: "",
      } as Parameters<typeof checkRequest>[1],
      today,
    );
    expect(errors?.endDate).toBe("end_date_required");
    // The request screen words it next to the End Date.
    const asker = await signedIn({ admin: false });
    const [y, m, d] = today.split("-");
    const reviewed = await asker.browser.post("/my-account/request-access", {
      intent: "review",
      submissionKey: crypto.randomUUID(),
      programId: String(role.program_id),
      organizationId: String(otherOrg.id),
      roleId: String(role.id),
      startDate: `${m}/${d}/${y}`,
      endDateNotApplicable: "on",
      approverUserId: options.approvers[0]?.userId ?? "",
      additionalInfo: "",
      comments: "",
    });
    expect(reviewed.status).toBe(400);
    expect(await reviewed.text()).toContain(`A ${role.name} role needs an End Date. Enter one.`);

    // Put the seed's rules back for other tests.
    const restore = new URLSearchParams();
    restore.set("roleId", String(role.id));
    for (const t of types) restore.append("orgTypeIds", String(t));
    restore.set("approverRule", "security_official_else_help_desk");
    expect((await postRaw(browser, "/admin/programs", restore)).status).toBe(302);
    expect((await loadRequestForm(deps, requester.id, chosen)).roles.map((r) => r.id)).toContain(role.id);
  });

  it("refuses a role with no organization type", async () => {
    const { browser } = await signedIn();
    const role = await one<{ id: number }>(
      "SELECT id FROM roles WHERE is_help_desk = 0 AND is_admin = 0 AND active = 1 ORDER BY id LIMIT 1",
    );
    const response = await browser.post("/admin/programs", {
      roleId: String(role.id),
      approverRule: "help_desk_only",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Choose at least one organization type.");
  });
});

/** A form post with repeated fields, with the browser's cookies. */
async function postRaw(browser: Browser, path: string, body: URLSearchParams) {
  const cookie = [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  return fetchWorker(`http://localhost:8787${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Host: "localhost:8787",
      Origin: "http://localhost:8787",
      "Sec-Fetch-Site": "same-origin",
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: cookie,
      "CF-Connecting-IP": browser.ip,
      "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
    },
    body: body.toString(),
  });
}
