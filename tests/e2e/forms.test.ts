import { describe, expect, it } from "vitest";
import { expectNoAxeViolations, newContext, openPage, sharedBrowser } from "./support/browser";

const getBrowser = sharedBrowser();

describe("forms with JavaScript on", () => {
  it("check a field against the form's schema when it loses focus, with the server's words and no request to it", async () => {
    const context = await newContext(getBrowser(), { javaScript: true });
    const { page, problems } = await openPage(context);
    await page.goto("/register");
    const posts: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") posts.push(request.url());
    });

    const email = page.getByLabel("Email Address");
    await email.fill("thomas at example");
    await page.getByLabel("Phone Number").focus();
    // The message the server gives, next to the field, and the field marked invalid.
    await expect.poll(() => email.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    const errorId = (await email.getAttribute("aria-describedby"))?.split(" ").find((id) => id.endsWith("-error"));
    // The design system's inline error starts with "Error:" for screen readers.
    expect(await page.locator(`[id="${errorId}"]`).textContent()).toBe(
      "Error: " + "Enter an email address like name@example.com.",
    );
    // Fixed as it is typed, once shown.
    await email.fill("thomas@example.test");
    await expect.poll(() => email.getAttribute("aria-invalid")).toBeNull();

    // Submitting with a field left empty: stopped in the browser, summary at the top linking to it.
    await page.getByRole("button", { name: "Register" }).click();
    const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
    await summary.waitFor();
    await expect.poll(() => summary.getByRole("link", { name: "Enter your first name." }).count()).toBe(1);
    expect(posts).toEqual([]);
    await expectNoAxeViolations(page, { javaScript: true });
    expect(problems).toEqual([]);
    await context.close();
  });
});
