import { desc, eq, inArray } from "drizzle-orm";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { newRequestId } from "../../app/.server/access/request-id";
import { accessRequests, organizations, organizationTypes, programs, roles } from "../../app/.server/db/schema";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  sharedBrowser,
} from "./support/browser";
import { signIn } from "./support/journeys";
import { writeLocalD1 } from "./support/local-d1";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * What a new user and a help-desk worker meet on their first walk through the
 * product: the way in to Administration from the top menu, a "User Role" that
 * survives the form reloading its roles and approvers on a slow network, and
 * the Dashboard's counts beside a long program name.
 */

const getBrowser = sharedBrowser();

const OHIO = "STATE OF OHIO - SURVEY AND CERTIFICATION";
const OHIO_HEALTH = "STATE OF OHIO - DEPARTMENT OF HEALTH";
const QIES = "Quality Improvement and Evaluation System";
const OSO = "Organization Security Official";

const shot = (page: Page, name: string) => page.screenshot({ path: `/tmp/walk-${name}.png`, fullPage: true });

describe("the Help Desk Administrator's way in to Administration", () => {
  for (const javaScript of [true, false]) {
    for (const width of [360, 1280]) {
      it(`signs in and reaches the Dashboard by the top menu (JavaScript ${javaScript ? "on" : "off"}, ${width} px)`, async () => {
        const admin = await createSignedInUser({
          firstName: "Hana",
          lastName: `Admin${width}${javaScript ? "js" : "nojs"}`,
          roles: [{ role: "HELP_DESK_ADMINISTRATOR" }],
        });
        const context = await newContext(getBrowser(), { javaScript, width });
        const { page, problems } = await openPage(context);
        await signIn(page, admin.loginId, admin.password, { type: "totp", code: admin.computeTotp() });
        await page.waitForURL("**/welcome");

        const link = page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: /^Administration/ });
        await link.waitFor();
        // The count is in its accessible name, not only in the badge.
        expect(await link.getAttribute("href")).toBe("/admin");
        expect(await link.evaluate((a) => a.textContent)).toMatch(/^Administration\s*\d+\s*\(\d+ failed emails?\)$/);
        await expectNoHorizontalScroll(page);
        // The menu wraps inside the screen.
        const box = await link.boundingBox();
        expect(box).not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
        await expectNoAxeViolations(page, { javaScript });
        await shot(page, `admin-menu-${width}-${javaScript ? "js" : "nojs"}`);

        await link.click();
        await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
        expect(new URL(page.url()).pathname).toBe("/admin");
        expect(problems).toEqual([]);
        await context.close();
      });
    }
  }

  it("an ordinary user has no Administration in the top menu", async () => {
    const user = await createSignedInUser({ firstName: "Nora", lastName: "Ordinary" });
    const context = await newContext(getBrowser(), { javaScript: true });
    await context.addCookies(user.cookies);
    const { page } = await openPage(context);
    await page.goto("/welcome");
    await page.getByText("User Profile", { exact: true }).waitFor();
    expect(await page.getByRole("link", { name: /Administration/ }).count()).toBe(0);
    await context.close();
  });
});

/** Chooses an organization in the "Search Organizations" dialog. */
async function chooseOrganization(page: Page, name: string, query: string) {
  await page.getByRole("button", { name: "Search Organizations" }).click();
  const search = page.getByRole("dialog", { name: "Search Organizations" });
  await search.waitFor();
  await search.getByLabel("Org Name").fill(query);
  await search.getByRole("button", { name: "Search", exact: true }).click();
  await search.getByRole("radio", { name: `Select ${name}`, exact: true }).check();
  await search.getByRole("button", { name: "OK", exact: true }).click();
  await search.waitFor({ state: "hidden" });
}

describe("Request User Access with JavaScript on a slow network", () => {
  it("a User Role chosen while the roles and approvers reload survives the reload; one the new organization does not allow is cleared with a message", async () => {
    const user = await createSignedInUser({ firstName: "Sloane", lastName: "Slownet" });
    const context = await newContext(getBrowser(), { javaScript: true, width: 1280 });
    await context.addCookies(user.cookies);
    const { page, problems } = await openPage(context);
    // Every data request of the form (its roles and approvers) takes a second, as on a poor connection.
    let slowed = 0;
    await page.route(
      (url) => url.pathname.startsWith("/my-account/request-access") && url.pathname.endsWith(".data"),
      async (route) => {
        slowed++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await route.continue();
      },
    );
    // Loaded and hydrated (networkidle) before the first choice: until its script runs, the form reloads only on submit.
    await page.goto("/my-account/request-access", { waitUntil: "networkidle" });
    await page.getByRole("heading", { level: 1, name: "Request User Access" }).waitFor();
    const role = page.getByLabel("User Role");

    await page.getByLabel("Program").selectOption({ label: QIES });
    await role.locator("option", { hasText: OSO }).waitFor({ state: "attached" });
    await chooseOrganization(page, OHIO, "ohio survey");
    // The roles allowed before the organization arrives still list it: the user picks it at once.
    await role.selectOption({ label: OSO });
    // The reload lands: the organization is shown, its approvers listed.
    await page.locator("#request-access-organizationId").getByText(OHIO).waitFor();
    await page.getByLabel("Approvers").locator("option", { hasText: "Helen Desk" }).waitFor({ state: "attached" });
    expect(slowed).toBeGreaterThanOrEqual(2);
    expect(await role.locator("option:checked").textContent()).toBe(OSO);

    // Every later reload keeps it too (the program chosen again).
    await page.getByLabel("Program").selectOption({ label: QIES });
    await page.waitForTimeout(1500);
    expect(await role.locator("option:checked").textContent()).toBe(OSO);

    await page.getByLabel("Approvers").selectOption({ label: "Helen Desk" });
    await page.getByRole("button", { name: "Submit Request" }).click();
    const confirm = page.getByRole("dialog", { name: "Submit Request Confirmation" });
    await confirm.getByText(OSO).waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "hidden" });

    // A state's Department of Health allows no role of this program: the choice is cleared, and said so.
    await chooseOrganization(page, OHIO_HEALTH, "ohio department health");
    await page.locator("#request-access-organizationId").getByText(OHIO_HEALTH).waitFor();
    const gone = `${OSO} is not available for ${OHIO_HEALTH}. Choose another User Role.`;
    // Next to the field (its description) and said once by a screen reader (a status message).
    await page.locator(".ds-c-hint", { hasText: gone }).waitFor({ timeout: 5000 });
    const describedBy = (await role.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(".ds-c-hint", { hasText: gone }).getAttribute("id")).toBeOneOf(describedBy.split(" "));
    expect(await page.getByRole("status").filter({ hasText: gone }).count()).toBe(1);
    expect(await role.inputValue()).toBe("");
    await expectNoAxeViolations(page);
    await shot(page, "request-role-cleared-1280");
    // On a phone the message wraps beside the field; nothing scrolls sideways.
    await page.setViewportSize({ width: 360, height: 800 });
    await expectNoHorizontalScroll(page);
    await shot(page, "request-role-cleared-360");
    expect(problems).toEqual([]);
    await context.close();
  });
});

const LONG_PROGRAM =
  "Hospital Outpatient Quality Reporting and Ambulatory Surgical Center Quality Reporting Supplemental Submissions ESRDQIPFACILITYPERFORMANCESCORESUBMISSIONS";

describe("the Administration Dashboard beside a long program name", () => {
  it("the count of pending requests stays inside its card on one line (1280 px and 360 px, JavaScript on and off)", async () => {
    const admin = await createSignedInUser({
      firstName: "Dana",
      lastName: "Dashboard",
      roles: [{ role: "HELP_DESK_ADMINISTRATOR" }],
    });
    // 13 pending requests for an inactive program with a long name, at providers with no Security Official
    // (nobody's queue shows them); removed again at the end.
    const ids = Array.from({ length: 13 }, () => newRequestId());
    const file = inject("localD1File");
    const programId = await writeLocalD1(file, async (db) => {
      const [program] = await db
        .insert(programs)
        .values({
          code: `LONG${Date.now().toString(36).toUpperCase()}`,
          name: LONG_PROGRAM,
          isDestination: false,
          active: false,
        })
        .returning({ id: programs.id });
      const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.code, "END_USER"));
      const orgs = await db
        .select({ id: organizations.id })
        .from(organizations)
        .innerJoin(organizationTypes, eq(organizationTypes.id, organizations.orgTypeId))
        .where(eq(organizationTypes.name, "Provider"))
        .orderBy(desc(organizations.id))
        .limit(ids.length);
      await db.insert(accessRequests).values(
        ids.map((id, i) => ({
          id,
          userId: admin.userId,
          programId: program.id,
          organizationId: orgs[i].id,
          roleId: role.id,
          approverKind: "security_official" as const,
          startDate: new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" }),
          endDate: null,
          submissionKey: `e2e-${id}`,
          createdAt: new Date(),
        })),
      );
      return program.id;
    });
    try {
      for (const javaScript of [true, false]) {
        for (const width of [1280, 360]) {
          const context = await newContext(getBrowser(), { javaScript, width });
          await context.addCookies(admin.cookies);
          const { page } = await openPage(context);
          await page.goto("/admin");
          await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
          const byProgram = page.getByTestId("pending-by-program");
          const name = byProgram.locator("dt", { hasText: LONG_PROGRAM });
          const count = name.locator("xpath=following-sibling::dd[1]");
          expect((await count.textContent())?.trim()).toBe("13");
          const card = page.locator(".request-card", { has: byProgram });
          const cardBox = await card.boundingBox();
          if (!cardBox) throw new Error("The card is not shown");
          // The lines the number and the name are laid out on, as the reader sees them.
          const lines = (cell: typeof count) =>
            cell.evaluate((element) => {
              const range = document.createRange();
              range.selectNodeContents(element);
              return [...range.getClientRects()].map((r) => ({ left: r.left, right: r.right }));
            });
          const countLines = await lines(count);
          // One line: "13" is never split …
          expect(countLines).toHaveLength(1);
          // … and it is inside the card, as is every line of the name.
          for (const line of [...countLines, ...(await lines(name))]) {
            expect(line.left).toBeGreaterThanOrEqual(cardBox.x);
            expect(line.right).toBeLessThanOrEqual(cardBox.x + cardBox.width);
          }
          await expectNoHorizontalScroll(page);
          await shot(page, `dashboard-${width}-${javaScript ? "js" : "nojs"}`);
          await context.close();
        }
      }
    } finally {
      await writeLocalD1(file, async (db) => {
        await db.delete(accessRequests).where(inArray(accessRequests.id, ids));
        await db.delete(programs).where(eq(programs.id, programId));
      });
    }
  });
});
