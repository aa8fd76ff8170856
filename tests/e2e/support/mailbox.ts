import type { Page } from "playwright-core";

/** Reads the newest email to `recipient` from the development mailbox, waiting for the queue. */
export async function readEmail(
  page: Page,
  recipient: string,
  subjectIncludes: string,
  timeoutMs = 45_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await page.goto("/_dev/mailbox");
    // Read the list only once the page is on screen.
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    // Only a delivered email has a body: one still sending or retrying is listed
    // with its subject alone, so wait for it to arrive rather than open it.
    const item = page
      .locator("li.mail.status-sent", { hasText: recipient })
      .filter({ hasText: subjectIncludes })
      .first();
    if ((await item.count()) > 0) {
      await item.locator("summary").click();
      return (await item.locator("pre").textContent()) ?? "";
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`No email "${subjectIncludes}" to ${recipient}`);
}
