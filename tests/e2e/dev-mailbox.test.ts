import { describe, expect, it } from "vitest";
import { useBrowser, newContext, openPage, screenshot } from "./support/browser";

const getBrowser = useBrowser();

describe("development mailbox", () => {
  it("shows a test email that went through the queue and its consumer", async () => {
    const context = await newContext(getBrowser(), { javaScript: false });
    const { page } = await openPage(context);
    const recipient = `e2e-${Date.now()}@secure-portal.localhost`;
    await page.goto("/_dev/mailbox");
    await page.getByLabel("Send a test email to").fill(recipient);
    await page.getByRole("button", { name: "Send test email" }).click();
    await page.waitForURL("**/_dev/mailbox?sent=1");

    // The consumer runs after the queue's batch timeout (1 s locally).
    const item = page.locator("li.mail", { hasText: recipient });
    for (let i = 0; i < 30 && (await item.count()) === 0; i++) {
      await page.waitForTimeout(500);
      await page.goto("/_dev/mailbox");
    }
    await expect(item.count()).resolves.toBe(1);
    await expect(item.textContent()).resolves.toContain("Delivered");
    await item.locator("summary").click();
    await expect(item.getByRole("link", { name: /^http:\/\/localhost:\d+\/$/ }).count()).resolves.toBe(1);
    await screenshot(page, "dev-mailbox");
    await context.close();
  });
});
