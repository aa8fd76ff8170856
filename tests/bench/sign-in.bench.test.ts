import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../app/.server/auth/password";
import { clientKey } from "../../app/.server/auth/rate-limit";
import { signInLockPrefix } from "../../app/.server/auth/sign-in";
import worker from "../../worker/index";
import { Browser, HOST, ORIGIN } from "../factories/http";
import { seedDatabase } from "../factories/seed";
import { createUser } from "../factories/users";

/**
 * Sign-in cost on workerd (the runtime Cloudflare runs), measured inside the
 * runtime around each request. Locally workerd's clock advances during
 * computation, so these are wall times of CPU work plus local D1 calls: an
 * upper bound of the CPU time billed per request.
 */
const RUNS = 20;

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { median: at(0.5), p95: at(0.95), min: sorted[0], max: sorted[sorted.length - 1] };
};

beforeAll(async () => {
  await seedDatabase(env.DB);
});

/**
 * A form post timed as its sender sees it: until the answer arrives, not until
 * the work the Worker does after answering (`waitUntil`: the outbox drain, an
 * owner's notice) has finished, which is then awaited before the next request.
 */
async function timedPost(browser: Browser, path: string, fields: Record<string, string>) {
  const request = new Request(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      Host: HOST,
      Origin: ORIGIN,
      "Sec-Fetch-Site": "same-origin",
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: [...browser.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; "),
      "CF-Connecting-IP": browser.ip,
    },
    body: new URLSearchParams(fields).toString(),
  });
  const ctx = createExecutionContext();
  const t = performance.now();
  const response = await worker.fetch(request, env, ctx);
  const body = await response.text();
  const ms = performance.now() - t;
  await waitOnExecutionContext(ctx);
  return { ms, status: response.status, body };
}

/**
 * Prints the table and checks the ratios. Side by side in one run (the machine
 * is shared and noisy): answers that must not tell whether an account exists
 * should cost the same, within 10 %.
 */
function report(rows: [string, ReturnType<typeof stats>][], ratios: [string, number][]) {
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const table = [
    `| Sign-in on workerd (${RUNS} runs) | median | p95 | min | max |`,
    "| --- | --- | --- | --- | --- |",
    ...rows.map(([name, s]) => `| ${name} | ${ms(s.median)} | ${ms(s.p95)} | ${ms(s.min)} | ${ms(s.max)} |`),
  ].join("\n");
  const ratioLines = ratios.map(([name, r]) => `- ${name}: ${r.toFixed(2)}`).join("\n");
  console.log(`\n${table}\n\nMedian ratios (budget 0.90 to 1.10):\n${ratioLines}\n`);
  for (const [name, r] of ratios) expect(r, name).toBeGreaterThanOrEqual(0.9);
  for (const [name, r] of ratios) expect(r, name).toBeLessThanOrEqual(1.1);
}

/** A user whose only second factor is an emailed code. */
async function emailCodeUser() {
  const user = await createUser({ verified: true, questions: false });
  await env.DB.prepare(
    "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, created_at, confirmed_at) VALUES (?, ?, 'email', 'Email', ?, ?, ?)",
  )
    .bind(crypto.randomUUID(), user.id, user.email, Date.now(), Date.now())
    .run();
  return user;
}

it("measures sign-in cost per request", async () => {
  const user = await createUser();
  const hashTimes: number[] = [];
  const verifyTimes: number[] = [];
  const stored = await hashPassword(user.password);
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await hashPassword(user.password);
    hashTimes.push(performance.now() - t);
    t = performance.now();
    await verifyPassword(user.password, stored);
    verifyTimes.push(performance.now() - t);
  }

  const step1: number[] = [];
  const step2: number[] = [];
  const failed: number[] = [];
  const knownFailed: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const browser = new Browser(`192.0.2.${i + 1}`);
    await browser.acceptTerms();
    let t = performance.now();
    await browser.post("/login", { intent: "next", userId: user.loginId });
    step1.push(performance.now() - t);
    t = performance.now();
    const response = await browser.post("/login", { intent: "login", userId: user.loginId, password: user.password });
    step2.push(performance.now() - t);
    expect(response.status).toBe(302);
    const stranger = new Browser(`192.0.2.${i + 101}`);
    await stranger.acceptTerms();
    t = performance.now();
    const refused = await stranger.post("/login", {
      intent: "login",
      userId: `NOSUCH${i}`,
      password: "wrong password here",
    });
    failed.push(performance.now() - t);
    expect(refused.status).toBe(401);
    // The same wrong password for the real User ID, from yet another client (no lockout in the way).
    const guesser = new Browser(`192.0.2.${i + 151}`);
    await guesser.acceptTerms();
    t = performance.now();
    const wrong = await guesser.post("/login", {
      intent: "login",
      userId: user.loginId,
      password: "wrong password here",
    });
    knownFailed.push(performance.now() - t);
    expect(wrong.status).toBe(401);
  }

  // Registration: a new address and one already taken must cost the same (a
  // fresh taken address each time: an address's emails are capped).
  const registerNew: number[] = [];
  const registerTaken: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const browser = new Browser(`198.51.100.${i + 1}`);
    const fields = { firstName: "Bench", lastName: "Runner", phone: "614-555-0100" };
    const taken = await createUser({ questions: false });
    const fresh = await timedPost(browser, "/register", { ...fields, email: `bench.${i}.${Date.now()}@example.test` });
    registerNew.push(fresh.ms);
    const again = await timedPost(browser, "/register", { ...fields, email: taken.email });
    registerTaken.push(again.ms);
    expect(again.status).toBe(fresh.status);
  }

  const rows: [string, ReturnType<typeof stats>][] = [
    ["scrypt hash (N=2^14, r=8, p=5)", stats(hashTimes)],
    ["scrypt verify", stats(verifyTimes)],
    ["Step 1 request (User ID)", stats(step1)],
    ["Step 2 request, successful sign-in", stats(step2)],
    ["Step 2 request, known User ID, wrong password", stats(knownFailed)],
    ["Step 2 request, unknown User ID", stats(failed)],
    ["Registration, new email address", stats(registerNew)],
    ["Registration, email address already registered", stats(registerTaken)],
  ];
  report(rows, [
    ["unknown / known User ID (wrong password)", stats(failed).median / stats(knownFailed).median],
    ["taken / new email (registration)", stats(registerTaken).median / stats(registerNew).median],
  ]);
});

it("measures the cost of answers that must not tell an email-code account or a lock", async () => {
  // "Send" a code at step 2: an account whose second factor is an emailed code,
  // and a User ID nobody has (same answer, same cost).
  const sendKnown: number[] = [];
  const sendUnknown: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const owner = await emailCodeUser();
    const pair = [
      [owner.loginId, sendKnown, 0],
      [`NOSEND${i}`, sendUnknown, 1],
    ] as const;
    // Each goes first in every other run: neither gains from going first.
    for (const [userId, times, net] of i % 2 ? [...pair].reverse() : pair) {
      const browser = new Browser(`198.18.${net}.${i + 1}`);
      await browser.acceptTerms();
      const sent = await timedPost(browser, "/login", { intent: "send-code", userId, deviceType: "email" });
      expect(sent.status).toBe(200);
      times.push(sent.ms);
    }
  }

  // The 5th wrong password announces the lock (and emails the owner of a real
  // account): a real User ID and one nobody has must say it at the same cost.
  const lockKnown: number[] = [];
  const lockUnknown: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const owner = await createUser({ questions: false });
    const pair = [
      [owner.loginId, lockKnown, 2],
      [`NOLOCK${i}`, lockUnknown, 3],
    ] as const;
    for (const [loginId, times, net] of i % 2 ? [...pair].reverse() : pair) {
      const browser = new Browser(`198.18.${net}.${i + 1}`);
      await browser.acceptTerms();
      // Four wrong passwords already counted from this client (as four posts would leave them).
      await env.DB.prepare("INSERT INTO rate_limits (key, count, window_starts_at) VALUES (?, 4, ?)")
        .bind(`${signInLockPrefix(env, loginId)}${clientKey(browser.ip)}`, Date.now())
        .run();
      const wrong = { intent: "login", userId: loginId, password: "wrong password here" };
      const fifth = await timedPost(browser, "/login", wrong);
      expect(fifth.body).toContain("Your account is locked until");
      times.push(fifth.ms);
    }
  }

  report(
    [
      ["Send code, email-code account", stats(sendKnown)],
      ["Send code, unknown User ID", stats(sendUnknown)],
      ["5th wrong password (lock announced), known User ID", stats(lockKnown)],
      ["5th wrong password (lock announced), unknown User ID", stats(lockUnknown)],
    ],
    [
      ["unknown / email-code User ID (Send code)", stats(sendUnknown).median / stats(sendKnown).median],
      ["unknown / known User ID (5th failure, lock)", stats(lockUnknown).median / stats(lockKnown).median],
    ],
  );
});
