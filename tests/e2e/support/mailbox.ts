import type { Page } from "playwright-core";

/** Reads the newest email to `recipient` from the development mailbox, waiting for the queue. */
export async function readEmail(
  page: Page,
  recipient: string,
  subjectIncludes: string,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await page.goto("/_dev/mailbox");
    // Read the list only once the page is on screen.
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    const item = page.locator("li.mail", { hasText: recipient }).filter({ hasText: subjectIncludes }).first();
    if ((await item.count()) > 0) {
      await item.locator("summary").click();
      return (await item.locator("pre").textContent()) ?? "";
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`No email "${subjectIncludes}" to ${recipient}`);
}
