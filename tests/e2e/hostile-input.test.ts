import { eq } from "drizzle-orm";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterEach, describe, expect, inject, it } from "vitest";
import { newRequestId } from "../../app/.server/access/request-id";
import { accessRequests, organizations, programs, roles } from "../../app/.server/db/schema";
import {
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  newContext,
  openPage,
  screenshot,
  sharedBrowser,
} from "./support/browser";
import { writeLocalD1 } from "./support/local-d1";
import { createSignedInUser } from "./support/signed-in-user";

/**
 * Hostile input in a real browser: the accessibility half of the hostile-input
 * suite (tests/integration/hostile-input.test.ts sends the whole corpus to every
 * form and route without a DOM). Here a representative form of each kind is filled
 * in Chromium, mostly at 360 px and without JavaScript, with markup and event
 * handlers, SQL, direction overrides and combining marks, a null byte, wrong types,
 * strings past the field's limit and missing and duplicated fields. Each answer is
 * below 500, a refused field has its message tied to it, the rest of the input is
 * kept, nothing from the corpus becomes an element or runs, nothing scrolls
 * sideways, and the page passes axe; values that are legitimately stored are
 * opened where they are shown back and checked the same way.
 */

const getBrowser = sharedBrowser();

/** Sets `window.__hostile` if it ever runs. */
const SCRIPT = "<script>window.__hostile=1</script>";
const IMG = '"><img src=x onerror="window.__hostile=1">';
/** The same within a device name's 40 characters. */
const IMG_SHORT = "<img src=x onerror=__hostile=1>";
const SQL = "' OR 1=1; DROP TABLE users; --";
const RTL = "\u202Eevil\u202C e\u0301\u0301\u0301";
const NUL = "a\u0000b";
/** One unbroken word: nothing may scroll sideways because of it. */
const long = (n: number) => "W".repeat(n);

let ipCounter = 0;
const freshIp = () => `198.51.100.${(++ipCounter % 250) + 1}`;

const contexts: BrowserContext[] = [];
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

interface Watched {
  page: Page;
  javaScript: boolean;
  /** Responses of 500 or more, and page errors and CSP reports. */
  problems: string[];
}

async function open(options: {
  javaScript: boolean;
  width?: number;
  ip?: string;
  cookies?: Parameters<BrowserContext["addCookies"]>[0];
}): Promise<Watched> {
  const context = await newContext(getBrowser(), {
    javaScript: options.javaScript,
    width: options.width ?? 360,
    ip: options.ip ?? freshIp(),
  });
  contexts.push(context);
  if (options.cookies) await context.addCookies(options.cookies);
  const { page, problems } = await openPage(context);
  page.setDefaultTimeout(10_000);
  page.on("response", (response) => {
    if (response.status() >= 500)
      problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  return { page, javaScript: options.javaScript, problems };
}

/**
 * The browser's own checks (required, maxlength, type=email) would stop a native submit
 * before the server sees the corpus: lifted on every form of the page, as a script could.
 */
async function liftBrowserChecks(page: Page) {
  await page.evaluate(() => {
    for (const f of document.forms) f.noValidate = true;
    for (const el of document.querySelectorAll("[maxlength]")) el.removeAttribute("maxlength");
  });
}

async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.status(), path).toBeLessThan(500);
  await liftBrowserChecks(page);
}

/** Submits with `click` and returns the status of the form's own request (before any redirect). */
async function submit(page: Page, click: () => Promise<void>): Promise<number> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() || r.request().method() === "POST"),
    click(),
  ]);
  await page.waitForLoadState();
  await liftBrowserChecks(page);
  return response.status();
}

/** The control is marked invalid and its aria-describedby names an error message next to it; returns the message. */
async function fieldError(control: Locator): Promise<string> {
  // A group of radios says it on its fieldset, whose aria-describedby names the message.
  if ((await control.evaluate((el) => el.localName)) !== "fieldset")
    expect(await control.getAttribute("aria-invalid")).toBe("true");
  const message = await control.evaluate((el) => {
    const ids = (el.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
    const error = ids.map((id) => document.getElementById(id)).find((e) => e?.classList.contains("ds-c-inline-error"));
    // In the same field: the label's container holds both.
    return error && el.parentElement?.contains(error) ? (error.textContent ?? "") : "";
  });
  expect(message.trim()).not.toBe("");
  return message.replace(/^Error:?\s*/, "").trim();
}

/** Everything a hostile-input page must be: no 5xx, nothing injected, nothing run, fits, passes axe. */
async function expectSafePage({ page, javaScript, problems }: Watched) {
  const injected = await page.evaluate(() => {
    const found: string[] = [];
    for (const el of document.querySelectorAll("*"))
      for (const attribute of el.attributes)
        if (/^on/i.test(attribute.name)) found.push(`<${el.localName} ${attribute.name}>`);
    for (const img of document.querySelectorAll("img")) if (img.getAttribute("src") === "x") found.push("<img src=x>");
    // React Router's own data scripts carry the stored values as escaped JSON strings.
    for (const script of document.querySelectorAll("script"))
      if (
        script.textContent?.includes("__hostile=1") &&
        !script.textContent.trimStart().startsWith("window.__reactRouter")
      )
        found.push("<script> from the corpus");
    // @ts-expect-error set only by the corpus
    if (window.__hostile !== undefined) found.push("window.__hostile was set");
    return found;
  });
  expect(injected).toEqual([]);
  expect(problems).toEqual([]);
  // A long unbroken value wraps: the page is no wider than the screen.
  await expectNoHorizontalScroll(page);
  const width = page.viewportSize()?.width ?? 0;
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  await expectNoAxeViolations(page, { javaScript });
}

/** Hostile-input error states, for looking at (tests/e2e/.screenshots, as the other journeys'). */
const shoot = (page: Page, name: string) => screenshot(page, `hostile-${name}`);

/** A pending access request straight into the local D1, its comments from the corpus. */
async function pendingRequest(userId: string, approverUserId: string, comments: string) {
  const id = newRequestId();
  await writeLocalD1(inject("localD1File"), async (db) => {
    const [org] = await db
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.externalKey, "qarm:survey:TX"));
    const [program] = await db.select({ id: programs.id }).from(programs).where(eq(programs.code, "QIES"));
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.code, "OSO"));
    await db.insert(accessRequests).values({
      id,
      userId,
      programId: program.id,
      organizationId: org.id,
      roleId: role.id,
      approverUserId,
      approverKind: "help_desk",
      startDate: new Date().toLocaleDateString("en-CA", { timeZone: "America/New_York" }),
      endDate: null,
      comments,
      submissionKey: `e2e-${id}`,
      createdAt: new Date(),
    });
  });
  return id;
}

describe("hostile input in the browser", () => {
  it("sign-in and New User Registration refuse it next to the field, keep the rest and pass axe at 360 px", async () => {
    // Sign-in with JavaScript on, so an injected handler would have run.
    const signIn = await open({ javaScript: true });
    await signIn.page.goto("/terms?program=IQR");
    await signIn.page.getByRole("button", { name: "I Accept" }).click();
    await signIn.page.waitForURL("**/login?program=IQR");
    const login = signIn.page;
    await liftBrowserChecks(login);
    // Past the User ID's limit: refused next to the field (by the form's script or by the server).
    await login.getByLabel("User ID").fill(`${IMG}${SQL}`);
    await login.getByRole("button", { name: "Next" }).click();
    await login.locator("input[aria-invalid='true']").first().waitFor();
    expect(await fieldError(login.getByLabel("User ID"))).toContain("Enter your User ID");
    expect(await login.getByLabel("User ID").inputValue()).toBe(`${IMG}${SQL}`);
    await expectSafePage(signIn);
    // SQL within the limit goes on to the password step; markup as the password and a wrong
    // type as the security code are refused without a 5xx.
    await login.getByLabel("User ID").fill("' OR 1=1 --");
    await login.getByRole("button", { name: "Next" }).click();
    await login.getByLabel("Password", { exact: true }).waitFor();
    await liftBrowserChecks(login);
    await login.getByLabel("Password", { exact: true }).fill(SCRIPT);
    await login.getByLabel("MFA Device Type").selectOption("totp");
    await login.getByLabel("Security Code", { exact: true }).fill("1e308");
    await login.getByRole("button", { name: "Log In" }).click();
    await login.locator(".ds-c-alert--error, .ds-c-inline-error").first().waitFor();
    await expectSafePage(signIn);
    await shoot(login, "login-hostile-360");

    // Registration without JavaScript: markup in the first name, direction overrides and
    // combining marks in the last name, SQL as the phone number; the email address is kept.
    const register = await open({ javaScript: false });
    const { page } = register;
    await visit(page, "/register");
    await page.getByLabel("First Name").fill(SCRIPT);
    await page.getByLabel("Last Name").fill(RTL);
    await page.getByLabel("Email Address").fill("kept.hostile@example.test");
    await page.getByLabel("Phone Number").fill(SQL);
    expect(await submit(page, () => page.getByRole("button", { name: "Register" }).click())).toBe(400);
    expect(await fieldError(page.getByLabel("First Name"))).toContain("letters, spaces, hyphens and apostrophes");
    expect(await fieldError(page.getByLabel("Last Name"))).toContain("letters, spaces, hyphens and apostrophes");
    expect(await fieldError(page.getByLabel("Phone Number"))).toContain("area code");
    expect(await page.getByLabel("Email Address").inputValue()).toBe("kept.hostile@example.test");
    await expectSafePage(register);
    await shoot(page, "register-hostile-360");

    // A name past its limit with a null byte, an email address that is one long word, a wrong
    // type for the phone, and the first name sent twice (a duplicated field).
    await page.getByLabel("First Name").fill(`${long(60)}${NUL}`);
    await page.getByLabel("Last Name").fill("Jordan");
    await page.getByLabel("Email Address").fill(`${long(300)}@example.test`);
    await page.getByLabel("Phone Number").fill("1e308");
    await page.locator("form#register").evaluate((f: HTMLFormElement, value) => {
      const extra = document.createElement("input");
      extra.type = "hidden";
      extra.name = "firstName";
      extra.value = value;
      f.appendChild(extra);
    }, SCRIPT);
    expect(await submit(page, () => page.getByRole("button", { name: "Register" }).click())).toBe(400);
    await fieldError(page.getByLabel("First Name"));
    await fieldError(page.getByLabel("Email Address"));
    await fieldError(page.getByLabel("Phone Number"));
    expect(await page.getByLabel("Last Name").inputValue()).toBe("Jordan");
    await expectSafePage(register);
    await shoot(page, "register-long-360");

    // A missing field: the phone number's input taken out of the form.
    await page.getByLabel("Phone Number").evaluate((el) => el.remove());
    await page.getByLabel("First Name").fill("Casey");
    await page.getByLabel("Email Address").fill("kept.hostile@example.test");
    expect(await submit(page, () => page.getByRole("button", { name: "Register" }).click())).toBe(400);
    await fieldError(page.getByLabel("Phone Number"));
    expect(await page.getByLabel("First Name").inputValue()).toBe("Casey");
    await expectSafePage(register);
  });

  it("Request User Access: the organization search and the comments; the stored comments show as text", async () => {
    const user = await createSignedInUser({ firstName: "Harper", lastName: "Hostile" });
    const watched = await open({ javaScript: false, cookies: user.cookies });
    const { page } = watched;
    const comments = `${SCRIPT} ${IMG} ${SQL} ${RTL} ${long(1500)}`;
    await visit(page, "/my-account/request-access");
    await page.getByLabel("Program").selectOption({ label: "Quality Improvement and Evaluation System" });
    await page.getByLabel("Comments").fill(comments);
    await submit(page, () => page.getByRole("button", { name: "Search Organizations" }).click());
    await page.getByRole("heading", { level: 1, name: "Search Organizations" }).waitFor();

    // The search: markup past the name's limit, SQL as the ZIP code, a wrong type for the NPI.
    const search = page.locator("main");
    await search.getByLabel("Org Name").fill(`${SCRIPT}${long(120)}`);
    await search.getByLabel("Org Zip Code").fill(SQL);
    await search.getByLabel("NPI").fill("1e308");
    await search.getByLabel("Org City").fill(RTL);
    expect(await submit(page, () => search.getByRole("button", { name: "Search", exact: true }).click())).toBeLessThan(
      500,
    );
    await fieldError(search.getByLabel("Org Name"));
    await fieldError(search.getByLabel("Org Zip Code"));
    await fieldError(search.getByLabel("NPI"));
    expect(await search.getByLabel("Org City").inputValue()).toBe(RTL);
    await expectSafePage(watched);
    await shoot(page, "org-search-hostile-360");

    // Markup within the limits is a search like any other: nothing found, shown as text.
    await search.getByLabel("Org Name").fill(SCRIPT);
    await search.getByLabel("Org Zip Code").fill("");
    await search.getByLabel("NPI").fill("");
    await search.getByLabel("Org City").fill("");
    expect(await submit(page, () => search.getByRole("button", { name: "Search", exact: true }).click())).toBeLessThan(
      500,
    );
    await search.getByText("Search returned with no results.").waitFor();
    await expectSafePage(watched);

    await search.getByLabel("Org Name").fill("ohio");
    await submit(page, () => search.getByRole("button", { name: "Search", exact: true }).click());
    await search.getByRole("radio", { name: "Select STATE OF OHIO - SURVEY AND CERTIFICATION" }).check();
    await submit(page, () => search.getByRole("button", { name: "OK", exact: true }).click());
    await page.getByRole("heading", { level: 1, name: "Request User Access" }).waitFor();
    expect(await page.getByLabel("Comments").inputValue()).toBe(comments);

    // A wrong type for the date and comments past their limit: refused next to each, the rest kept.
    await page.getByLabel("User Role").selectOption({ label: "Organization Security Official" });
    await submit(page, () => page.getByRole("button", { name: "Update roles and approvers" }).click());
    await page.getByLabel("Approvers").selectOption({ label: "Helen Desk" });
    await page.getByLabel("Start Date").fill("NaN");
    await page.getByLabel("Comments").fill(`${comments}${long(600)}`);
    expect(await submit(page, () => page.getByRole("button", { name: "Submit Request" }).click())).toBe(400);
    await fieldError(page.getByLabel("Start Date"));
    await fieldError(page.getByLabel("Comments"));
    expect(await page.getByLabel("Comments").inputValue()).toBe(`${comments}${long(600)}`);
    await expectSafePage(watched);
    await shoot(page, "request-access-hostile-360");

    // Within the limits the comments are stored as typed, and shown back as text.
    const today = new Date().toLocaleDateString("en-US", {
      timeZone: "America/New_York",
      month: "2-digit",
      day: "2-digit",
      year: "numeric",
    });
    await page.getByLabel("Start Date").fill(today);
    await page.getByLabel("Comments").fill(comments);
    await submit(page, () => page.getByRole("button", { name: "Submit Request" }).click());
    await page.getByRole("heading", { level: 1, name: "Submit Request Confirmation" }).waitFor();
    await expectSafePage(watched);
    await submit(page, () => page.locator("main").getByRole("button", { name: "OK", exact: true }).click());
    await page.getByRole("heading", { level: 1, name: "Your request was submitted" }).waitFor();
    const requestId = (await page.locator(".request-id").textContent())?.trim() ?? "";
    await visit(page, `/my-account/requests/${requestId}`);
    expect(await page.locator("main").textContent()).toContain(SCRIPT);
    await expectSafePage(watched);
    await shoot(page, "request-stored-360");

    // Listed in My Account; cancelled there, so the help desk's queue in other journeys stays as it was.
    await visit(page, "/my-account");
    await expectSafePage(watched);
    await submit(page, () => page.getByRole("button", { name: `Cancel request ${requestId}` }).click());
    await page.getByText(`Request ${requestId} was cancelled.`).waitFor();
  });

  it("the profile's challenge questions and a device's name; the stored name shows as text", async () => {
    const user = await createSignedInUser({ firstName: "Morgan", lastName: "Hostile" });
    const watched = await open({ javaScript: false, cookies: user.cookies });
    const { page } = watched;
    await visit(page, "/profile");
    let questions = page.locator("section#questions");
    await questions.getByLabel("Question 1").selectOption("first_pet");
    await questions.getByLabel("Answer 1").fill(SCRIPT);
    await questions.getByLabel("Question 2").selectOption("birth_city");
    await questions.getByLabel("Answer 2").fill(long(500));
    await questions.getByLabel("Question 3").selectOption("first_car");
    await questions.getByLabel("Answer 3").fill(NUL);
    await questions.getByLabel("Current Password").fill(SQL);
    const status = await submit(page, () =>
      questions.getByRole("button", { name: "Save Challenge Questions" }).click(),
    );
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    questions = page.locator("section#questions");
    await fieldError(questions.getByLabel("Answer 2"));
    // Answers are never filled back in; the questions chosen are.
    expect(await questions.getByLabel("Question 3").inputValue()).toBe("first_car");
    await expectSafePage(watched);
    await shoot(page, "profile-questions-hostile-360");

    // A device's name: past its limit refused next to the field; markup within it stored and shown as text.
    await visit(page, "/profile/devices");
    const rename = async (name: string) => {
      await page.getByText("Rename", { exact: true }).first().click();
      await page.getByLabel("New name").first().fill(name);
      return submit(page, () => page.getByRole("button", { name: "Rename" }).first().click());
    };
    expect(await rename(`${IMG}${long(60)}`)).toBe(400);
    await page.getByText("Rename", { exact: true }).first().click();
    await fieldError(page.getByLabel("New name").first());
    expect(await page.getByLabel("New name").first().inputValue()).toBe(`${IMG}${long(60)}`);
    await expectSafePage(watched);
    expect(await rename(IMG_SHORT)).toBeLessThan(400);
    expect(await page.locator("main").textContent()).toContain(IMG_SHORT);
    await expectSafePage(watched);
  });

  it("an approver's Reject reason, with hostile comments on the request shown as text", async () => {
    const requester = await createSignedInUser({ firstName: "Rowan", lastName: "Requester" });
    const approver = await createSignedInUser({
      firstName: "Avery",
      lastName: "Approver",
      roles: [{ role: "HELP_DESK_APPROVER" }],
    });
    const comments = `${SCRIPT} ${IMG} ${RTL} ${long(1800)}`;
    const id = await pendingRequest(requester.userId, approver.userId, comments);
    const watched = await open({ javaScript: false, cookies: approver.cookies });
    const { page } = watched;
    // The queue shows the comments on the request's card.
    await visit(page, "/role-requests");
    await page.getByRole("link", { name: `Review request ${id}` }).waitFor();
    await expectSafePage(watched);
    await visit(page, `/role-requests/${id}`);
    await page.getByRole("heading", { level: 1, name: `Access request ${id}` }).waitFor();
    expect(await page.locator("main").textContent()).toContain(SCRIPT);
    await expectSafePage(watched);
    await shoot(page, "approver-request-stored-360");

    // No reason chosen and details past their limit: both refused next to the field, the details kept.
    await visit(page, `/role-requests/${id}?decide=reject`);
    const details = `${SCRIPT}${long(1100)}`;
    await page.getByLabel("What should the requester know?").fill(details);
    expect(await submit(page, () => page.getByRole("button", { name: "Reject request" }).click())).toBe(400);
    await fieldError(page.locator("fieldset", { hasText: "You are not known to work for or with this organization" }));
    await fieldError(page.getByLabel("What should the requester know?"));
    expect(await page.getByLabel("What should the requester know?").inputValue()).toBe(details);
    await expectSafePage(watched);
    await shoot(page, "reject-hostile-360");

    // Within the limits: rejected, and the reason's details shown back as text.
    await page.getByLabel("Another reason (explained below)").check();
    await page.getByLabel("What should the requester know?").fill(`${IMG} ${RTL}`);
    expect(await submit(page, () => page.getByRole("button", { name: "Reject request" }).click())).toBeLessThan(400);
    await page.getByText(`You rejected request ${id}.`).waitFor();
    expect(await page.locator("main").textContent()).toContain(IMG);
    await expectSafePage(watched);
  });

  it("Administration's new organization: refused fields next to them, then stored and shown as text on its page and the list", async () => {
    const admin = await createSignedInUser({
      firstName: "Drew",
      lastName: "Admin",
      roles: [{ role: "HELP_DESK_ADMINISTRATOR" }],
    });
    const watched = await open({ javaScript: false, cookies: admin.cookies });
    const { page } = watched;
    const tag = `HOSTILE${Date.now().toString(36).toUpperCase()}`;
    const name = `${SCRIPT} ${tag} ${RTL} ${long(130)}`;
    await visit(page, "/admin/organizations/new");
    await page.getByLabel("Org Name").fill(name);
    await page.getByLabel("Org Type").selectOption("Provider");
    await page.getByLabel("Org Address 1").fill(IMG);
    await page.getByLabel("Org City").fill(SQL);
    await page.getByLabel("Org State").selectOption("OH");
    await page.getByLabel("Org Zip Code").fill("NaN");
    await page.getByLabel("NPI").fill("1e308");
    expect(await submit(page, () => page.getByRole("button", { name: "Add organization" }).click())).toBe(400);
    await fieldError(page.getByLabel("Org Zip Code"));
    await fieldError(page.getByLabel("NPI"));
    expect(await page.getByLabel("Org Name").inputValue()).toBe(name);
    expect(await page.getByLabel("Org Address 1").inputValue()).toBe(IMG);
    await expectSafePage(watched);
    await shoot(page, "admin-org-hostile-360");

    await page.getByLabel("Org Zip Code").fill("43215");
    await page.getByLabel("NPI").fill("");
    expect(await submit(page, () => page.getByRole("button", { name: "Add organization" }).click())).toBe(302);
    await page.getByText("The organization was added.").waitFor();
    expect(await page.getByLabel("Org Name").inputValue()).toBe(name.toUpperCase());
    await expectSafePage(watched);

    await visit(page, `/admin/organizations?name=${tag}`);
    expect(await page.locator("main").textContent()).toContain(`<SCRIPT>WINDOW.__HOSTILE=1</SCRIPT> ${tag}`);
    await shoot(page, "admin-org-list-stored-360");
    await expectSafePage(watched);
    // On a wide screen the table has columns: the long name breaks inside its own cell.
    await page.setViewportSize({ width: 1280, height: 900 });
    await shoot(page, "admin-org-list-stored-1280");
    await expectSafePage(watched);
  });
});
