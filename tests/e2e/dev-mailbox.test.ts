import { describe, it } from "vitest";
import { newContext, openPage, screenshot, sharedBrowser } from "./support/browser";

const getBrowser = sharedBrowser();

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
    // Listed first as sending, then as delivered: the page is server-rendered,
    // so it is reloaded until the delivered email is listed.
    const item = page.locator("li.mail.status-sent", { hasText: recipient });
    for (let i = 0; i < 60; i++) {
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      if ((await item.count()) > 0) break;
      await page.waitForTimeout(500);
      await page.goto("/_dev/mailbox");
    }
    await item.waitFor();
    await item.getByText("Delivered").first().waitFor();
    await item.locator("summary").click();
    await item.getByRole("link", { name: /^http:\/\/localhost:\d+\/$/ }).waitFor();
    await screenshot(page, "dev-mailbox");
    await context.close();
  });
});
