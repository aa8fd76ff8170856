import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { auditEvents, organizations, programs } from "../../app/.server/db/schema";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { writeLocalD1 } from "./support/local-d1";
import { createSignedInUser } from "./support/signed-in-user";

const getBrowser = sharedBrowser();

const OHIO = "STATE OF OHIO - SURVEY AND CERTIFICATION";

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";

  describe(`the Audit Log on a 360 px phone with JavaScript ${javaScript ? "on" : "off"}`, () => {
    it("a Security Official filters their organization's events; the table stacks, nothing scrolls sideways, axe finds nothing", async () => {
      const official = await createSignedInUser({
        firstName: "Morgan",
        lastName: `Audit${mode}`,
        roles: [{ role: "OSO", organization: OHIO, program: "QIES" }],
      });
      const traceId = `e2e-${mode}-${crypto.randomUUID()}`;
      await writeLocalD1(inject("localD1File"), async (db) => {
        const org = await db
          .select({ id: organizations.id })
          .from(organizations)
          .where(eq(organizations.name, OHIO))
          .get();
        const program = await db.select({ id: programs.id }).from(programs).where(eq(programs.code, "QIES")).get();
        const at = Date.now();
        await db.insert(auditEvents).values(
          Array.from({ length: 3 }, (_, i) => ({
            occurredAt: new Date(at - i * 60_000),
            eventType: i === 0 ? "access_request.submitted" : "mfa.device_added",
            outcome: "success" as const,
            actorUserId: official.userId,
            subjectUserId: official.userId,
            organizationId: org!.id,
            programId: program!.id,
            traceId: i === 0 ? traceId : `${traceId}-${i}`,
            accessRequestId: "QR-7K3M9P2X",
          })),
        );
      });

      const phone = await newContext(getBrowser(), { javaScript, width: 360 });
      await phone.addCookies(official.cookies);
      const { page, problems } = await openPage(phone);
      await page.setViewportSize({ width: 360, height: 740 });

      await page.goto(`/audit-log?userId=${official.loginId}`);
      await page.getByRole("heading", { level: 1, name: "Audit Log" }).waitFor();
      await page.getByText(traceId, { exact: true }).waitFor();
      expect(await page.locator("#audit-events tbody tr").count()).toBe(3);
      await expectNoHorizontalScroll(page);
      await expectNoAxeViolations(page, { javaScript });
      await screenshot(page, `audit-log-${mode}`);

      // A date that does not exist: its message by the field, the other filters kept.
      await page.getByLabel("Event type").selectOption("access_request.submitted");
      await page.getByLabel("From").fill("02/30/2026");
      await page.getByRole("button", { name: "Apply Filters" }).click();
      await page.getByText("Enter the From date as mm/dd/yyyy").first().waitFor();
      expect(await page.getByLabel("User ID").inputValue()).toBe(official.loginId);
      expect(await page.getByLabel("Event type").inputValue()).toBe("access_request.submitted");
      await expectNoHorizontalScroll(page);
      await expectNoAxeViolations(page, { javaScript });

      await page.getByLabel("From").fill("");
      await page.getByRole("button", { name: "Apply Filters" }).click();
      await page.waitForURL(/type=access_request.submitted/);
      await page.getByText(traceId, { exact: true }).waitFor();
      expect(await page.locator("#audit-events tbody tr").count()).toBe(1);
      const csv = page.getByRole("link", { name: "Download CSV" });
      expect(await csv.getAttribute("href")).toBe(
        `/audit-log.csv?userId=${official.loginId}&type=access_request.submitted`,
      );
      expect(problems).toEqual([]);
      await phone.close();
    });
  });
}
