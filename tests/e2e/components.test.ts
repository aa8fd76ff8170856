import { describe, expect, it } from "vitest";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";

const getBrowser = sharedBrowser();

/** The element that has focus, described by its id or tag. */
const focused = (page: import("playwright-core").Page) =>
  page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName.toLowerCase() || "");

describe("design-system components (/_dev/components)", () => {
  it("with JavaScript: the dialog takes focus, Escape and Close shut it and focus returns to the opener", async () => {
    const context = await newContext(getBrowser(), { javaScript: true, width: 1280 });
    const { page, problems } = await openPage(context);
    // Loaded and hydrated: before its script runs, the opener is a link to the page with the dialog open.
    await page.goto("/_dev/components", { waitUntil: "networkidle" });
    const opener = page.getByRole("link", { name: "Search Organizations" });
    const dialog = page.getByRole("dialog", { name: "Search Organizations" });
    expect(await dialog.count()).toBe(0);

    await opener.focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
    expect(await focused(page)).toBe("org-search");
    await expectNoAxeViolations(page);
    await screenshot(page, "components-dialog-js");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);

    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Close");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "hidden" });
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);

    await opener.click();
    await page.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(problems).toEqual([]);
    await context.close();
  });

  it("with JavaScript: pagination links are named Page N, mark the current page and move between pages", async () => {
    const context = await newContext(getBrowser(), { javaScript: true, width: 1280 });
    const { page, problems } = await openPage(context);
    await page.goto("/_dev/components?page=3");
    const nav = page.getByRole("navigation", { name: "Organizations - Page 3 of 12" });
    await nav.waitFor();
    expect(await nav.getByRole("link", { name: "Page 3", exact: true }).getAttribute("aria-current")).toBe("page");
    expect(await nav.getByRole("link", { name: "Page 12", exact: true }).getAttribute("aria-current")).toBeNull();
    await nav.getByRole("link", { name: "Next Page" }).click();
    await page.waitForURL("**/_dev/components?page=4");
    await page.getByRole("navigation", { name: "Organizations - Page 4 of 12" }).waitFor();
    await page.getByRole("table", { name: "Organizations, page 4 of 12" }).waitFor();
    await page.getByRole("link", { name: "Page 1", exact: true }).click();
    await page.getByRole("navigation", { name: "Organizations - Page 1 of 12" }).waitFor();
    // On the first page Previous is there but disabled, and out of the Tab order.
    const previous = page.getByRole("link", { name: "Previous Page" });
    expect(await previous.getAttribute("aria-disabled")).toBe("true");
    expect(await previous.getAttribute("href")).toBeNull();
    await expectNoAxeViolations(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("without JavaScript on a 360 px phone: the table stacks, paging and the date field work, the dialog opens in the page", async () => {
    const context = await newContext(getBrowser(), { javaScript: false, width: 360 });
    const { page, problems } = await openPage(context);
    await page.goto("/_dev/components?page=2");
    const table = page.getByRole("table", { name: "Organizations, page 2 of 12" });
    await table.waitFor();
    // Stacked: no header row on screen; each value is labelled with its column.
    expect(await table.locator("thead").isVisible()).toBe(false);
    const city = table.getByRole("cell").filter({ hasText: "Columbus" }).first();
    expect(await city.getAttribute("data-title")).toBe("Org City");
    expect(await city.evaluate((td) => getComputedStyle(td, "::before").content)).toBe('"Org City"');
    await expectNoHorizontalScroll(page);
    await expectNoAxeViolations(page, { javaScript: false });
    await screenshot(page, "components-nojs");

    await page.getByRole("link", { name: "Next Page" }).click();
    await page.waitForURL("**/_dev/components?page=3");
    await page.getByText("Page 3 of 12", { exact: true }).waitFor();

    await page.getByLabel("Start Date").fill("02/30/2026");
    await page.getByRole("button", { name: "Check date" }).click();
    await page.waitForURL("**/_dev/components?startDate=02%2F30%2F2026");
    const date = page.getByLabel("Start Date");
    expect(await date.getAttribute("aria-invalid")).toBe("true");
    expect(await date.getAttribute("aria-describedby")).toBe("field-startDate-hint field-startDate-error");
    await page.getByText("Error: Enter a real date as mm/dd/yyyy").waitFor();
    await expectNoAxeViolations(page, { javaScript: false });
    await page.getByLabel("Start Date").fill("03122026");
    await page.getByRole("button", { name: "Check date" }).click();
    await page.getByRole("status").filter({ hasText: "Read as 2026-03-12." }).waitFor();

    await page.getByRole("link", { name: "Search Organizations" }).click();
    await page.waitForURL("**/_dev/components?dialog=open");
    const dialog = page.getByRole("dialog", { name: "Search Organizations" });
    await dialog.waitFor();
    await expectNoHorizontalScroll(page);
    await expectNoAxeViolations(page, { javaScript: false });
    await screenshot(page, "components-dialog-nojs");
    // The Close button's method="dialog" form needs no script.
    await page.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(problems).toEqual([]);
    await context.close();
  });
});
