import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../app/.server/access/authorize";
import { decideAccessRequest, revokeRole } from "../../app/.server/access/decisions";
import { recertifyRole } from "../../app/.server/access/recertify";
import { newRequestId } from "../../app/.server/access/request-id";
import { createDeps } from "../../app/.server/deps";
import type { Mailer } from "../../app/.server/mail/mailer";
import type { QueueMessageBody } from "../../app/.server/mail/messages";
import { drainOutbox } from "../../app/.server/mail/outbox";
import { handleQueueBatch } from "../../worker/queue";
import { runScheduledJobs } from "../../worker/scheduled";
import { Browser } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, signedInWithTotp, totpNow, waitForEmail } from "../factories/users";

/**
 * Deciding access requests (SPEC 2.6): the queue's scope, approve and reject
 * with confirmation and a reason, exactly one decision under concurrency,
 * nobody deciding their own or another organization's request, the grant, the
 * emails through the outbox (a crash between write and enqueue still delivers
 * once; a failing mailer ends in the dead-letter record), and revocation.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const one = async <T>(sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<T>())!;
const count = async (sql: string, ...params: unknown[]) => (await one<{ n: number }>(sql, ...params)).n;
const id = async (sql: string, ...params: unknown[]) => (await one<{ id: number }>(sql, ...params)).id;

const program = (code: string) => id("SELECT id FROM programs WHERE code = ?", code);
const role = (code: string) => id("SELECT id FROM roles WHERE code = ?", code);
const qarmOrg = (offset: number) =>
  id(
    "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' ORDER BY o.id LIMIT 1 OFFSET ?",
    offset,
  );

const grant = grantRole;
const signedIn = signedInWithTotp;

/** A pending request straight into D1 (submission is covered by access-requests.test.ts). */
async function pendingRequest(input: {
  userId: string;
  organizationId: number;
  programCode?: string;
  roleCode?: string;
  kind?: "security_official" | "help_desk";
  endDate?: string | null;
  createdAt?: number;
}) {
  const requestId = newRequestId();
  await env.DB.prepare(
    `INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, start_date, end_date, submission_key, comments, created_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, 'Please approve.', ?)`,
  )
    .bind(
      requestId,
      input.userId,
      await program(input.programCode ?? "QIES"),
      input.organizationId,
      await role(input.roleCode ?? "END_USER"),
      input.kind ?? "security_official",
      new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" }),
      input.endDate === undefined ? "2099-12-31" : input.endDate,
      `sk-${requestId}`,
      input.createdAt ?? Date.now(),
    )
    .run();
  return requestId;
}

const decisionsOf = (requestId: string) =>
  count(
    "SELECT count(*) AS n FROM audit_events WHERE access_request_id = ? AND event_type IN ('access_request.approved', 'access_request.rejected')",
    requestId,
  );

describe("Pending Requests", () => {
  it("lists what the approver may decide, newest first, with the count in the top menu; nothing else", async () => {
    const orgA = await qarmOrg(0);
    const orgB = await qarmOrg(1);
    const so = await signedIn("Sophie", "Official");
    await grant(so.user.id, "OSO", { organizationId: orgA, programId: await program("QIES") });
    const alice = await createUser({ firstName: "Alice", lastName: "Older" });
    const bob = await createUser({ firstName: "Bob", lastName: "Newer" });
    const older = await pendingRequest({
      userId: alice.id,
      organizationId: orgA,
      createdAt: Date.now() - 3 * 86400000,
    });
    const newer = await pendingRequest({ userId: bob.id, organizationId: orgA });
    const otherOrg = await pendingRequest({ userId: bob.id, organizationId: orgB });
    const firstSo = await pendingRequest({
      userId: alice.id,
      organizationId: orgA,
      roleCode: "OSO",
      kind: "help_desk",
    });
    const own = await pendingRequest({ userId: so.user.id, organizationId: orgA, roleCode: "END_USER" });

    const page = await so.browser.get("/role-requests");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Pending Requests");
    expect(html.indexOf(newer)).toBeGreaterThan(-1);
    expect(html.indexOf(newer)).toBeLessThan(html.indexOf(older));
    for (const hidden of [otherOrg, firstSo, own]) expect(html).not.toContain(hidden);
    expect(html).toContain("Bob Newer");
    expect(html).toContain(bob.loginId);
    expect(html).toContain(bob.email);
    expect(html).toContain("3 days ago");
    expect(html).toMatch(/Role Requests\s*(<!-- -->)?\s*<span class="count-badge" aria-hidden="true">2<\/span>/);

    const filtered = await (await so.browser.get(`/role-requests?organization=${orgB}`)).text();
    expect(filtered).not.toContain(newer);
  });

  it("the help desk of the program sees the first Security Official's request; ordinary users get a 404, weak sessions step up", async () => {
    const org = await qarmOrg(2);
    const helpDesk = await signedIn("Hal", "Desk");
    await grant(helpDesk.user.id, "HELP_DESK_APPROVER", { programId: await program("QIES") });
    const requester = await createUser({ firstName: "Fiona", lastName: "First" });
    const firstSo = await pendingRequest({
      userId: requester.id,
      organizationId: org,
      roleCode: "OSO",
      kind: "help_desk",
    });
    expect(await (await helpDesk.browser.get("/role-requests")).text()).toContain(firstSo);

    const nobody = await signedIn("Nora", "Body");
    expect((await nobody.browser.get("/role-requests")).status).toBe(404);
    expect((await nobody.browser.get(`/role-requests/${firstSo}`)).status).toBe(404);

    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(helpDesk.user.id)
      .run();
    const weak = await helpDesk.browser.get("/role-requests");
    expect(weak.status).toBe(302);
    expect(weak.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent("/role-requests")}`);
  });

  it("the email's link asks a signed-out approver to sign in and come back to the request, through the terms on a new phone", async () => {
    const org = await qarmOrg(14);
    const key = crypto.getRandomValues(new Uint8Array(20));
    const approver = await createUser({ totpKey: key, firstName: "Edie", lastName: "Email" });
    await grant(approver.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const requester = await createUser({ firstName: "Lina", lastName: "Link" });
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });
    const target = `/role-requests/${requestId}`;

    const phone = new Browser();
    const first = await phone.get(target);
    expect(first.headers.get("Location")).toBe(`/login?redirectTo=${encodeURIComponent(target)}`);
    const login = await phone.get(first.headers.get("Location")!);
    expect(login.headers.get("Location")).toBe(`/terms?redirectTo=${encodeURIComponent(target)}`);
    expect(await (await phone.get(login.headers.get("Location")!)).text()).toContain(
      `name="redirectTo" value="${target}"`,
    );
    const accepted = await phone.post("/terms", { intent: "accept", program: "", redirectTo: target });
    expect(accepted.headers.get("Location")).toBe(`/login?redirectTo=${encodeURIComponent(target)}`);
    await phone.post("/login", { intent: "next", userId: approver.loginId });
    const signedIn = await phone.post("/login", {
      intent: "login",
      userId: approver.loginId,
      password: approver.password,
      deviceType: "totp",
      code: totpNow(key),
      redirectTo: target,
    });
    expect(signedIn.headers.get("Location")).toBe(target);
    expect((await phone.get(target)).status).toBe(200);

    // Another site is never the destination, whatever the terms form is sent.
    const hostile = await new Browser().post("/terms", { intent: "accept", redirectTo: "//evil.example/x" });
    expect(hostile.headers.get("Location")).toBe("/login");
  });
});

describe("deciding", () => {
  it("approving asks for confirmation, grants the role with its end date, audits, and emails the requester", async () => {
    const org = await qarmOrg(3);
    const so = await signedIn("Sam", "Official");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const requester = await signedIn("Rita", "Requester");
    const requestId = await pendingRequest({ userId: requester.user.id, organizationId: org, endDate: "2099-06-30" });

    const view = await (await so.browser.get(`/role-requests/${requestId}`)).text();
    expect(view).toContain("Rita Requester");
    expect(view).toContain("History");
    expect(view).toContain(`href="/role-requests/${requestId}?decide=approve"`);
    const confirm = await (await so.browser.get(`/role-requests/${requestId}?decide=approve`)).text();
    expect(confirm).toContain("Approve this request?");
    expect(confirm).toContain("until 06/30/2099");

    const response = await so.browser.post(`/role-requests/${requestId}`, { intent: "approve" });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(`/role-requests/${requestId}?decided=approved`);
    const row = await one<{ status: string; decided_by_user_id: string }>(
      "SELECT status, decided_by_user_id FROM access_requests WHERE id = ?",
      requestId,
    );
    expect(row).toEqual({ status: "approved", decided_by_user_id: so.user.id });
    const granted = await one<{ status: string; end_date: string; organization_id: number }>(
      "SELECT status, end_date, organization_id FROM user_roles WHERE access_request_id = ?",
      requestId,
    );
    expect(granted).toEqual({ status: "active", end_date: "2099-06-30", organization_id: org });
    expect(await decisionsOf(requestId)).toBe(1);

    const mail = await waitForEmail(requester.user.email, `${requestId} approved`);
    expect(mail.body_text).toContain("Sam Official approved");
    expect(mail.body_text).toContain("06/30/2099");
    const myAccount = await (await requester.browser.get("/my-account")).text();
    expect(myAccount).toContain("End User");

    const after = await (await so.browser.get(`/role-requests/${requestId}?decided=approved`)).text();
    expect(after).toContain("You approved request");
    expect(after).not.toContain("?decide=approve");
    expect(after).toMatch(/Approved<\/span>\s*(<!-- -->)?\s*<span class="history__who"> — (<!-- -->)?Sam Official/);
  });

  it("rejecting needs a reason (and words for 'Another reason'), kept next to the field; the requester is emailed it", async () => {
    const org = await qarmOrg(4);
    const so = await signedIn("Rae", "Official");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const requester = await createUser({ firstName: "Ned", lastName: "Rejected" });
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });

    const noReason = await so.browser.post(`/role-requests/${requestId}`, { intent: "reject", details: "Kept text" });
    expect(noReason.status).toBe(400);
    const noReasonHtml = await noReason.text();
    expect(noReasonHtml).toContain("Choose a reason for rejecting this request.");
    expect(noReasonHtml).toContain("Kept text");
    const other = await so.browser.post(`/role-requests/${requestId}`, { intent: "reject", reasonCode: "other" });
    expect(other.status).toBe(400);
    expect(await other.text()).toContain("Explain the reason for rejecting this request.");
    expect((await one<{ status: string }>("SELECT status FROM access_requests WHERE id = ?", requestId)).status).toBe(
      "pending",
    );

    const response = await so.browser.post(`/role-requests/${requestId}`, {
      intent: "reject",
      reasonCode: "not_affiliated",
      details: "Our staff list does not include you; ask your manager to confirm.",
    });
    expect(response.status).toBe(302);
    expect(await count("SELECT count(*) AS n FROM user_roles WHERE access_request_id = ?", requestId)).toBe(0);
    const mail = await waitForEmail(requester.email, `${requestId} rejected`);
    expect(mail.body_text).toContain("You are not known to work for or with this organization");
    expect(mail.body_text).toContain("Our staff list does not include you; ask your manager to confirm.");
  });

  it("20 concurrent approve and reject posts from two approvers record exactly one decision; the others are told who decided", async () => {
    const org = await qarmOrg(5);
    const so = await signedIn("Ola", "Official");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const helpDesk = await signedIn("Hugo", "Desk");
    await grant(helpDesk.user.id, "HELP_DESK_APPROVER", { programId: await program("QIES") });
    const requester = await createUser({ firstName: "Cora", lastName: "Current" });
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? so : helpDesk).browser.post(
          `/role-requests/${requestId}`,
          i % 4 < 2 ? { intent: "approve" } : { intent: "reject", reasonCode: "no_business_need" },
        ),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const final = await one<{ status: string }>("SELECT status FROM access_requests WHERE id = ?", requestId);
    expect(["approved", "rejected"]).toContain(final.status);
    expect(await decisionsOf(requestId)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM user_roles WHERE access_request_id = ?", requestId)).toBe(
      final.status === "approved" ? 1 : 0,
    );
    expect(
      await count("SELECT count(*) AS n FROM outbox WHERE idempotency_key = ?", `access_request_decided:${requestId}`),
    ).toBe(1);
    const loser = await responses.find((r) => r.status === 409)!.text();
    expect(loser).toMatch(new RegExp(`This request was already ${final.status} by (Ola Official|Hugo Desk) at `));
  });

  it("nobody decides their own request, and a Security Official of another organization cannot decide or see it", async () => {
    const org = await qarmOrg(6);
    const elsewhere = await qarmOrg(7);
    const so = await signedIn("Selma", "Self");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const own = await pendingRequest({ userId: so.user.id, organizationId: org, roleCode: "END_USER" });
    expect((await so.browser.post(`/role-requests/${own}`, { intent: "approve" })).status).toBe(404);
    expect((await so.browser.get(`/role-requests/${own}`)).status).toBe(404);

    const helpDeskSelf = await signedIn("Harper", "Self");
    await grant(helpDeskSelf.user.id, "HELP_DESK_APPROVER", {});
    const ownHd = await pendingRequest({ userId: helpDeskSelf.user.id, organizationId: org });
    expect((await helpDeskSelf.browser.post(`/role-requests/${ownHd}`, { intent: "approve" })).status).toBe(404);

    const stranger = await signedIn("Stan", "Stranger");
    await grant(stranger.user.id, "OSO", { organizationId: elsewhere, programId: await program("QIES") });
    const requester = await createUser({ firstName: "Una", lastName: "Other" });
    const theirs = await pendingRequest({ userId: requester.id, organizationId: org });
    expect((await stranger.browser.post(`/role-requests/${theirs}`, { intent: "approve" })).status).toBe(404);
    expect((await stranger.browser.get(`/role-requests/${theirs}`)).status).toBe(404);

    // The first Security Official's request is the help desk's, not a peer Security Official's.
    const firstSo = await pendingRequest({
      userId: requester.id,
      organizationId: org,
      roleCode: "OSO",
      kind: "help_desk",
    });
    expect((await so.browser.post(`/role-requests/${firstSo}`, { intent: "approve" })).status).toBe(404);

    for (const requestId of [own, ownHd, theirs, firstSo]) {
      expect((await one<{ status: string }>("SELECT status FROM access_requests WHERE id = ?", requestId)).status).toBe(
        "pending",
      );
      expect(await decisionsOf(requestId)).toBe(0);
    }
  });

  it("deciding needs a strong factor from the last 15 minutes: a stale one steps up and comes back to the confirmation", async () => {
    const org = await qarmOrg(8);
    const so = await signedIn("Stella", "Stale");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const requester = await createUser();
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });
    await env.DB.prepare("UPDATE sessions SET strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now() - 16 * 60 * 1000, so.user.id)
      .run();
    expect((await so.browser.get(`/role-requests/${requestId}`)).status).toBe(200);
    const back = encodeURIComponent(`/role-requests/${requestId}?decide=approve`);
    const open = await so.browser.get(`/role-requests/${requestId}?decide=approve`);
    expect(open.headers.get("Location")).toBe(`/step-up?redirectTo=${back}`);
    const post = await so.browser.post(`/role-requests/${requestId}`, { intent: "approve" });
    expect(post.headers.get("Location")).toBe(`/step-up?redirectTo=${back}`);
    expect(await decisionsOf(requestId)).toBe(0);
  });
});

/** A Security Official of `programId` at `organizationId` (an official's role has both). */
function actorFor(userId: string, organizationId: number, programId: number | null = null): Actor {
  return {
    userId,
    enrollmentCompleted: true,
    restrictedUntil: null,
    hasDevice: true,
    assurance: "strong",
    strongFactorAt: new Date(),
    roles: [
      {
        roleCode: "OSO",
        programId,
        organizationId,
        isSecurityOfficial: true,
        isHelpDesk: false,
        isAdmin: false,
      },
    ],
  };
}

describe("the decision's email goes through the outbox", () => {
  it("a crash between the decision's write and the enqueue still delivers the email, exactly once, from the cron", async () => {
    const org = await qarmOrg(9);
    const approver = await createUser({ firstName: "Cass", lastName: "Crash" });
    const requester = await createUser({ firstName: "Dana", lastName: "Delivered" });
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });
    const crashing = {
      ...createDeps(env),
      enqueue: async () => {
        throw new Error("the Worker was evicted before the queue answered");
      },
    };
    const outcome = await decideAccessRequest(
      crashing,
      actorFor(approver.id, org, await program("QIES")),
      requestId,
      { intent: "approve" },
      {
        ip: null,
        userAgent: null,
      },
    );
    expect(outcome).toEqual({ ok: true, value: { status: "approved" } });
    const key = `access_request_decided:${requestId}`;
    const waiting = await one<{ queued_at: number | null; sealed: number[] | null }>(
      "SELECT queued_at, sealed FROM outbox WHERE idempotency_key = ?",
      key,
    );
    expect(waiting.queued_at).toBeNull();
    expect(new TextDecoder().decode(new Uint8Array(waiting.sealed!))).not.toContain(requester.email);

    // The drain that crashed holds a claim for a minute; the cron after that sends it.
    const later = () => new Date(Date.now() + 2 * 60 * 1000);
    await runScheduledJobs(env, later);
    await runScheduledJobs(env, later);
    await waitForEmail(requester.email, `${requestId} approved`);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count("SELECT count(*) AS n FROM dev_mailbox WHERE idempotency_key = ?", key)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM email_log WHERE idempotency_key = ? AND status = 'sent'", key)).toBe(
      1,
    );
    expect(
      (await one<{ queued_at: number | null }>("SELECT queued_at FROM outbox WHERE idempotency_key = ?", key))
        .queued_at,
    ).not.toBeNull();
  });

  it("a failing mailer retries with back-off and ends in the dead-letter record", async () => {
    const org = await qarmOrg(10);
    const approver = await createUser({ firstName: "Fay", lastName: "Failing" });
    const requester = await createUser({ firstName: "Lee", lastName: "Lost" });
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });
    const captured: QueueMessageBody[] = [];
    const capturing = { ...createDeps(env), enqueue: async (m: QueueMessageBody[]) => void captured.push(...m) };
    await decideAccessRequest(
      capturing,
      actorFor(approver.id, org, await program("QIES")),
      requestId,
      { intent: "reject", reasonCode: "incomplete" },
      {
        ip: null,
        userAgent: null,
      },
    );
    await drainOutbox(capturing);
    const message = captured.find((m) => m.idempotencyKey === `access_request_decided:${requestId}`)!;
    expect(message.template).toBe("access_request_rejected");

    const failing: Mailer = {
      send: async () => {
        throw new Error("550 mailbox unavailable");
      },
    };
    for (let attempt = 1; attempt <= 6; attempt++) {
      const batch = createMessageBatch<QueueMessageBody>("secure-portal-email", [
        { id: `m${attempt}`, timestamp: new Date(), attempts: attempt, body: message },
      ]);
      await handleQueueBatch(batch, env, { mailer: failing });
      const result = await getQueueResult(batch, createExecutionContext());
      expect(result.retryMessages).toHaveLength(1);
    }
    const dead = createMessageBatch<QueueMessageBody>("secure-portal-email-dlq", [
      { id: "dead", timestamp: new Date(), attempts: 1, body: message },
    ]);
    await handleQueueBatch(dead, env);
    const log = await one<{ status: string; last_error: string; attempts: number }>(
      "SELECT status, last_error, attempts FROM email_log WHERE idempotency_key = ?",
      message.idempotencyKey,
    );
    expect(log.status).toBe("failed");
    expect(log.last_error).toContain("550");
    expect(log.attempts).toBe(6);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'email.dead_lettered' AND details_json LIKE ?",
        `%${message.idempotencyKey}%`,
      ),
    ).toBe(1);
  });
});

describe("Users at My Organizations", () => {
  it("lists the organization's role holders with their last sign-in; Revoke with a reason is emailed and audited once", async () => {
    const org = await qarmOrg(11);
    const elsewhere = await qarmOrg(12);
    const so = await signedIn("Rowan", "Roster");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const holder = await createUser({ firstName: "Hana", lastName: "Holder" });
    await grant(holder.id, "END_USER", { organizationId: org, programId: await program("QIES") });
    const outsider = await createUser({ firstName: "Otto", lastName: "Outside" });
    await grant(outsider.id, "END_USER", { organizationId: elsewhere });
    const holderRole = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", holder.id);
    const outsiderRole = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", outsider.id);
    const ownRole = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", so.user.id);

    const html = await (await so.browser.get("/role-requests/users")).text();
    expect(html).toContain("Hana Holder");
    expect(html).toContain(holder.loginId);
    expect(html).not.toContain("Otto Outside");

    const missing = await so.browser.post("/role-requests/users", { intent: "revoke", userRoleId: holderRole.id });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Enter the reason for revoking this role.");

    for (const other of [outsiderRole.id, ownRole.id])
      expect(
        (await so.browser.post("/role-requests/users", { intent: "revoke", userRoleId: other, reason: "Left" })).status,
      ).toBe(404);

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        so.browser.post("/role-requests/users", {
          intent: "revoke",
          userRoleId: holderRole.id,
          reason: "Left the organization in October.",
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'user_role.revoked' AND subject_user_id = ?",
        holder.id,
      ),
    ).toBe(1);
    expect(
      await one<{ status: string; end_reason: string }>(
        "SELECT status, end_reason FROM user_roles WHERE id = ?",
        holderRole.id,
      ),
    ).toEqual({ status: "revoked", end_reason: "Left the organization in October." });
    const mail = await waitForEmail(holder.email, "was revoked");
    expect(mail.body_text).toContain("Left the organization in October.");
    expect(mail.body_text).toContain("Rowan Roster revoked");
    expect((await one<{ status: string }>("SELECT status FROM user_roles WHERE id = ?", outsiderRole.id)).status).toBe(
      "active",
    );
  });

  it("is a 404 for someone who is not a Security Official", async () => {
    const helpDesk = await signedIn("Hope", "Helpdesk");
    await grant(helpDesk.user.id, "HELP_DESK_APPROVER", { programId: await program("QIES") });
    expect((await helpDesk.browser.get("/role-requests/users")).status).toBe(404);
  });
});

describe("recertifying and the limits of the help desk", () => {
  it("a Security Official recertifies from Users at My Organizations; the help desk from the request page that granted the role", async () => {
    const org = await qarmOrg(13);
    const so = await signedIn("Remy", "Recert");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const helpDesk = await signedIn("Hedda", "Recert");
    await grant(helpDesk.user.id, "HELP_DESK_APPROVER", { programId: await program("QIES") });
    const holder = await createUser({ firstName: "Holly", lastName: "Holder" });
    const requestId = await pendingRequest({ userId: holder.id, organizationId: org });
    expect((await so.browser.post(`/role-requests/${requestId}`, { intent: "approve" })).status).toBe(302);
    const role = await one<{ id: string }>("SELECT id FROM user_roles WHERE access_request_id = ?", requestId);
    const yearAgo = Date.now() - 300 * 86400000;
    await env.DB.prepare("UPDATE user_roles SET recertified_at = ? WHERE id = ?").bind(yearAgo, role.id).run();

    const roster = await (await so.browser.get("/role-requests/users")).text();
    expect(roster).toContain("Recertify: Holly Holder still needs End User");
    const bySo = await so.browser.post("/role-requests/users", { intent: "recertify", userRoleId: role.id });
    expect(bySo.status).toBe(200);
    expect(await bySo.text()).toContain("The role is recertified.");
    const after = await one<{ recertified_at: number; recertified_by_user_id: string }>(
      "SELECT recertified_at, recertified_by_user_id FROM user_roles WHERE id = ?",
      role.id,
    );
    expect(after.recertified_at).toBeGreaterThan(yearAgo);
    expect(after.recertified_by_user_id).toBe(so.user.id);

    await env.DB.prepare("UPDATE user_roles SET recertified_at = ? WHERE id = ?").bind(yearAgo, role.id).run();
    const page = await (await helpDesk.browser.get(`/role-requests/${requestId}`)).text();
    expect(page).toContain("The granted role");
    const byDesk = await helpDesk.browser.post(`/role-requests/${requestId}`, {
      intent: "recertify",
      userRoleId: role.id,
    });
    expect(byDesk.status).toBe(200);
    expect(
      (
        await one<{ recertified_by_user_id: string }>(
          "SELECT recertified_by_user_id FROM user_roles WHERE id = ?",
          role.id,
        )
      ).recertified_by_user_id,
    ).toBe(helpDesk.user.id);
    // Another role's id through this request's page is refused.
    const other = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", so.user.id);
    expect(
      (await helpDesk.browser.post(`/role-requests/${requestId}`, { intent: "recertify", userRoleId: other.id }))
        .status,
    ).toBe(404);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'user_role.recertified' AND subject_user_id = ?",
        holder.id,
      ),
    ).toBe(2);
  });

  it("nobody revokes or recertifies help-desk or administrator roles here, and the help desk only acts within a program", async () => {
    const hq = await id("SELECT id FROM organizations WHERE external_key = 'cms:hq'");
    const qies = await program("QIES");
    const desk = await createUser({ firstName: "Dee", lastName: "Desk" });
    const peer = await createUser({ firstName: "Pia", lastName: "Peer" });
    const admin = await createUser({ firstName: "Ada", lastName: "Admin" });
    const member = await createUser({ firstName: "Mo", lastName: "Member" });
    await grant(peer.id, "HELP_DESK_APPROVER", { programId: qies, organizationId: hq });
    await grant(admin.id, "HELP_DESK_ADMINISTRATOR", { organizationId: hq });
    await grant(member.id, "END_USER", { organizationId: hq });
    const actor: Actor = {
      ...actorFor(desk.id, hq),
      roles: [
        {
          roleCode: "HELP_DESK_APPROVER",
          programId: qies,
          organizationId: hq,
          isSecurityOfficial: false,
          isHelpDesk: true,
          isAdmin: false,
        },
      ],
    };
    const deps = createDeps(env);
    for (const holder of [peer.id, admin.id, member.id]) {
      const role = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", holder);
      const outcome = await revokeRole(
        deps,
        actor,
        { userRoleId: role.id, reason: "Testing limits" },
        {
          ip: null,
          userAgent: null,
        },
      );
      expect(outcome).toEqual({ ok: false, code: "refused", refusal: { ok: false, reason: "forbidden" } });
      expect((await one<{ status: string }>("SELECT status FROM user_roles WHERE id = ?", role.id)).status).toBe(
        "active",
      );
    }
    // A Security Official of the organization may not revoke its help desk or administrators either.
    const so: Actor = actorFor(desk.id, hq, qies);
    const adminRole = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", admin.id);
    expect(
      await revokeRole(deps, so, { userRoleId: adminRole.id, reason: "No" }, { ip: null, userAgent: null }),
    ).toEqual({ ok: false, code: "refused", refusal: { ok: false, reason: "forbidden" } });
  });

  it("the queue stays closed for a day after a password reset proven only by weak factors", async () => {
    const helpDesk = await signedIn("Rhea", "Restricted");
    await grant(helpDesk.user.id, "HELP_DESK_APPROVER", {});
    await env.DB.prepare("UPDATE users SET restricted_until = ? WHERE id = ?")
      .bind(Date.now() + 86400000, helpDesk.user.id)
      .run();
    const response = await helpDesk.browser.get("/role-requests");
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toMatch(/^\/account-restricted\?/);
  });
});

describe("a Security Official's authority is one program at one organization", () => {
  it("an official of QIES at X cannot see, decide, revoke or recertify IQR's requests and roles at X, nor count them", async () => {
    const org = await qarmOrg(20);
    const [qies, iqr] = [await program("QIES"), await program("IQR")];
    const so = await signedIn("Paula", "Program");
    await grant(so.user.id, "OSO", { organizationId: org, programId: qies });
    const requester = await createUser({ firstName: "Rhys", lastName: "Requester" });
    const mine = await pendingRequest({ userId: requester.id, organizationId: org, programCode: "QIES" });
    const other = await pendingRequest({ userId: requester.id, organizationId: org, programCode: "IQR" });

    const queue = await (await so.browser.get("/role-requests")).text();
    expect(queue).toContain(mine);
    expect(queue).not.toContain(other);
    expect(queue).toMatch(/Role Requests\s*(<!-- -->)?\s*<span class="count-badge" aria-hidden="true">1<\/span>/);
    expect((await so.browser.get(`/role-requests/${other}`)).status).toBe(404);
    expect((await so.browser.post(`/role-requests/${other}`, { intent: "approve" })).status).toBe(404);
    expect(await decisionsOf(other)).toBe(0);

    // An IQR role at X (granted through a request, so recertifiable) is not the QIES official's.
    const holder = await createUser({ firstName: "Ivo", lastName: "Iqrholder" });
    await grant(holder.id, "END_USER", { organizationId: org, programId: iqr });
    const iqrRole = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", holder.id);
    const granting = await pendingRequest({ userId: holder.id, organizationId: org, programCode: "IQR" });
    await env.DB.prepare("UPDATE user_roles SET access_request_id = ? WHERE id = ?").bind(granting, iqrRole.id).run();
    const roster = await (await so.browser.get("/role-requests/users")).text();
    expect(roster).not.toContain("Ivo Iqrholder");
    expect(
      (await so.browser.post("/role-requests/users", { intent: "revoke", userRoleId: iqrRole.id, reason: "Left" }))
        .status,
    ).toBe(404);
    expect(
      (await so.browser.post("/role-requests/users", { intent: "recertify", userRoleId: iqrRole.id })).status,
    ).toBe(404);
    expect(
      await one<{ status: string; recertified_by_user_id: string | null }>(
        "SELECT status, recertified_by_user_id FROM user_roles WHERE id = ?",
        iqrRole.id,
      ),
    ).toEqual({ status: "active", recertified_by_user_id: null });
  });

  it("approval re-checks, in the decision itself, that the organization and the requester are still active", async () => {
    const org = await qarmOrg(21);
    const so = await signedIn("Vera", "Verify");
    await grant(so.user.id, "OSO", { organizationId: org, programId: await program("QIES") });
    const requester = await createUser({ firstName: "Ines", lastName: "Inactive" });
    const requestId = await pendingRequest({ userId: requester.id, organizationId: org });
    const grants = () => count("SELECT count(*) AS n FROM user_roles WHERE access_request_id = ?", requestId);

    await env.DB.prepare("UPDATE organizations SET status = 'Inactive' WHERE id = ?").bind(org).run();
    try {
      const closed = await so.browser.post(`/role-requests/${requestId}`, { intent: "approve" });
      expect(closed.status).toBe(409);
      expect(await closed.text()).toContain("its organization is no longer active. Nothing was granted");
    } finally {
      await env.DB.prepare("UPDATE organizations SET status = 'Active' WHERE id = ?").bind(org).run();
    }
    expect(await grants()).toBe(0);

    await env.DB.prepare("UPDATE users SET status = 'disabled' WHERE id = ?").bind(requester.id).run();
    const gone = await Promise.all(
      Array.from({ length: 3 }, () => so.browser.post(`/role-requests/${requestId}`, { intent: "approve" })),
    );
    for (const response of gone) {
      expect(response.status).toBe(409);
      expect(await response.text()).toContain("the requester&#x27;s account is no longer active");
    }
    expect(await grants()).toBe(0);
    expect(await decisionsOf(requestId)).toBe(0);
    expect((await one<{ status: string }>("SELECT status FROM access_requests WHERE id = ?", requestId)).status).toBe(
      "pending",
    );
  });

  it("two officials cannot keep recertifying each other: the holder's own recertifier needs the help desk or a third official", async () => {
    const org = await qarmOrg(22);
    const qies = await program("QIES");
    const [ana, ben, cal] = [
      await signedIn("Ana", "Official"),
      await signedIn("Ben", "Official"),
      await signedIn("Cal", "Official"),
    ];
    const yearAgo = Date.now() - 300 * 86400000;
    const roleOf: Record<string, string> = {};
    for (const o of [ana, ben, cal]) {
      await grant(o.user.id, "OSO", { organizationId: org, programId: qies });
      const row = await one<{ id: string }>("SELECT id FROM user_roles WHERE user_id = ?", o.user.id);
      const granting = await pendingRequest({ userId: o.user.id, organizationId: org, roleCode: "OSO" });
      await env.DB.prepare("UPDATE user_roles SET access_request_id = ?, recertified_at = ? WHERE id = ?")
        .bind(granting, yearAgo, row.id)
        .run();
      roleOf[o.user.id] = row.id;
    }
    const recertifiedBy = async (userId: string) =>
      (
        await one<{ by: string | null }>(
          "SELECT recertified_by_user_id AS by FROM user_roles WHERE id = ?",
          roleOf[userId],
        )
      ).by;

    // Ana recertifies Ben's official role.
    const byAna = await ana.browser.post("/role-requests/users", {
      intent: "recertify",
      userRoleId: roleOf[ben.user.id],
    });
    expect(byAna.status).toBe(200);
    expect(await recertifiedBy(ben.user.id)).toBe(ana.user.id);

    // Ben, whose own role Ana just recertified, may not return the favour: no button, and a 404.
    const benRoster = await (await ben.browser.get("/role-requests/users")).text();
    expect(benRoster).not.toContain("Recertify: Ana Official still needs");
    expect(benRoster).toContain("Recertify: Cal Official still needs");
    expect(
      (await ben.browser.post("/role-requests/users", { intent: "recertify", userRoleId: roleOf[ana.user.id] })).status,
    ).toBe(404);
    // Even with a view of his grants from before Ana's recertification, the update itself refuses.
    const staleBen: Actor = { ...actorFor(ben.user.id, org, qies), userId: ben.user.id };
    expect(await recertifyRole(createDeps(env), staleBen, roleOf[ana.user.id], { ip: null, userAgent: null })).toEqual({
      ok: false,
      code: "needs_another_official",
    });
    expect(await recertifiedBy(ana.user.id)).toBeNull();

    // A third official may: Cal recertifies Ana; then Ana may not recertify Cal.
    expect(
      (await cal.browser.post("/role-requests/users", { intent: "recertify", userRoleId: roleOf[ana.user.id] })).status,
    ).toBe(200);
    expect(await recertifiedBy(ana.user.id)).toBe(cal.user.id);
    expect(
      (await ana.browser.post("/role-requests/users", { intent: "recertify", userRoleId: roleOf[cal.user.id] })).status,
    ).toBe(404);
    expect(await recertifiedBy(cal.user.id)).toBeNull();
  });
});
