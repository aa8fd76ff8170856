import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SandboxProofingProvider } from "../../app/.server/proofing/sandbox";
import { signedInApplicant, THOMAS, upToPhoneStep, upToQuestions } from "../factories/proofing";
import { seedDatabase } from "../factories/seed";

/**
 * ASVS 4.0 11.1.6 (time of check to time of use) and 2.x attempt limits: an
 * identity-proofing attempt is claimed in one conditional statement before the
 * provider is asked, so parallel posts get one provider check per attempt.
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const PROVIDER_EVENTS = ["proofing.applicant_found", "proofing.failed", "proofing.verified"];

async function providerEvents(userId: string) {
  const rows = await env.DB.prepare(
    `SELECT event_type FROM audit_events WHERE subject_user_id = ? AND event_type IN (${PROVIDER_EVENTS.map(() => "?").join(", ")})`,
  )
    .bind(userId, ...PROVIDER_EVENTS)
    .all<{ event_type: string }>();
  return rows.results.map((r) => r.event_type);
}

async function attempts(userId: string) {
  const rows = await env.DB.prepare("SELECT status FROM identity_verifications WHERE user_id = ?")
    .bind(userId)
    .all<{ status: string }>();
  return rows.results.map((r) => r.status);
}

const ALREADY_CHECKING = "Your information is already being checked";

describe("parallel posts to one proofing attempt", () => {
  // Thirty at once: enough that, without the claim, several reach the provider on a 2-core machine.
  it("thirty SSN last fours posted at once reach the provider once; the others are told the attempt is being checked", async () => {
    const { user, browser } = await signedInApplicant();
    await upToPhoneStep(browser);
    const lastFours = Array.from({ length: 30 }, (_, i) => `90${String(i).padStart(2, "0")}`);
    const responses = await Promise.all(
      lastFours.map((ssnLast4) => browser.post("/enrollment/step/phone", { phone: THOMAS.phone.phone, ssnLast4 })),
    );

    expect(await providerEvents(user.id)).toEqual(["proofing.failed"]);
    expect(responses.filter((r) => r.headers.get("Location") === "/enrollment/step/result")).toHaveLength(1);
    const others = responses.filter((r) => r.headers.get("Location") !== "/enrollment/step/result");
    for (const r of others) {
      // Either it arrived while the winner was being checked, or after it was decided.
      if (r.status === 409) expect(await r.text()).toContain(ALREADY_CHECKING);
      else expect(r.headers.get("Location")).toBe("/enrollment");
    }
    // One failed attempt counted, not ten.
    expect(await attempts(user.id)).toEqual(["failed"]);
    expect(await (await browser.get("/enrollment/step/result")).text()).toContain("You have 2 of 3 attempts left");
  });

  it("the right last four among wrong ones posted at once still gives one provider check", async () => {
    const { user, browser } = await signedInApplicant();
    await upToPhoneStep(browser);
    const lastFours = [
      ...Array.from({ length: 15 }, (_, i) => `80${String(i).padStart(2, "0")}`),
      THOMAS.phone.ssnLast4,
      ...Array.from({ length: 14 }, (_, i) => `70${String(i).padStart(2, "0")}`),
    ];
    await Promise.all(
      lastFours.map((ssnLast4) => browser.post("/enrollment/step/phone", { phone: THOMAS.phone.phone, ssnLast4 })),
    );
    expect(await providerEvents(user.id)).toHaveLength(1);
    expect(await attempts(user.id)).toHaveLength(1);
  });

  it("thirty answer sets posted at once are scored once", async () => {
    const { user, browser } = await signedInApplicant();
    await upToQuestions(browser);
    const right = SandboxProofingProvider.correctAnswers("Thomas", "Tyler");
    const wrong = [
      "Hamilton",
      "Cuyahoga",
      "Summit",
      "Montgomery",
      "Lake",
      "Harris",
      "Dallas",
      "Jefferson",
      "None of the above",
    ];
    const sets = Array.from({ length: 30 }, (_, i) =>
      i === 15
        ? right
        : { ...right, county: wrong[i % wrong.length], employer: i % 2 ? "Metro Transit" : right.employer },
    );
    const responses = await Promise.all(sets.map((answers) => browser.post("/enrollment/step/questions", answers)));

    const events = await providerEvents(user.id);
    // applicant_found from step 4, then exactly one decision.
    expect(events.filter((e) => e !== "proofing.applicant_found")).toHaveLength(1);
    expect(responses.filter((r) => r.headers.get("Location") === "/enrollment/step/result")).toHaveLength(1);
    for (const r of responses.filter((r) => r.headers.get("Location") !== "/enrollment/step/result")) {
      if (r.status === 409) expect(await r.text()).toContain(ALREADY_CHECKING);
      else expect(r.headers.get("Location")).toBe("/enrollment");
    }
    // The account's state agrees with the one decision.
    const verifiedAt =
      (
        await env.DB.prepare("SELECT identity_verified_at AS v FROM users WHERE id = ?")
          .bind(user.id)
          .first<{ v: number | null }>()
      )?.v ?? null;
    expect(verifiedAt !== null).toBe(events.includes("proofing.verified"));
    expect(await attempts(user.id)).toHaveLength(1);
  });

  it("a second answer set after the first was scored is not scored", async () => {
    const { user, browser } = await signedInApplicant();
    await upToQuestions(browser);
    const right = SandboxProofingProvider.correctAnswers("Thomas", "Tyler");
    await browser.post("/enrollment/step/questions", { ...right, county: "Hamilton" });
    expect((await browser.post("/enrollment/step/questions", right)).headers.get("Location")).toBe("/enrollment");
    expect(await providerEvents(user.id)).toEqual(["proofing.applicant_found", "proofing.failed"]);
  });

  it("going back to step 4 after the applicant was found does not ask the provider again", async () => {
    const { user, browser } = await signedInApplicant();
    await upToQuestions(browser);
    const again = await browser.post("/enrollment/step/phone", { phone: THOMAS.phone.phone, ssnLast4: "0000" });
    expect(again.headers.get("Location")).toBe("/enrollment");
    expect(await providerEvents(user.id)).toEqual(["proofing.applicant_found"]);
  });
});

describe("parallel consent posts", () => {
  const insertFailed = async (userId: string, n: number) => {
    for (let i = 0; i < n; i++) {
      await env.DB.prepare(
        "INSERT INTO identity_verifications (id, user_id, provider, status, step, data_json, started_at, completed_at) VALUES (?, ?, 'sandbox', 'failed', 6, '{}', ?, ?)",
      )
        .bind(crypto.randomUUID(), userId, Date.now() - 60_000 * (i + 1), Date.now())
        .run();
    }
  };
  const consentTimes = (browser: { post: (p: string, f: Record<string, string>) => Promise<Response> }, n: number) =>
    Promise.all(Array.from({ length: n }, () => browser.post("/enrollment/step/consent", { consent: "yes" })));

  it("start one attempt, however many arrive at once", async () => {
    const { user, browser } = await signedInApplicant();
    await consentTimes(browser, 10);
    expect(await attempts(user.id)).toEqual(["in_progress"]);
    const started = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE subject_user_id = ? AND event_type = 'proofing.started'",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(started?.n).toBe(1);
    expect((await browser.get("/enrollment")).headers.get("Location")).toBe("/enrollment/step/identity");
  });

  it("never take a user past 3 counted attempts in 24 hours", async () => {
    const { user, browser } = await signedInApplicant();
    await insertFailed(user.id, 2);
    await consentTimes(browser, 10);
    expect((await attempts(user.id)).sort()).toEqual(["failed", "failed", "in_progress"]);

    const exhausted = await signedInApplicant();
    await insertFailed(exhausted.user.id, 3);
    const responses = await consentTimes(exhausted.browser, 10);
    for (const r of responses) expect(r.headers.get("Location")).toBe("/enrollment/step/result");
    expect(await attempts(exhausted.user.id)).toEqual(["failed", "failed", "failed"]);
  });

  it("count an attempt being checked toward the limit", async () => {
    const { user, browser } = await signedInApplicant();
    await insertFailed(user.id, 2);
    await env.DB.prepare(
      "INSERT INTO identity_verifications (id, user_id, provider, status, step, data_json, started_at) VALUES (?, ?, 'sandbox', 'checking', 4, '{}', ?)",
    )
      .bind(crypto.randomUUID(), user.id, Date.now() - 1000)
      .run();
    expect((await browser.post("/enrollment/step/consent", { consent: "yes" })).headers.get("Location")).toBe(
      "/enrollment/step/result",
    );
    expect((await attempts(user.id)).filter((s) => s === "in_progress")).toHaveLength(0);
  });
});
