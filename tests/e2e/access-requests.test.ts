import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { readEmail } from "./support/mailbox";
import { createSignedInUser } from "./support/signed-in-user";

const getBrowser = sharedBrowser();

const HELPDESK_EMAIL = "helpdesk1@secure-portal.localhost";
const OHIO = "STATE OF OHIO - SURVEY AND CERTIFICATION";
const REGIONS = [
  "BOSTON",
  "NEW YORK",
  "PHILADELPHIA",
  "ATLANTA",
  "CHICAGO",
  "DALLAS",
  "KANSAS CITY",
  "DENVER",
  "SAN FRANCISCO",
  "SEATTLE",
];

/** The search form: in the dialog with JavaScript, on its own page without. */
function searchArea(page: Page, javaScript: boolean) {
  return javaScript ? page.getByRole("dialog", { name: "Search Organizations" }) : page.locator("main");
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";
  const width = javaScript ? 1280 : 360;

  describe(`Request User Access with JavaScript ${javaScript ? "on" : "off"} at ${width} px`, () => {
    it("User Profile → My Account → Request My Access → search “ohio” → OK → Organization Security Official → Submit Request → OK → the Request ID, in My Requests and both emails", async () => {
      const user = await createSignedInUser({ firstName: "Riley", lastName: `Request${mode}` });
      const context = await newContext(getBrowser(), { javaScript, width });
      await context.addCookies(user.cookies);
      const { page, problems } = await openPage(context);
      const check = async (name: string) => {
        await expectNoAxeViolations(page, { javaScript });
        await expectNoHorizontalScroll(page);
        await screenshot(page, `${name}-${mode}`);
      };

      await page.goto("/welcome");
      const menu = page.getByText("User Profile", { exact: true });
      await menu.click();
      await page.getByRole("link", { name: "My Account", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Quality Report Systems: My Tasks" }).waitFor();
      await page.getByRole("heading", { name: "Manage My Access" }).waitFor();
      await check("my-tasks-empty");
      await page.getByRole("link", { name: "Request My Access" }).click();
      await page.getByRole("heading", { level: 1, name: "Request User Access" }).waitFor();
      await page.getByText(user.loginId, { exact: true }).waitFor();
      await check("request-form");

      await page.getByLabel("Program").selectOption({ label: "Quality Improvement and Evaluation System" });
      await page.getByLabel("Comments").fill(`Kept through the search (${mode}).`);
      await page.getByRole("button", { name: "Search Organizations" }).click();
      const search = searchArea(page, javaScript);
      if (javaScript) {
        await search.waitFor();
        // Focus moves into the dialog.
        expect(await page.evaluate(() => document.activeElement?.closest("dialog") !== null)).toBe(true);
      } else {
        await page.getByRole("heading", { level: 1, name: "Search Organizations" }).waitFor();
      }

      // Too short a name is refused next to the field.
      await search.getByLabel("Org Name").fill("oh");
      await search.getByRole("button", { name: "Search", exact: true }).click();
      await search.getByText("Enter 3 or more characters.").first().waitFor();

      // Nothing found.
      await search.getByLabel("Org Name").fill("zzqx nothing");
      await search.getByRole("button", { name: "Search", exact: true }).click();
      await search.getByText("Search returned with no results.").waitFor();

      // A word in thousands of names: none are listed, and the search asks for a narrower one.
      await search.getByLabel("Org Name").fill("center");
      await search.getByRole("button", { name: "Search", exact: true }).click();
      await search.getByText(/^More than 1,000 organizations match\. Add more of the name/).waitFor();
      await check("search-too-many");

      // "regional" lists all ten Regional Offices (region 8 has two rows in the original's list).
      await search.getByLabel("Org Type").selectOption("QARM Org Security");
      await search.getByLabel("Org Name").fill("regional");
      await search.getByRole("button", { name: "Search", exact: true }).click();
      await search.locator("caption", { hasText: "11 organizations found" }).waitFor();
      for (const [n, city] of REGIONS.entries())
        await search.getByRole("radio", { name: `Select REGIONAL OFFICE ${n + 1} - ${city}`, exact: true }).waitFor();
      // In the order people read them: 1, 2, 3 … 10 (8 before 8 Lowry).
      const listed = (await search
        .getByRole("radio", { name: /^Select REGIONAL OFFICE / })
        .evaluateAll((radios) => radios.map((r) => r.getAttribute("aria-label") ?? ""))) as string[];
      const regionsListed = listed.map((label) => Number(/REGIONAL OFFICE (\d+)/.exec(label)?.[1]));
      expect(regionsListed).toEqual([...regionsListed].sort((a, b) => a - b));
      await check("search-regional");

      await search.getByLabel("Org Name").fill("ohio");
      await search.getByRole("button", { name: "Search", exact: true }).click();
      await search.getByRole("radio", { name: `Select ${OHIO}` }).check();
      await check("search-ohio");
      await search.getByRole("button", { name: "OK", exact: true }).click();

      await page.getByRole("heading", { level: 1, name: "Request User Access" }).waitFor();
      await page.getByText(OHIO).first().waitFor();
      if (javaScript) {
        // Focus returns to the button that opened the dialog.
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Search Organizations");
      }
      expect(await page.getByLabel("Comments").inputValue()).toBe(`Kept through the search (${mode}).`);
      await page.getByText("This request does not include access to the QBIC application").waitFor();
      await page.getByLabel("User Role").selectOption({ label: "Organization Security Official" });
      await page.getByLabel("Approvers").selectOption({ label: "Helen Desk" });
      await check("request-filled");
      await page.getByRole("button", { name: "Submit Request" }).click();

      const confirm = javaScript
        ? page.getByRole("dialog", { name: "Submit Request Confirmation" })
        : page.locator("main");
      if (!javaScript) await page.getByRole("heading", { level: 1, name: "Submit Request Confirmation" }).waitFor();
      await confirm.getByText(OHIO).waitFor();
      await check("request-confirm");
      await confirm.getByRole("button", { name: "OK", exact: true }).click();

      await page.getByRole("heading", { level: 1, name: "Your request was submitted" }).waitFor();
      const requestId = (await page.locator(".request-id").textContent())?.trim() ?? "";
      expect(requestId).toMatch(/^QR-[2-9A-HJKMNP-TV-Z]{8}$/);
      await page.getByText(`Request ID ${requestId} for User ID ${user.loginId}`).waitFor();
      await check("request-submitted");

      // Going back does not create a second request. (Without JavaScript the previous page is a
      // post, which the browser will not show again without asking; the integration tests
      // resubmit the same form and get the same request.)
      if (javaScript) await page.goBack();
      await page.goto("/my-account");
      const row = page.locator("tr", { hasText: requestId });
      await row.getByText("Pending").waitFor();
      expect(await page.locator("tbody tr", { hasText: OHIO }).count()).toBe(1);
      await check("my-tasks-pending");

      expect(await readEmail(page, user.email, requestId)).toContain(requestId);
      expect(await readEmail(page, HELPDESK_EMAIL, requestId)).toContain(`/role-requests/${requestId}`);
      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
