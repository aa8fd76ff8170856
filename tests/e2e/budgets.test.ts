import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { baseURL, newContext, sharedBrowser } from "./support/browser";

/** Budgets from the foundation issue: the HTML arrives in the first round trip. */
const BUDGET = { html: 14 * 1024, css: 30 * 1024, js: 110 * 1024 };
/**
 * The JavaScript budget is missed since the move to React 19 and React Router 7: their
 * runtime is 113.5 KB gzipped where React 18 and Remix were 85.3 KB, so every screen that
 * hydrates starts 28 KB heavier. The decision says why and what it takes to return under
 * 110 KB; until then the ceiling below stops any further growth.
 */
const JS_MISS = { decision: "docs/decisions/2026-12-07-javascript-budget.md", ceiling: 140 * 1024 };
/** Links and plain forms: no JavaScript at all (the performance issue). */
const NO_SCRIPT = new Set(["Home", "Choose Your QualityNet Destination", "Terms and Conditions"]);

interface Measured {
  screen: string;
  html: number;
  css: number;
  js: number;
  requests: number;
  /** Web-font files fetched: none, the design system's font tokens name system fonts (docs/decisions). */
  fonts: string[];
  otherOrigins: string[];
}

/** Loads a screen with JavaScript on and gzips every response it fetched. */
async function measure(page: Page, screen: string, path: string): Promise<Measured> {
  const responses: { url: string; type: string; body: Buffer }[] = [];
  const otherOrigins: string[] = [];
  const origin = new URL(baseURL()).origin;
  const onRequest = (request: { url(): string }) => {
    const url = request.url();
    if (!url.startsWith("data:") && new URL(url).origin !== origin) otherOrigins.push(url);
  };
  const onResponse = async (response: {
    url(): string;
    request(): { resourceType(): string };
    body(): Promise<Buffer>;
  }) => {
    try {
      responses.push({ url: response.url(), type: response.request().resourceType(), body: await response.body() });
    } catch {
      // redirects have no body
    }
  };
  page.on("request", onRequest);
  page.on("response", onResponse);
  await page.goto(path, { waitUntil: "networkidle" });
  page.off("request", onRequest);
  page.off("response", onResponse);
  const gz = (type: string) =>
    responses.filter((r) => r.type === type).reduce((n, r) => n + gzipSync(r.body, { level: 9 }).length, 0);
  return {
    screen,
    html: gz("document"),
    css: gz("stylesheet"),
    js: gz("script"),
    requests: responses.length,
    fonts: responses.filter((r) => r.type === "font").map((r) => r.url),
    otherOrigins,
  };
}

const getBrowser = sharedBrowser();

describe("page budgets", () => {
  it("every public screen stays within its HTML, CSS and JavaScript budgets and loads no web font and nothing from other origins", async () => {
    const context = await newContext(getBrowser(), { javaScript: true });
    const page = await context.newPage();
    const results: Measured[] = [];
    results.push(await measure(page, "Home", "/"));
    results.push(await measure(page, "Choose Your QualityNet Destination", "/destination"));
    results.push(await measure(page, "Terms and Conditions", "/terms?program=IQR"));
    await page.getByRole("button", { name: "I Accept" }).click();
    await page.waitForURL("**/login?program=IQR");
    results.push(await measure(page, "Sign in (Welcome to CMS Enterprise Portal)", "/login?program=IQR"));
    results.push(await measure(page, "Secure File Transfer", "/secure-file-transfer"));
    results.push(await measure(page, "Page not found", "/no-such-page"));
    await context.close();

    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    const table = [
      "| Screen | HTML (gzip) | CSS (gzip) | JavaScript (gzip) | Requests | Other origins |",
      "| --- | --- | --- | --- | --- | --- |",
      ...results.map(
        (r) =>
          `| ${r.screen} | ${kb(r.html)} | ${kb(r.css)} | ${kb(r.js)} | ${r.requests} | ${r.otherOrigins.length} |`,
      ),
      `| **Budget** | ${kb(BUDGET.html)} | ${kb(BUDGET.css)} | ${kb(BUDGET.js)} (0 on Home, the destination chooser and Terms) | | 0 |`,
    ].join("\n");
    mkdirSync("test-results", { recursive: true });
    writeFileSync("test-results/budgets.md", `${table}\n`);
    console.log(`\n${table}\n`);

    for (const r of results) {
      expect(r.otherOrigins, r.screen).toEqual([]);
      expect(r.fonts, `${r.screen} web fonts`).toEqual([]);
      expect(r.html, `${r.screen} HTML`).toBeLessThanOrEqual(BUDGET.html);
      expect(r.css, `${r.screen} CSS`).toBeLessThanOrEqual(BUDGET.css);
      if (NO_SCRIPT.has(r.screen)) {
        expect(r.js, `${r.screen} JavaScript`).toBe(0);
      } else {
        if (r.js > BUDGET.js) console.warn(`${r.screen}: JavaScript over its budget, see ${JS_MISS.decision}`);
        expect(r.js, `${r.screen} JavaScript (${JS_MISS.decision})`).toBeLessThanOrEqual(JS_MISS.ceiling);
        expect(r.js, `${r.screen} loads its JavaScript`).toBeGreaterThan(0);
      }
    }
  });
});
