import { env } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../app/.server/auth/password";
import { Browser } from "../factories/http";
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

  // Registration: a new address and one already taken must cost the same.
  const registerNew: number[] = [];
  const registerTaken: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const browser = new Browser(`198.51.100.${i + 1}`);
    const fields = { firstName: "Bench", lastName: "Runner", phone: "614-555-0100" };
    let t = performance.now();
    await browser.post("/register", { ...fields, email: `bench.${i}.${Date.now()}@example.test` });
    registerNew.push(performance.now() - t);
    t = performance.now();
    await browser.post("/register", { ...fields, email: user.email });
    registerTaken.push(performance.now() - t);
  }

  const rows = [
    ["scrypt hash (N=2^14, r=8, p=5)", stats(hashTimes)],
    ["scrypt verify", stats(verifyTimes)],
    ["Step 1 request (User ID)", stats(step1)],
    ["Step 2 request, successful sign-in", stats(step2)],
    ["Step 2 request, known User ID, wrong password", stats(knownFailed)],
    ["Step 2 request, unknown User ID", stats(failed)],
    ["Registration, new email address", stats(registerNew)],
    ["Registration, email address already registered", stats(registerTaken)],
  ] as const;
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const table = [
    `| Sign-in on workerd (${RUNS} runs) | median | p95 | min | max |`,
    "| --- | --- | --- | --- | --- |",
    ...rows.map(([name, s]) => `| ${name} | ${ms(s.median)} | ${ms(s.p95)} | ${ms(s.min)} | ${ms(s.max)} |`),
  ].join("\n");
  // Side by side in one run (the machine is shared and noisy): answers that must
  // not tell whether an account exists should cost the same, within 10 %.
  const ratios = [
    ["unknown / known User ID (wrong password)", stats(failed).median / stats(knownFailed).median],
    ["taken / new email (registration)", stats(registerTaken).median / stats(registerNew).median],
  ] as const;
  const ratioLines = ratios.map(([name, r]) => `- ${name}: ${r.toFixed(2)}`).join("\n");
  console.log(`\n${table}\n\nMedian ratios (budget 0.90 to 1.10):\n${ratioLines}\n`);
  for (const [name, r] of ratios) expect(r, name).toBeGreaterThanOrEqual(0.9);
  for (const [name, r] of ratios) expect(r, name).toBeLessThanOrEqual(1.1);
});
