import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { newRequestId } from "../../app/.server/access/request-id";
import type { Mailer, OutgoingEmail } from "../../app/.server/mail/mailer";
import type { EmailQueueMessage, QueueMessageBody } from "../../app/.server/mail/messages";
import { handleQueueBatch } from "../../worker/queue";
import { seedDatabase } from "../factories/seed";
import { createUser, grantRole, signedInWithTotp } from "../factories/users";

/**
 * Faults (the performance issue): the mailer down for a while, the queue
 * delivering a batch again, D1 failing in the middle of a multi-statement
 * change, and a loader crashing. Each ends with nothing lost, nothing done
 * twice, nothing half-written, and no internals shown.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const n = async (sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<number>("n")) as number;

describe("faults", () => {
  it("the mailer down for three rounds: after it recovers every email is delivered once, and a batch delivered again sends nothing more", async () => {
    const messages: EmailQueueMessage[] = Array.from({ length: 5 }, (_, i) => ({
      type: "email",
      template: "test",
      to: `outage-${i}@secure-portal.localhost`,
      data: { note: "During an outage." },
      idempotencyKey: `fault:outage:${crypto.randomUUID()}`,
    }));
    let down = true;
    const sent: string[] = [];
    // The email provider, reachable or not (the product's own code is what is under test).
    const provider: Mailer = {
      async send(email: OutgoingEmail) {
        if (down) throw new Error("provider unavailable (503)");
        sent.push(email.to);
      },
    };
    const round = async (attempts: number) => {
      const batch = createMessageBatch<QueueMessageBody>(
        "secure-portal-email",
        messages.map((body, i) => ({ id: `o-${i}`, timestamp: new Date(), attempts, body })),
      );
      await handleQueueBatch(batch, env, { mailer: provider });
      return getQueueResult(batch, createExecutionContext());
    };
    for (const attempts of [1, 2, 3]) expect((await round(attempts)).retryMessages).toHaveLength(5);
    expect(sent).toEqual([]);
    down = false;
    expect((await round(4)).explicitAcks.sort()).toEqual(["o-0", "o-1", "o-2", "o-3", "o-4"]);
    // The queue delivers the same batch again (an ack lost on the way): nothing is sent twice.
    expect((await round(5)).explicitAcks).toHaveLength(5);
    expect(sent.sort()).toEqual(messages.map((m) => m.to).sort());
    for (const m of messages) {
      expect(
        await n("SELECT count(*) AS n FROM email_log WHERE idempotency_key = ? AND status = 'sent'", m.idempotencyKey),
      ).toBe(1);
    }
  });

  it("D1 failing in the middle of an approval writes nothing of it; once D1 recovers the approval is recorded once", async () => {
    const org = (await env.DB.prepare(
      "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.status = 'Active' ORDER BY o.id LIMIT 1",
    ).first<number>("id")) as number;
    const so = await signedInWithTotp("Fiona", "Fault");
    const qies = (await env.DB.prepare("SELECT id FROM programs WHERE code = 'QIES'").first<number>("id")) as number;
    await grantRole(so.user.id, "OSO", { organizationId: org, programId: qies });
    const requester = await createUser({ firstName: "Ray", lastName: "Requester" });
    const requestId = newRequestId();
    await env.DB.prepare(
      `INSERT INTO access_requests (id, user_id, program_id, organization_id, role_id, approver_kind, status, start_date, end_date, submission_key, comments, created_at)
       VALUES (?, ?, (SELECT id FROM programs WHERE code = 'QIES'), ?, (SELECT id FROM roles WHERE code = 'END_USER'), 'security_official', 'pending', NULL, '2099-12-31', ?, 'Please.', ?)`,
    )
      .bind(requestId, requester.id, org, `sk-${requestId}`, Date.now())
      .run();

    // The decision's batch: the request's update, its audit event, the role, the email. The audit event's insert fails.
    await env.DB.exec(
      `CREATE TRIGGER fault_audit BEFORE INSERT ON audit_events WHEN NEW.access_request_id = '${requestId}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`,
    );
    try {
      const failed = await so.browser.post(`/role-requests/${requestId}`, { intent: "approve" });
      expect(failed.status).toBe(500);
      const page = await failed.text();
      expect(page).toContain("Something went wrong");
      expect(page).not.toContain("injected fault");
      expect(
        await env.DB.prepare("SELECT status FROM access_requests WHERE id = ?").bind(requestId).first("status"),
      ).toBe("pending");
      expect(await n("SELECT count(*) AS n FROM user_roles WHERE access_request_id = ?", requestId)).toBe(0);
      expect(await n("SELECT count(*) AS n FROM audit_events WHERE access_request_id = ?", requestId)).toBe(0);
      expect(await n("SELECT count(*) AS n FROM outbox WHERE idempotency_key LIKE ?", `%${requestId}%`)).toBe(0);
    } finally {
      await env.DB.exec("DROP TRIGGER fault_audit");
    }

    const approved = await so.browser.post(`/role-requests/${requestId}`, { intent: "approve" });
    expect(approved.status).toBe(302);
    expect(
      await env.DB.prepare("SELECT status FROM access_requests WHERE id = ?").bind(requestId).first("status"),
    ).toBe("approved");
    expect(await n("SELECT count(*) AS n FROM user_roles WHERE access_request_id = ?", requestId)).toBe(1);
    expect(
      await n(
        "SELECT count(*) AS n FROM audit_events WHERE access_request_id = ? AND event_type = 'access_request.approved'",
        requestId,
      ),
    ).toBe(1);
  });

  it("a loader that crashes answers with the error page and the request's reference, never a stack trace", async () => {
    const { user, browser } = await signedInWithTotp("Carl", "Crash");
    // A stored event the Profile screen cannot read (as a bad write or a bad migration could leave).
    await env.DB.prepare(
      "INSERT INTO audit_events (occurred_at, event_type, outcome, subject_user_id, details_json) VALUES (?, 'sign_in', 'success', ?, '{not json')",
    )
      .bind(Date.now(), user.id)
      .run();
    const response = await browser.get("/profile");
    expect(response.status).toBe(500);
    const traceId = response.headers.get("X-Trace-Id") as string;
    expect(traceId).toMatch(/^[0-9a-f-]{36}$/);
    const html = await response.text();
    expect(html).toContain("Something went wrong");
    expect(html).toContain(`<code id="error-reference">${traceId}</code>`);
    for (const internal of ["SyntaxError", "Expected property name", "    at ", ".ts:", "node_modules"])
      expect(html, internal).not.toContain(internal);
    // What the page hands its scripts about the error is Remix's sanitized one: a generic message, no stack.
    expect(html).toContain("Unexpected Server Error");
  });
});
