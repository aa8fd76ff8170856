import { mkdirSync } from "node:fs";
import type { Browser, Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { baseURL, expectNoAxeViolations, openPage, SCREENSHOT_DIR, sharedBrowser } from "./support/browser";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * The signed-in header: the "User Profile" menu opens inside the screen on a
 * phone and on a desktop, with JavaScript on and off, and nothing in the
 * header makes the page scroll sideways.
 */

const getBrowser = sharedBrowser();

const SIGNED_IN_SCREENS = [
  { path: "/welcome", heading: "Welcome" },
  { path: "/my-account", heading: "Quality Report Systems: My Tasks" },
  { path: "/profile", heading: "Profile" },
  { path: "/my-account/request-access", heading: "Request User Access" },
];

/** A phone (touch, mobile viewport) or a desktop window. */
function newDevice(browser: Browser, options: { javaScript: boolean; width: number; phone: boolean }) {
  return browser.newContext({
    baseURL: baseURL(),
    javaScriptEnabled: options.javaScript,
    viewport: { width: options.width, height: options.phone ? 740 : 900 },
    hasTouch: options.phone,
    isMobile: options.phone,
  });
}

const menuOf = (page: Page) => page.locator("nav[aria-label='Account'] details.user-menu");
const summaryOf = (page: Page) => page.getByText("User Profile", { exact: true });
const isOpen = (page: Page) => menuOf(page).evaluate((details) => (details as HTMLDetailsElement).open);

/** Opens the menu as a person would: a tap on a phone, a click on a desktop. */
async function openMenu(page: Page, phone: boolean) {
  const summary = summaryOf(page);
  if (phone) await summary.tap();
  else await summary.click();
  await page.getByRole("link", { name: "My Account", exact: true }).waitFor();
  expect(await isOpen(page)).toBe(true);
}

/** The menu's button as Chromium's accessibility tree gives it to a screen reader. */
async function summaryAnnounced(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send("Accessibility.getFullAXTree");
  await cdp.detach();
  const button = nodes.find((node) => node.role?.value === "DisclosureTriangle" && node.name?.value === "User Profile");
  const expanded = button?.properties?.find((property) => property.name === "expanded")?.value.value;
  return { name: button?.name?.value, expanded };
}

/** The element lies within [0, width] horizontally and is what is on screen at its centre (nothing covers it). */
async function expectInside(item: Locator, width: number) {
  const box = await item.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(width);
  const onTop = await item.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
  });
  expect(onTop).toBe(true);
}

async function expectMenuInside(page: Page, width: number) {
  await expectInside(page.getByRole("link", { name: "My Account", exact: true }), width);
  await expectInside(page.getByRole("button", { name: "Sign Out", exact: true }), width);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

/** What the screen shows (not the whole page): the header with the menu open. For review, not committed. */
async function shoot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/chrome-${name}.png` });
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "js" : "nojs";

  describe(`the signed-in header with JavaScript ${javaScript ? "on" : "off"}`, () => {
    it("on a 360 px phone, the User Profile menu opens inside the screen on Welcome, My Account, Profile and Request User Access; nothing scrolls sideways; axe finds nothing", {
      timeout: 120_000,
    }, async () => {
      const user = await createSignedInUser({ firstName: "Morgan", lastName: `Header${mode}` });
      const context = await newDevice(getBrowser(), { javaScript, width: 360, phone: true });
      await context.addCookies(user.cookies);
      const { page, problems } = await openPage(context);
      for (const screen of SIGNED_IN_SCREENS) {
        await page.goto(screen.path, { waitUntil: javaScript ? "networkidle" : "load" });
        await page.getByRole("heading", { level: 1, name: screen.heading, exact: true }).waitFor();
        expect(await isOpen(page)).toBe(false);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
        await openMenu(page, true);
        await expectMenuInside(page, 360);
        await expectNoAxeViolations(page, { javaScript });
        await shoot(page, `360-${mode}${screen.path.replaceAll("/", "-")}`);
      }
      expect(problems).toEqual([]);
      await context.close();
    });

    it("at 1280 px, the User Profile menu opens inside the window under its button, which a screen reader announces as collapsed, then expanded", async () => {
      const user = await createSignedInUser({ firstName: "Morgan", lastName: `Desktop${mode}` });
      const context = await newDevice(getBrowser(), { javaScript, width: 1280, phone: false });
      await context.addCookies(user.cookies);
      const { page, problems } = await openPage(context);
      await page.goto("/my-account", { waitUntil: javaScript ? "networkidle" : "load" });
      await page.getByRole("heading", { level: 1, name: "Quality Report Systems: My Tasks" }).waitFor();
      // What a screen reader hears: the button's name without the arrow, and its state from <details> itself.
      expect(await summaryAnnounced(page)).toEqual({ name: "User Profile", expanded: false });
      await openMenu(page, false);
      expect(await summaryAnnounced(page)).toEqual({ name: "User Profile", expanded: true });
      await expectMenuInside(page, 1280);
      // Right-aligned with the button that opened it.
      const summary = (await summaryOf(page).boundingBox())!;
      const panel = (await menuOf(page).locator("ul").boundingBox())!;
      expect(Math.abs(panel.x + panel.width - (summary.x + summary.width))).toBeLessThanOrEqual(1);
      expect(panel.y).toBeGreaterThanOrEqual(summary.y + summary.height);
      await expectNoAxeViolations(page, { javaScript });
      await shoot(page, `1280-${mode}`);
      expect(problems).toEqual([]);
      await context.close();
    });

    it("by keyboard: Tab reaches User Profile with a visible focus ring, Enter opens it, Tab moves to My Account and Sign Out", async () => {
      const user = await createSignedInUser({ firstName: "Morgan", lastName: `Keys${mode}` });
      const context = await newDevice(getBrowser(), { javaScript, width: 360, phone: false });
      await context.addCookies(user.cookies);
      const { page } = await openPage(context);
      await page.goto("/welcome", { waitUntil: javaScript ? "networkidle" : "load" });
      await page.getByRole("heading", { level: 1, name: "Welcome" }).waitFor();
      // biome-ignore lint/performance/useDomNodeTextContent: the text as shown, not hidden text
      const focusedText = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText.trim());
      const outline = () => page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      for (let i = 0; i < 10 && (await focusedText()) !== "User Profile"; i++) await page.keyboard.press("Tab");
      expect(await focusedText()).toBe("User Profile");
      expect(await outline()).toBe("solid");
      await page.keyboard.press("Enter");
      expect(await isOpen(page)).toBe(true);
      await page.keyboard.press("Tab");
      expect(await focusedText()).toBe("My Account");
      expect(await outline()).toBe("solid");
      await shoot(page, `360-${mode}-keyboard`);
      await page.keyboard.press("Tab");
      expect(await focusedText()).toBe("Sign Out");
      expect(await outline()).toBe("solid");
      if (javaScript) {
        // Escape closes the menu and puts focus back on its button.
        await page.keyboard.press("Escape");
        expect(await isOpen(page)).toBe(false);
        expect(await focusedText()).toBe("User Profile");
      } else {
        // Without a script the button itself closes it.
        await page.keyboard.press("Shift+Tab");
        await page.keyboard.press("Shift+Tab");
        await page.keyboard.press("Enter");
        expect(await isOpen(page)).toBe(false);
      }
      await context.close();
    });
  });
}

describe("the signed-in header: closing by a tap, and room for a second link", () => {
  it("with JavaScript: a tap outside the open menu closes it", async () => {
    const user = await createSignedInUser({ firstName: "Morgan", lastName: "Outside" });
    const context = await newDevice(getBrowser(), { javaScript: true, width: 360, phone: true });
    await context.addCookies(user.cookies);
    const { page } = await openPage(context);
    await page.goto("/welcome", { waitUntil: "networkidle" });
    await openMenu(page, true);
    // Well below the header, on the page itself.
    await page.touchscreen.tap(180, 600);
    expect(await isOpen(page)).toBe(false);
    await context.close();
  });

  it("at 320 px, a second header link beside User Profile (as Role Requests with its count will be) wraps inside the screen and the menu still opens inside it", async () => {
    const user = await createSignedInUser({ firstName: "Morgan", lastName: "Narrow" });
    const context = await newDevice(getBrowser(), { javaScript: false, width: 320, phone: true });
    await context.addCookies(user.cookies);
    const { page } = await openPage(context);
    await page.goto("/my-account");
    await page.getByRole("heading", { level: 1, name: "Quality Report Systems: My Tasks" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.evaluate(() => {
      const link = document.createElement("a");
      link.href = "/role-requests";
      link.textContent = "Role Requests (12)";
      const menu = document.querySelector("nav[aria-label='Account'] details")!;
      menu.parentElement!.insertBefore(link, menu);
    });
    await openMenu(page, true);
    await expectInside(page.getByRole("link", { name: "Role Requests (12)" }), 320);
    await expectMenuInside(page, 320);
    await shoot(page, "320-nojs-second-link");
    await context.close();
  });
});
