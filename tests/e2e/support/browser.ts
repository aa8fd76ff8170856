import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = require("axe-core").source;

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SCREENSHOT_DIR = "tests/e2e/.screenshots";

/** Debian's Chromium; never a downloaded browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

export const baseURL = () => inject("baseURL");

/** One Chromium per test file, closed when the file is done. */
export function sharedBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

export interface PageWatch {
  page: Page;
  /** CSP violations and page errors seen so far: a clean screen has none. */
  problems: string[];
}

export async function openPage(context: BrowserContext): Promise<PageWatch> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content.Security.Policy|Refused to/i.test(message.text()))
      problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  return { page, problems };
}

/**
 * A browser context (1280×900 unless told); `ip` sends it as CF-Connecting-IP, so the per-IP limits on public
 * forms count this context as a person of its own.
 */
export function newContext(
  browser: Browser,
  options: { javaScript: boolean; width?: number; height?: number; ip?: string },
) {
  return browser.newContext({
    baseURL: baseURL(),
    javaScriptEnabled: options.javaScript,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    extraHTTPHeaders: options.ip ? { "CF-Connecting-IP": options.ip } : undefined,
  });
}

async function runAxe(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return result.violations.map(
      (v: { id: string; help: string; nodes: { target: string[] }[] }) =>
        `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
    );
  });
}

/**
 * Runs axe-core on the page as the user sees it. axe is evaluated through the
 * DevTools protocol, so the page's CSP stays in force for everything else. With
 * JavaScript off, axe's own timers cannot run in that page, so the same HTML
 * (scripts removed, as a no-JS browser has it) is checked in a scratch page.
 */
export async function expectNoAxeViolations(page: Page, options: { javaScript?: boolean } = {}) {
  if (options.javaScript !== false) {
    expect(await runAxe(page)).toEqual([]);
    return;
  }
  const html = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, "");
  const browser = page.context().browser()!;
  const scratch = await browser.newContext({ baseURL: baseURL(), viewport: page.viewportSize() ?? undefined });
  const copy = await scratch.newPage();
  const url = page.url();
  await copy.route(url, (route) => route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html }));
  await copy.goto(url);
  const violations = await runAxe(copy);
  await scratch.close();
  expect(violations).toEqual([]);
}

/** The page fits a narrow screen: nothing scrolls sideways. */
export async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}

/**
 * Presses Tab until the focused element's text (or label) is `name`, then
 * returns: proves the control is reachable by keyboard, in focus order.
 */
export async function tabTo(page: Page, name: string, maxPresses = 40) {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return "";
      const labelled = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      // biome-ignore lint/performance/useDomNodeTextContent: the text as shown, not hidden text
      return (labelled ?? el.innerText ?? el.getAttribute("aria-label") ?? "").trim();
    });
    if (focused === name) return;
  }
  throw new Error(`"${name}" was not reached by pressing Tab ${maxPresses} times`);
}
