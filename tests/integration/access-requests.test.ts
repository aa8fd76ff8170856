import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Browser, fetchWorker } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser, totpNow, waitForEmail } from "../factories/users";

/**
 * "Request User Access" (SPEC 2.5): role rules, approver rules, one request
 * per submission, one open request per program/organization/role, and nobody
 * acting on someone else's request.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const FORM = "/my-account/request-access";
const today = () => new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" });
const us = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
const inDays = (days: number) => {
  const [y, m, d] = today().split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
};

const one = async <T>(sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<T>())!;
const count = async (sql: string, ...params: unknown[]) => (await one<{ n: number }>(sql, ...params)).n;

const programId = (code: string) =>
  one<{ id: number }>("SELECT id FROM programs WHERE code = ?", code).then((r) => r.id);
const roleId = (code: string) => one<{ id: number }>("SELECT id FROM roles WHERE code = ?", code).then((r) => r.id);
/** A survey agency or Regional Office: the seed's "QARM Org Security" organizations. */
const orgByName = (prefix: string) =>
  one<{ id: number }>(
    "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = 'QARM Org Security' AND o.name LIKE ? ORDER BY o.name LIMIT 1",
    `${prefix}%`,
  ).then((r) => r.id);
const orgOfType = (type: string) =>
  one<{ id: number }>(
    "SELECT o.id FROM organizations o JOIN organization_types t ON t.id = o.org_type_id WHERE t.name = ? AND o.status = 'Active' ORDER BY o.id LIMIT 1",
    type,
  ).then((r) => r.id);

/** An enrolled user with an authenticator app, signed in strongly. */
async function signedIn(options: { firstName?: string; lastName?: string } = {}) {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const user = await createUser({ totpKey: key, ...options });
  const browser = new Browser();
  const response = await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
  expect(response.status).toBe(302);
  return { user, browser };
}

/** An approver-to-be: enrolled with a strong device (not signed in). */
async function approver(roleCode: string, scope: { organizationId?: number; programId?: number } = {}, name = "Avery") {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const user = { ...(await createUser({ totpKey: key, firstName: name, lastName: "Approver" })), key };
  await env.DB.prepare(
    "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) SELECT ?, ?, id, ?, ?, 'active', ? FROM roles WHERE code = ?",
  )
    .bind(crypto.randomUUID(), user.id, scope.programId ?? null, scope.organizationId ?? null, Date.now(), roleCode)
    .run();
  return user;
}

function key() {
  return `k${crypto.randomUUID().replaceAll("-", "")}`;
}

function fields(input: {
  program: number;
  organization: number;
  role: number;
  approver: string;
  submissionKey?: string;
  endDate?: string;
  startDate?: string;
  intent?: string;
  comments?: string;
}): Record<string, string> {
  return {
    intent: input.intent ?? "confirm",
    submissionKey: input.submissionKey ?? key(),
    programId: String(input.program),
    organizationId: String(input.organization),
    roleId: String(input.role),
    startDate: input.startDate ?? us(today()),
    ...(input.endDate ? { endDate: input.endDate } : { endDateNotApplicable: "on" }),
    approverUserId: input.approver,
    additionalInfo: "Quality lead for the survey agency.",
    comments: input.comments ?? "Please approve.",
  };
}

const optionValues = (html: string, selectName: string) => {
  const select = html.match(new RegExp(`<select[^>]*name="${selectName}"[^>]*>([\\s\\S]*?)</select>`))?.[1] ?? "";
  return [...select.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].filter((m) => m[1]).map((m) => m[2]);
};

describe("who may open Request User Access", () => {
  it("a user who has not finished enrollment is sent to finish it, and a weak session to step up, then back", async () => {
    const notEnrolled = await createUser({ verified: true });
    const b1 = new Browser();
    await b1.signIn(notEnrolled.loginId, notEnrolled.password);
    const r1 = await b1.get(FORM);
    expect(r1.status).toBe(302);
    expect(r1.headers.get("Location")).toMatch(/^\/(enrollment|first-sign-in)/);

    const { user, browser } = await signedIn();
    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(user.id)
      .run();
    const r2 = await browser.get(FORM);
    expect(r2.status).toBe(302);
    expect(r2.headers.get("Location")).toBe(`/step-up?redirectTo=${encodeURIComponent(FORM)}`);
  });

  it("shows User Information read-only and the form's labels", async () => {
    const { user, browser } = await signedIn({ firstName: "Robin", lastName: "Okafor" });
    const html = await (await browser.get(FORM)).text();
    for (const label of [
      "Request User Access",
      "User Information",
      "User Request Information",
      "Program",
      "Organization",
      "Search Organizations",
      "User Role",
      "Start Date",
      "End Date",
      "Not Applicable",
      "Approvers",
      "User Request Additional Information",
      "Comments",
      "Submit Request",
    ])
      expect(html).toContain(label);
    expect(html).toContain(user.loginId);
    expect(html).toContain("Robin Okafor");
    expect(html).toContain(user.email);
  });
});

describe("role rules", () => {
  it("offers only the roles the program and the organization's type allow, and refuses others on the server", async () => {
    const { browser } = await signedIn();
    const qies = await programId("QIES");
    const qbic = await programId("QBIC");
    const ohio = await orgByName("STATE OF OHIO");
    const provider = await orgOfType("Provider");
    const cms = await orgOfType("CMS");

    const atOhio = optionValues(
      await (await browser.get(`${FORM}?program=${qies}&organization=${ohio}`)).text(),
      "roleId",
    );
    expect(atOhio).toContain("Organization Security Official");
    expect(atOhio).not.toContain("QBIC Analyst");

    const atProvider = optionValues(
      await (await browser.get(`${FORM}?program=${qies}&organization=${provider}`)).text(),
      "roleId",
    );
    expect(atProvider).not.toContain("Organization Security Official");
    expect(atProvider).toContain("End User");

    const qbicAtCms = optionValues(
      await (await browser.get(`${FORM}?program=${qbic}&organization=${cms}`)).text(),
      "roleId",
    );
    expect(qbicAtCms).toContain("QBIC Analyst");
    const qbicAtOhio = optionValues(
      await (await browser.get(`${FORM}?program=${qbic}&organization=${ohio}`)).text(),
      "roleId",
    );
    expect(qbicAtOhio).not.toContain("QBIC Analyst");

    // The OSO page carries the QBIC note (SPEC 2.5).
    expect(await (await browser.get(`${FORM}?program=${qies}&organization=${ohio}`)).text()).toContain(
      "This request does not include access to the QBIC application",
    );

    // A crafted post for a role the organization's type does not allow.
    const desk = await approver("HELP_DESK_APPROVER");
    const refused = await browser.post(
      FORM,
      fields({ program: qies, organization: provider, role: await roleId("OSO"), approver: desk.id }),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("That role is not available for Provider organizations");
  });

  it("refuses an inactive organization, a past start or end date, and over-long comments, next to the field, keeping the rest", async () => {
    const { user, browser } = await signedIn();
    const qies = await programId("QIES");
    const oso = await roleId("OSO");
    const org = await orgByName("STATE OF IOWA");
    const desk = await approver("HELP_DESK_APPROVER");

    const past = await browser.post(
      FORM,
      fields({
        program: qies,
        organization: org,
        role: oso,
        approver: desk.id,
        endDate: us(inDays(-1)),
        comments: "Keep me",
      }),
    );
    expect(past.status).toBe(400);
    const pastHtml = await past.text();
    expect(pastHtml).toContain("The End Date cannot be in the past.");
    expect(pastHtml).toContain("Keep me");

    const early = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: oso, approver: desk.id, startDate: us(inDays(-3)) }),
    );
    expect(await early.text()).toContain("The Start Date cannot be in the past.");

    const long = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: oso, approver: desk.id, comments: "x".repeat(2001) }),
    );
    expect(long.status).toBe(400);
    expect(await long.text()).toContain("Comments must be at most 2,000 characters.");

    const inactive = await orgOfType("Provider");
    await env.DB.prepare("UPDATE organizations SET status = 'Inactive' WHERE id = ?").bind(inactive).run();
    try {
      const refused = await browser.post(
        FORM,
        fields({ program: qies, organization: inactive, role: await roleId("END_USER"), approver: desk.id }),
      );
      expect(refused.status).toBe(400);
      expect(await refused.text()).toMatch(/is inactive and cannot be requested/);
    } finally {
      await env.DB.prepare("UPDATE organizations SET status = 'Active' WHERE id = ?").bind(inactive).run();
    }
    expect(await count("SELECT count(*) AS n FROM access_requests WHERE user_id = ?", user.id)).toBe(0);
  });
});

describe("approver rules", () => {
  it("lists the organization's Security Officials when it has them, and the program's help desk when it has none", async () => {
    const qies = await programId("QIES");
    const oso = await roleId("OSO");
    const org = await orgByName("STATE OF KANSAS");
    const desk = await approver("HELP_DESK_APPROVER", {}, "Dana");
    const { user, browser } = await signedIn();

    const before = await (await browser.get(`${FORM}?program=${qies}&organization=${org}`)).text();
    expect(optionValues(before, "approverUserId")).toContain("Dana Approver");
    expect(before).toContain("has no Security Official for this program yet");

    // Now the organization has a Security Official: only they decide.
    const official = await approver("OSO", { organizationId: org, programId: await programId("QIES") }, "Sasha");
    // One without a strong device is never offered (decisions need a fresh strong factor).
    const weakOfficial = await createUser({ verified: true, firstName: "Weak", lastName: "Official" });
    await env.DB.prepare(
      "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) VALUES (?, ?, ?, ?, ?, 'active', ?)",
    )
      .bind(crypto.randomUUID(), weakOfficial.id, oso, qies, org, Date.now())
      .run();
    const after = optionValues(
      await (await browser.get(`${FORM}?program=${qies}&organization=${org}`)).text(),
      "approverUserId",
    );
    expect(after).toEqual(["Sasha Approver"]);

    // The help desk is not an allowed approver any more: refused next to the field.
    const refused = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: oso, approver: desk.id }),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Select one of the approvers listed for this request.");

    // Nobody approves their own request: a Security Official requesting at their organization is not listed.
    await env.DB.prepare(
      "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) VALUES (?, ?, ?, ?, ?, 'active', ?)",
    )
      .bind(crypto.randomUUID(), user.id, oso, qies, org, Date.now())
      .run();
    const self = optionValues(
      await (await browser.get(`${FORM}?program=${qies}&organization=${org}`)).text(),
      "approverUserId",
    );
    expect(self).not.toContain("Casey Jordan");
    const own = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("END_USER"), approver: user.id }),
    );
    expect(own.status).toBe(400);
    expect(official.id).not.toBe(user.id);
  });
});

describe("program scope", () => {
  it("the first Security Official of program B at X goes to B's help desk, though X has an official for program A", async () => {
    const [qies, iqr] = [await programId("QIES"), await programId("IQR")];
    const oso = await roleId("OSO");
    const org = await orgByName("STATE OF INDIANA");
    const qiesOfficial = await approver("OSO", { organizationId: org, programId: qies }, "Quinn");
    const iqrDesk = await approver("HELP_DESK_APPROVER", { programId: iqr }, "Iris");
    const { user, browser } = await signedIn();

    const form = await (await browser.get(`${FORM}?program=${iqr}&organization=${org}`)).text();
    const offered = optionValues(form, "approverUserId");
    expect(offered).toContain("Iris Approver");
    expect(offered).not.toContain("Quinn Approver");
    // The program A official is not an approver for program B.
    const wrong = await browser.post(
      FORM,
      fields({ program: iqr, organization: org, role: oso, approver: qiesOfficial.id }),
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("Select one of the approvers listed for this request.");

    const made = await browser.post(FORM, fields({ program: iqr, organization: org, role: oso, approver: iqrDesk.id }));
    expect(made.status).toBe(302);
    const id = made.headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];
    expect(
      await one<{ approver_kind: string; approver_user_id: string }>(
        "SELECT approver_kind, approver_user_id FROM access_requests WHERE id = ? AND user_id = ?",
        id,
        user.id,
      ),
    ).toEqual({ approver_kind: "help_desk", approver_user_id: iqrDesk.id });
    expect((await waitForEmail(iqrDesk.email, id)).body_text).toContain(`/role-requests/${id}`);
    expect(
      await count("SELECT count(*) AS n FROM outbox WHERE idempotency_key = ?", `access_request_waiting:${id}`),
    ).toBe(1);
  });

  it("a role already held for the program and organization cannot be requested: said next to User Role, nothing written", async () => {
    const [qies, iqr] = [await programId("QIES"), await programId("IQR")];
    const endUser = await roleId("END_USER");
    const org = await orgByName("STATE OF ILLINOIS");
    const official = await approver("OSO", { organizationId: org, programId: qies }, "Owen");
    const { user, browser } = await signedIn();
    await env.DB.prepare(
      "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at) VALUES (?, ?, ?, ?, ?, 'active', ?)",
    )
      .bind(crypto.randomUUID(), user.id, endUser, qies, org, Date.now())
      .run();
    const responses = await Promise.all(
      Array.from({ length: 3 }, () =>
        browser.post(FORM, fields({ program: qies, organization: org, role: endUser, approver: official.id })),
      ),
    );
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(
        "You already hold the End User role for Quality Improvement and Evaluation System at STATE OF ILLINOIS",
      );
    }
    expect(await count("SELECT count(*) AS n FROM access_requests WHERE user_id = ?", user.id)).toBe(0);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE subject_user_id = ? AND event_type = 'access_request.submitted'",
        user.id,
      ),
    ).toBe(0);
    // The same role for another program is a different grant.
    const desk = await approver("HELP_DESK_APPROVER", { programId: iqr }, "Ida");
    const other = await browser.post(
      FORM,
      fields({ program: iqr, organization: org, role: endUser, approver: desk.id }),
    );
    expect(other.status).toBe(302);
  });
});

describe("submitting", () => {
  it("creates one request, emails the user and the approver with the Request ID, and records an audit event", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF OHIO");
    const official = await approver("OSO", { organizationId: org, programId: await programId("QIES") }, "Morgan");
    const { user, browser } = await signedIn();

    const review = await browser.post(
      FORM,
      fields({
        intent: "review",
        program: qies,
        organization: org,
        role: await roleId("END_USER"),
        approver: official.id,
      }),
    );
    expect(review.status).toBe(200);
    const reviewHtml = await review.text();
    expect(reviewHtml).toContain("Submit Request Confirmation");
    expect(await count("SELECT count(*) AS n FROM access_requests WHERE user_id = ?", user.id)).toBe(0);

    const response = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("END_USER"), approver: official.id }),
    );
    expect(response.status).toBe(302);
    const location = response.headers.get("Location")!;
    const id = location.match(/\/my-account\/requests\/(QR-[2-9A-HJKMNP-TV-Z]{8})\?submitted=1$/)?.[1];
    expect(id).toBeTruthy();
    const page = await (await browser.get(location)).text();
    expect(page).toContain(id!);
    expect(page).toContain(user.loginId);

    const tasks = await (await browser.get("/my-account")).text();
    expect(tasks).toContain("Quality Report Systems: My Tasks");
    expect(tasks).toContain(id!);
    expect(tasks).toContain("Pending");

    expect((await waitForEmail(user.email, id!)).body_text).toContain(id!);
    expect((await waitForEmail(official.email, id!)).body_text).toContain(`/role-requests/${id}`);

    // The approver's link: sign in first, then the request; the requester and strangers get a 404.
    const anonymous = await new Browser().get(`/role-requests/${id}`);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("Location")).toContain(`redirectTo=${encodeURIComponent(`/role-requests/${id}`)}`);
    const officialBrowser = new Browser();
    expect(
      (
        await officialBrowser.signIn(official.loginId, official.password, {
          deviceType: "totp",
          code: totpNow(official.key),
        })
      ).status,
    ).toBe(302);
    const seen = await officialBrowser.get(`/role-requests/${id}`);
    expect(seen.status).toBe(200);
    expect(await seen.text()).toContain(user.loginId);
    expect((await browser.get(`/role-requests/${id}`)).status).toBe(404);
    expect((await (await signedIn()).browser.get(`/role-requests/${id}`)).status).toBe(404);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'access_request.submitted' AND access_request_id = ? AND actor_user_id = ?",
        id,
        user.id,
      ),
    ).toBe(1);
  });

  it("a double click, a retry or the back button (the same submission key, 10 at once) makes one request", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF TEXAS");
    const desk = await approver("HELP_DESK_APPROVER");
    const { user, browser } = await signedIn();
    const form = fields({ program: qies, organization: org, role: await roleId("OSO"), approver: desk.id });
    const responses = await Promise.all(Array.from({ length: 10 }, () => browser.post(FORM, form)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(302));
    const ids = new Set(responses.map((r) => r.headers.get("Location")!.split("?")[0]));
    expect(ids.size).toBe(1);
    expect(await count("SELECT count(*) AS n FROM access_requests WHERE user_id = ?", user.id)).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'access_request.submitted' AND actor_user_id = ?",
        user.id,
      ),
    ).toBe(1);
  });

  it("a second open request for the same program, organization and role is refused with a link to the first, even in parallel", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF MAINE");
    const desk = await approver("HELP_DESK_APPROVER");
    const { user, browser } = await signedIn();
    const role = await roleId("OSO");
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        browser.post(FORM, fields({ program: qies, organization: org, role, approver: desk.id })),
      ),
    );
    const created = responses.filter((r) => r.status === 302);
    expect(created).toHaveLength(1);
    expect(await count("SELECT count(*) AS n FROM access_requests WHERE user_id = ?", user.id)).toBe(1);
    const first = created[0].headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];
    const refused = responses.find((r) => r.status === 409)!;
    const html = await refused.text();
    expect(html).toContain("You already have an open request for this program, organization and role:");
    expect(html).toContain(`/my-account/requests/${first}`);

    // Once the first is cancelled, a new one may be made.
    await browser.post("/my-account", { intent: "cancel-request", requestId: first });
    const again = await browser.post(FORM, fields({ program: qies, organization: org, role, approver: desk.id }));
    expect(again.status).toBe(302);
  });
});

describe("one's own requests and roles only", () => {
  it("another user's request is a 404 to view and to cancel, and their role cannot be removed", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF OREGON");
    const desk = await approver("HELP_DESK_APPROVER");
    const owner = await signedIn();
    const made = await owner.browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("OSO"), approver: desk.id }),
    );
    const id = made.headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];
    const ownerRole = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO user_roles (id, user_id, role_id, organization_id, status, granted_at) SELECT ?, ?, id, ?, 'active', ? FROM roles WHERE code = 'END_USER'",
    )
      .bind(ownerRole, owner.user.id, org, Date.now())
      .run();

    const stranger = await signedIn();
    expect((await stranger.browser.get(`/my-account/requests/${id}`)).status).toBe(404);
    expect((await stranger.browser.post("/my-account", { intent: "cancel-request", requestId: id })).status).toBe(404);
    expect((await stranger.browser.post("/my-account", { intent: "remove-role", userRoleId: ownerRole })).status).toBe(
      404,
    );
    expect((await one<{ status: string }>("SELECT status FROM access_requests WHERE id = ?", id)).status).toBe(
      "pending",
    );
    expect((await one<{ status: string }>("SELECT status FROM user_roles WHERE id = ?", ownerRole)).status).toBe(
      "active",
    );

    // The owner can do both.
    expect((await owner.browser.get(`/my-account/requests/${id}`)).status).toBe(200);
    const cancelled = await owner.browser.post("/my-account", { intent: "cancel-request", requestId: id });
    expect(await cancelled.text()).toContain(`Request ${id} was cancelled.`);
    const removed = await owner.browser.post("/my-account", { intent: "remove-role", userRoleId: ownerRole });
    expect(await removed.text()).toContain("The role was removed.");
    expect((await one<{ status: string }>("SELECT status FROM user_roles WHERE id = ?", ownerRole)).status).toBe(
      "revoked",
    );
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type IN ('access_request.cancelled', 'role.removed_by_holder') AND actor_user_id = ?",
        owner.user.id,
      ),
    ).toBe(2);
  });
});

describe("what the review found", () => {
  it("help-desk and administrator roles are never offered or accepted through self-service", async () => {
    const { browser } = await signedIn();
    const iqr = await programId("IQR");
    const cms = await orgOfType("CMS");
    const offered = optionValues(
      await (await browser.get(`${FORM}?program=${iqr}&organization=${cms}`)).text(),
      "roleId",
    );
    expect(offered).not.toContain("Help Desk Approver");
    expect(offered).not.toContain("Help Desk Administrator");
    const desk = await approver("HELP_DESK_APPROVER");
    for (const code of ["HELP_DESK_APPROVER", "HELP_DESK_ADMINISTRATOR"]) {
      const refused = await browser.post(
        FORM,
        fields({ program: iqr, organization: cms, role: await roleId(code), approver: desk.id }),
      );
      expect(refused.status).toBe(400);
    }
  });

  it("a role counts from its start date through its end date: an approver before or after that cannot see requests", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF UTAH");
    const desk = await approver("HELP_DESK_APPROVER");
    const { browser } = await signedIn();
    const made = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("OSO"), approver: desk.id }),
    );
    const id = made.headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];

    for (const dates of [
      { start: inDays(30), end: null },
      { start: null, end: inDays(-1) },
    ]) {
      const official = await approver("OSO", { organizationId: org, programId: await programId("QIES") }, "Timed");
      await env.DB.prepare("UPDATE user_roles SET start_date = ?, end_date = ? WHERE user_id = ?")
        .bind(dates.start, dates.end, official.id)
        .run();
      const b = new Browser();
      await b.signIn(official.loginId, official.password, { deviceType: "totp", code: totpNow(official.key) });
      expect((await b.get(`/role-requests/${id}`)).status).toBe(404);
      const listed = optionValues(
        await (await browser.get(`${FORM}?program=${qies}&organization=${org}`)).text(),
        "approverUserId",
      );
      expect(listed).not.toContain("Timed Approver");
    }
  });

  it("new submissions are budgeted per user (20 a day), and a replayed one is still answered", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF UTAH");
    const desk = await approver("HELP_DESK_APPROVER");
    const { user, browser } = await signedIn();
    const first = fields({ program: qies, organization: org, role: await roleId("END_USER"), approver: desk.id });
    expect((await browser.post(FORM, first)).status).toBe(302);
    await env.DB.prepare("UPDATE rate_limits SET count = 20 WHERE key = ?")
      .bind(`access-request:user:${user.id}`)
      .run();
    const refused = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("OSO"), approver: desk.id }),
    );
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain("You have submitted many requests today.");
    expect((await browser.post(FORM, first)).status).toBe(302);
  });

  it("the carried draft keeps only the form's own fields, and a body that is not a form is a 400, not a 500", async () => {
    const { browser } = await signedIn();
    const html = await (
      await browser.post(FORM, {
        intent: "refresh",
        draft: JSON.stringify({ comments: "kept", intent: "confirm", injected: "x" }),
      })
    ).text();
    expect(html).toContain("kept");
    expect(html).not.toContain('name="injected"');
    expect(html).not.toMatch(/type="hidden" name="intent" value="confirm"/);
    const json = await fetchWorker("http://localhost:8787/my-account", {
      method: "POST",
      redirect: "manual",
      headers: {
        Host: "localhost:8787",
        Origin: "http://localhost:8787",
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/json",
        Cookie: [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; "),
      },
      body: "{}",
    });
    expect(json.status).toBe(400);
  });
});

describe("gates and limits under parallel requests", () => {
  it("10 parallel cancels of one request change it once and write one audit event; 10 parallel removals of one role likewise", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF IDAHO");
    const desk = await approver("HELP_DESK_APPROVER");
    const { user, browser } = await signedIn();
    const made = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("OSO"), approver: desk.id }),
    );
    const id = made.headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];
    const cancels = await Promise.all(
      Array.from({ length: 10 }, () => browser.post("/my-account", { intent: "cancel-request", requestId: id })),
    );
    const texts = await Promise.all(cancels.map((r) => r.text()));
    expect(texts.filter((t) => t.includes(`Request ${id} was cancelled.`))).toHaveLength(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'access_request.cancelled' AND access_request_id = ?",
        id,
      ),
    ).toBe(1);

    const roleRow = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO user_roles (id, user_id, role_id, organization_id, status, granted_at) SELECT ?, ?, id, ?, 'active', ? FROM roles WHERE code = 'END_USER'",
    )
      .bind(roleRow, user.id, org, Date.now())
      .run();
    const removals = await Promise.all(
      Array.from({ length: 10 }, () => browser.post("/my-account", { intent: "remove-role", userRoleId: roleRow })),
    );
    expect(removals.filter((r) => r.status === 200)).toHaveLength(1);
    expect(removals.filter((r) => r.status === 404)).toHaveLength(9);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_events WHERE event_type = 'role.removed_by_holder' AND actor_user_id = ?",
        user.id,
      ),
    ).toBe(1);
  });

  it("the submission budget holds under parallel submissions: with 2 left, 6 different requests at once make 2", async () => {
    const qies = await programId("QIES");
    const desk = await approver("HELP_DESK_APPROVER");
    const { user, browser } = await signedIn();
    await env.DB.prepare("INSERT INTO rate_limits (key, count, window_starts_at) VALUES (?, 18, ?)")
      .bind(`access-request:user:${user.id}`, Date.now())
      .run();
    const orgs = await Promise.all(
      [
        "STATE OF ALABAMA",
        "STATE OF ALASKA",
        "STATE OF ARIZONA",
        "STATE OF ARKANSAS",
        "STATE OF COLORADO",
        "STATE OF DELAWARE",
      ].map(orgByName),
    );
    const role = await roleId("OSO");
    const responses = await Promise.all(
      orgs.map((organization) => browser.post(FORM, fields({ program: qies, organization, role, approver: desk.id }))),
    );
    expect(responses.filter((r) => r.status === 302)).toHaveLength(2);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(4);
    expect(await count("SELECT count(*) AS n FROM access_requests WHERE user_id = ?", user.id)).toBe(2);
  });

  it("Search Organizations asks for a narrower search when more than 1,000 organizations match, on its page and in Administration", async () => {
    const { browser } = await signedIn();
    const broad = await (await browser.get("/my-account/request-access/organizations?name=center")).text();
    expect(broad).toContain(
      "More than 1,000 organizations match. Add more of the name, or an Org Zip Code, Org City or Org State, to narrow the search.",
    );
    expect(broad).not.toContain("<table");
    const narrowed = await (await browser.get("/my-account/request-access/organizations?name=center&state=OH")).text();
    expect(narrowed).not.toContain("More than 1,000");
    expect(narrowed).toMatch(/\d+ organizations? found/);
    // Past the last page that can exist, the form says so next to nothing lost.
    const deep = await (await browser.get("/my-account/request-access/organizations?name=medical&page=41")).text();
    expect(deep).toContain("Choose a page from 1 to 40. Narrow the search to see more.");
  });

  it("Search Organizations: enrollment and a strong session first, and 120 searches per 10 minutes hold under parallel requests", async () => {
    const notEnrolled = await createUser({ verified: true });
    const b1 = new Browser();
    await b1.signIn(notEnrolled.loginId, notEnrolled.password);
    expect((await b1.get("/my-account/request-access/organizations?name=ohio")).status).toBe(302);

    const { user, browser } = await signedIn();
    await env.DB.prepare("UPDATE sessions SET assurance = 'weak', strong_factor_at = NULL WHERE user_id = ?")
      .bind(user.id)
      .run();
    const weak = await browser.get("/my-account/request-access/organizations?name=ohio");
    expect(weak.status).toBe(302);
    expect(weak.headers.get("Location")).toMatch(/^\/step-up\?redirectTo=/);
    await env.DB.prepare("UPDATE sessions SET assurance = 'strong', strong_factor_at = ? WHERE user_id = ?")
      .bind(Date.now(), user.id)
      .run();

    await env.DB.prepare("INSERT INTO rate_limits (key, count, window_starts_at) VALUES (?, 117, ?)")
      .bind(`org-search:user:${user.id}`, Date.now())
      .run();
    const pages = await Promise.all(
      Array.from({ length: 8 }, () =>
        browser.post("/my-account/request-access/organizations", { intent: "search", name: "ohio" }),
      ),
    );
    const bodies = await Promise.all(pages.map((r) => r.text()));
    expect(bodies.filter((b) => b.includes("STATE OF OHIO - SURVEY AND CERTIFICATION"))).toHaveLength(3);
    expect(bodies.filter((b) => b.includes("Too many searches."))).toHaveLength(5);
  });

  it("a Security Official of another organization cannot see the request (404)", async () => {
    const qies = await programId("QIES");
    const org = await orgByName("STATE OF NEVADA");
    const elsewhere = await orgByName("STATE OF MONTANA");
    const official = await approver("OSO", { organizationId: org, programId: await programId("QIES") }, "Home");
    const stranger = await approver("OSO", { organizationId: elsewhere, programId: await programId("QIES") }, "Away");
    const { browser } = await signedIn();
    const made = await browser.post(
      FORM,
      fields({ program: qies, organization: org, role: await roleId("END_USER"), approver: official.id }),
    );
    const id = made.headers.get("Location")!.match(/QR-[A-Z0-9]{8}/)![0];
    const away = new Browser();
    await away.signIn(stranger.loginId, stranger.password, { deviceType: "totp", code: totpNow(stranger.key) });
    expect((await away.get(`/role-requests/${id}`)).status).toBe(404);
    const home = new Browser();
    await home.signIn(official.loginId, official.password, { deviceType: "totp", code: totpNow(official.key) });
    expect((await home.get(`/role-requests/${id}`)).status).toBe(200);
  });
});
