import { and, eq, inArray, or } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { newRequestId } from "../../app/.server/access/request-id";
import { accessRequests, organizations, programs, roles, userRoles } from "../../app/.server/db/schema";
import { DEV_HELPDESK } from "../../app/.server/db/seed/build-seed";
import {
  baseURL,
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { independentTotp, signIn, signOut } from "./support/journeys";
import { writeLocalD1 } from "./support/local-d1";
import { readEmail } from "./support/mailbox";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * Approving on a phone (SPEC 2.6): the help desk signs in with an
 * authenticator code on a 360×740 touch screen, opens the pending request for
 * "STATE OF OHIO - SURVEY…", approves it, and rejects another with a reason;
 * the requesters' emails and "My Roles" show the outcome. Without JavaScript,
 * a Security Official does the same on the same phone. Every approver screen
 * fits the screen and passes axe.
 */

const getBrowser = sharedBrowser();
const OHIO = "STATE OF OHIO - SURVEY AND CERTIFICATION";

function phone(browser: Browser, javaScript: boolean) {
  return browser.newContext({
    baseURL: baseURL(),
    javaScriptEnabled: javaScript,
    viewport: { width: 360, height: 740 },
    hasTouch: true,
    isMobile: true,
  });
}

/** A pending request straight into the local D1 (submitting one is access-requests.test.ts's journey). */
async function pendingRequest(input: {
  userId: string;
  /** The seed key (`organizations.external_key`) or the exact name. */
  organizationKey: string;
  role: string;
  kind: "security_official" | "help_desk";
  approverUserId: string;
  comments: string;
}) {
  const id = newRequestId();
  await writeLocalD1(inject("localD1File"), async (db) => {
    const [org] = await db
      .select({ id: organizations.id })
      .from(organizations)
      .where(or(eq(organizations.externalKey, input.organizationKey), eq(organizations.name, input.organizationKey)));
    const [program] = await db.select({ id: programs.id }).from(programs).where(eq(programs.code, "QIES"));
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.code, input.role));
    await db.insert(accessRequests).values({
      id,
      userId: input.userId,
      programId: program.id,
      organizationId: org.id,
      roleId: role.id,
      approverUserId: input.approverUserId,
      approverKind: input.kind,
      startDate: new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" }),
      endDate: null,
      comments: input.comments,
      submissionKey: `e2e-${id}`,
      createdAt: new Date(),
    });
  });
  return id;
}

async function checkScreen(page: Page, name: string, javaScript: boolean) {
  await expectNoHorizontalScroll(page);
  await expectNoAxeViolations(page, { javaScript });
  await screenshot(page, name);
}

const granted: string[] = [];

// Ohio has no Security Official in the seed, so other journeys offer the help desk as its approver: keep it so.
afterAll(async () => {
  if (granted.length === 0) return;
  await writeLocalD1(inject("localD1File"), (db) =>
    db
      .update(userRoles)
      .set({ status: "revoked", endReason: "End-to-end test clean-up" })
      .where(and(inArray(userRoles.accessRequestId, granted), eq(userRoles.status, "active"))),
  );
});

describe("approving on a 360 px phone", () => {
  it("HELPDESK1 signs in with a TOTP, approves the Ohio request and rejects another with a reason; the requesters see both", async () => {
    const parker = await createSignedInUser({ firstName: "Parker", lastName: "Approved" });
    const quinn = await createSignedInUser({ firstName: "Quinn", lastName: "Rejected" });
    const ohio = await pendingRequest({
      userId: parker.userId,
      organizationKey: OHIO,
      role: "OSO",
      kind: "help_desk",
      approverUserId: DEV_HELPDESK.id,
      comments: "I lead the Ohio survey agency's quality team.",
    });
    const other = await pendingRequest({
      userId: quinn.userId,
      organizationKey: OHIO,
      role: "OSO",
      kind: "help_desk",
      approverUserId: DEV_HELPDESK.id,
      comments: "Please add me too.",
    });
    granted.push(ohio, other);

    const context = await phone(getBrowser(), true);
    const { page, problems } = await openPage(context);
    await signIn(page, DEV_HELPDESK.loginId, DEV_HELPDESK.password, {
      type: "totp",
      code: independentTotp(DEV_HELPDESK.totpSecretBase32),
    });
    await page.waitForURL("**/welcome");

    // The top menu says how many wait, and leads to the queue.
    const menuLink = page.getByRole("link", { name: /Role Requests/ });
    expect(await menuLink.textContent()).toMatch(/Role Requests\s*\d+/);
    await menuLink.tap();
    await page.getByRole("heading", { level: 1, name: "Pending Requests" }).waitFor();
    await checkScreen(page, "approver-queue-360-js", true);

    const card = page.locator("li.request-card", { hasText: "Parker Approved" });
    await card.getByText(OHIO).waitFor();
    await card.getByRole("link", { name: `Review request ${ohio}` }).tap();
    await page.getByRole("heading", { level: 1, name: `Access request ${ohio}` }).waitFor();
    await page.getByText("I lead the Ohio survey agency's quality team.").waitFor();
    await checkScreen(page, "approver-request-360-js", true);

    await page.getByRole("link", { name: "Approve", exact: true }).tap();
    await page.getByRole("heading", { name: "Approve this request?" }).waitFor();
    await checkScreen(page, "approver-confirm-approve-360-js", true);
    await page.getByRole("button", { name: "Approve request" }).tap();
    await page.getByText(`You approved request ${ohio}.`).waitFor();
    await page.locator(".history").getByText("Approved").waitFor();
    await checkScreen(page, "approver-approved-360-js", true);

    // The second request, as from the "waiting for you" email after signing out: the link
    // leads through sign-in with the authenticator to the request, then it is rejected with a reason.
    await signOut(page);
    await page.goto(`/role-requests/${other}`);
    await page.waitForURL(/\/login\?redirectTo=/);
    await page.getByLabel("User ID").fill(DEV_HELPDESK.loginId);
    await page.getByRole("button", { name: "Next" }).tap();
    await page.getByLabel("Password", { exact: true }).fill(DEV_HELPDESK.password);
    await page.getByLabel("MFA Device Type").selectOption("totp");
    await page
      .getByLabel("Security Code", { exact: true })
      .fill(independentTotp(DEV_HELPDESK.totpSecretBase32, Date.now(), 1));
    await page.getByRole("button", { name: "Log In" }).tap();
    await page.getByRole("heading", { level: 1, name: `Access request ${other}` }).waitFor();
    await page.getByRole("link", { name: "Reject", exact: true }).tap();
    await page.getByRole("heading", { name: "Reject this request?" }).waitFor();
    await page.getByRole("button", { name: "Reject request" }).tap();
    await page.getByText("Choose a reason for rejecting this request.").first().waitFor();
    await page.getByLabel("You are not known to work for or with this organization").check();
    await page.getByLabel("What should the requester know?").fill("Ask your agency director to confirm your position.");
    await checkScreen(page, "approver-confirm-reject-360-js", true);
    await page.getByRole("button", { name: "Reject request" }).tap();
    await page.getByText(`You rejected request ${other}.`).waitFor();
    expect(problems, problems.join("\n")).toEqual([]);
    await context.close();

    // The requesters: Parker's email and My Roles; Quinn's email with the reason.
    const requesterContext = await phone(getBrowser(), true);
    await requesterContext.addCookies(parker.cookies);
    const requesterPage = (await openPage(requesterContext)).page;
    const approval = await readEmail(requesterPage, parker.email, `${ohio} approved`);
    expect(approval).toContain("Helen Desk approved your request");
    expect(approval).toContain("Organization Security Official");
    await requesterPage.goto("/my-account");
    await requesterPage.locator("#my-roles").waitFor();
    const roles = requesterPage.locator("table[aria-labelledby='my-roles']");
    await roles.locator("td", { hasText: /^Organization Security Official$/ }).waitFor();
    await roles.locator("td", { hasText: OHIO }).first().waitFor();
    const rejection = await readEmail(requesterPage, quinn.email, `${other} rejected`);
    expect(rejection).toContain("Reason: You are not known to work for or with this organization.");
    expect(rejection).toContain("Ask your agency director to confirm your position.");
    await requesterContext.close();
  });

  it("without JavaScript, a Security Official approves from the queue, sees the history, and finds the user under Users at My Organizations", async () => {
    const so = await createSignedInUser({
      firstName: "Sloane",
      lastName: "Official",
      roles: [{ role: "OSO", organization: "qarm:survey:TX", program: "QIES" }],
    });
    const requester = await createSignedInUser({ firstName: "Tatum", lastName: "Texan" });
    const id = await pendingRequest({
      userId: requester.userId,
      organizationKey: "qarm:survey:TX",
      role: "END_USER",
      kind: "security_official",
      approverUserId: so.userId,
      comments: "New surveyor, starting Monday.",
    });

    const context = await phone(getBrowser(), false);
    await context.addCookies(so.cookies);
    const { page } = await openPage(context);
    await page.goto("/role-requests");
    await page.getByRole("heading", { level: 1, name: "Pending Requests" }).waitFor();
    await checkScreen(page, "approver-queue-360-nojs", false);
    await page.getByRole("link", { name: `Review request ${id}` }).tap();
    await page.getByRole("link", { name: "Approve", exact: true }).tap();
    await page.getByRole("button", { name: "Approve request" }).tap();
    await page.getByText(`You approved request ${id}.`).waitFor();
    await checkScreen(page, "approver-approved-360-nojs", false);

    await page.getByRole("link", { name: "Back to Pending Requests" }).tap();
    await page.getByRole("link", { name: "Users at my organizations" }).tap();
    await page.getByRole("heading", { level: 1, name: "Users at My Organizations" }).waitFor();
    const card = page.locator("li.request-card", { hasText: "Tatum Texan" });
    await card.getByText("End User", { exact: true }).waitFor();
    await checkScreen(page, "approver-roster-360-nojs", false);
    await card.getByText(/Revoke End User from Tatum Texan/).tap();
    await card.getByLabel("Reason for revoking").fill("Moved to another agency.");
    await card.getByRole("button", { name: "Revoke role" }).tap();
    await page.getByText("Tatum Texan's End User role was revoked").waitFor();
    await context.close();
  });
});
