import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { decodeBase64 } from "@oslojs/encoding";
import { beforeAll, describe, expect, it } from "vitest";
import { openSecret } from "../../app/.server/auth/secret-box";
import { SandboxProofingProvider } from "../../app/.server/proofing/sandbox";
import worker from "../../worker/index";
import { signedInApplicant, THOMAS, upToPhoneStep, upToQuestions } from "../factories/proofing";
import { seedDatabase } from "../factories/seed";

/**
 * ASVS 4.0 8.3.4/8.3.8 (sensitive personal data protected at rest and kept no
 * longer than needed), identity proofing bound to the account (NIST 800-63A
 * binding), and ASVS 14.1 (no unsafe configuration in production).
 */
beforeAll(async () => {
  await seedDatabase(env.DB);
});

const attemptRow = (userId: string) =>
  env.DB.prepare(
    "SELECT id, status, data_json FROM identity_verifications WHERE user_id = ? ORDER BY started_at DESC LIMIT 1",
  )
    .bind(userId)
    .first<{ id: string; status: string; data_json: string }>();

const PERSONAL = [
  THOMAS.identity.dateOfBirth,
  "1974",
  "Olentangy",
  "43212",
  THOMAS.phone.phone,
  "6145550142",
  THOMAS.phone.ssnLast4,
];
const QUESTIONS = ["Cleveland Ave", "Franklin", "Honda", "Ohio Department of Health", "Which of these"];

describe("personal data from a proofing attempt", () => {
  it("is encrypted at rest while the attempt is open, bound to its row", async () => {
    const { user, browser } = await signedInApplicant();
    await upToPhoneStep(browser);
    const atAddress = (await attemptRow(user.id))!;
    for (const value of PERSONAL) expect(atAddress.data_json).not.toContain(value);

    expect((await browser.post("/enrollment/step/phone", THOMAS.phone)).headers.get("Location")).toBe(
      "/enrollment/step/questions",
    );
    const row = (await attemptRow(user.id))!;
    for (const value of [...PERSONAL, ...QUESTIONS]) expect(row.data_json).not.toContain(value);
    const stored = JSON.parse(row.data_json) as { v: number; enc: string; consentAt: string };
    expect(stored.v).toBe(1);
    expect(stored.consentAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // Readable with the key and this row's id only.
    const opened = JSON.parse(
      new TextDecoder().decode(
        await openSecret(env.TOTP_ENCRYPTION_KEY, decodeBase64(stored.enc), `proofing:${row.id}`),
      ),
    );
    expect(opened).toMatchObject({
      dateOfBirth: THOMAS.identity.dateOfBirth,
      phone: THOMAS.phone.phone,
      address: { line1: THOMAS.address.line1 },
    });
    await expect(
      openSecret(env.TOTP_ENCRYPTION_KEY, decodeBase64(stored.enc), "proofing:another-row"),
    ).rejects.toThrow();
    // The screens still show what the applicant entered.
    expect(await (await browser.get("/enrollment/step/address")).text()).toContain(THOMAS.address.line1);
  });

  it("is dropped once the attempt is decided, keeping only what the audit needs", async () => {
    const verified = await signedInApplicant();
    await upToQuestions(verified.browser);
    await verified.browser.post(
      "/enrollment/step/questions",
      SandboxProofingProvider.correctAnswers("Thomas", "Tyler"),
    );
    const failed = await signedInApplicant();
    await upToPhoneStep(failed.browser);
    await failed.browser.post("/enrollment/step/phone", { phone: THOMAS.phone.phone, ssnLast4: "0000" });

    for (const [who, outcome] of [
      [verified, "verified"],
      [failed, "failed"],
    ] as const) {
      const row = (await attemptRow(who.user.id))!;
      expect(row.status).toBe(outcome);
      for (const value of [...PERSONAL, ...QUESTIONS]) expect(row.data_json).not.toContain(value);
      const stored = JSON.parse(row.data_json);
      expect(stored.enc).toBeUndefined();
      expect(stored.decided).toMatchObject({
        outcome,
        provider: "sandbox",
        legalName: { firstName: "Thomas", lastName: "Tyler" },
      });
      expect(Object.keys(stored.decided).sort()).toEqual([
        "consentAt",
        "legalName",
        "outcome",
        "provider",
        "providerReference",
      ]);
    }
  });
});

describe("a proven identity binds to the account", () => {
  const nameOf = (id: string) =>
    env.DB.prepare("SELECT first_name, last_name FROM users WHERE id = ?")
      .bind(id)
      .first<{ first_name: string; last_name: string }>();
  const nameChanges = (id: string) =>
    env.DB.prepare(
      "SELECT details_json FROM audit_events WHERE subject_user_id = ? AND event_type = 'account.name_changed'",
    )
      .bind(id)
      .all<{ details_json: string }>();

  async function proveThomas(
    account: { firstName: string; lastName: string },
    identity: Record<string, string> = THOMAS.identity,
  ) {
    const { user, browser } = await signedInApplicant(account);
    await upToQuestions(browser, identity);
    await browser.post("/enrollment/step/questions", SandboxProofingProvider.correctAnswers("Thomas", "Tyler"));
    expect(await (await browser.get("/enrollment/step/result")).text()).toContain("Your identity is verified");
    return user;
  }

  it("keeps the account's name when it is the proven one, whatever the case, accents or middle name", async () => {
    const user = await proveThomas(
      { firstName: "THOMÁS", lastName: "tyler" },
      { ...THOMAS.identity, middleName: "James" },
    );
    expect(await nameOf(user.id)).toEqual({ first_name: "THOMÁS", last_name: "tyler" });
    expect((await nameChanges(user.id)).results).toHaveLength(0);
  });

  it("gives the account the proven legal name when they differ, and records old and new in the audit log", async () => {
    const user = await proveThomas({ firstName: "Casey", lastName: "Jordan" });
    expect(await nameOf(user.id)).toEqual({ first_name: "Thomas", last_name: "Tyler" });
    const changes = (await nameChanges(user.id)).results;
    expect(changes).toHaveLength(1);
    expect(JSON.parse(changes[0].details_json)).toMatchObject({
      oldName: { firstName: "Casey", lastName: "Jordan" },
      newName: { firstName: "Thomas", lastName: "Tyler" },
    });
  });

  it("leaves the account's name alone when proofing fails", async () => {
    const { user, browser } = await signedInApplicant({ firstName: "Casey", lastName: "Jordan" });
    await upToQuestions(browser);
    await browser.post("/enrollment/step/questions", {
      ...SandboxProofingProvider.correctAnswers("Thomas", "Tyler"),
      county: "Hamilton",
    });
    expect(await nameOf(user.id)).toEqual({ first_name: "Casey", last_name: "Jordan" });
  });
});

describe("the proofing provider comes from configuration", () => {
  async function fetchWith(overrides: Record<string, string>) {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://localhost:8787/", { headers: { Host: "localhost:8787" } }),
      { ...env, ...overrides } as typeof env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  it("a production Worker configured with the sandbox answers with the error page instead of serving", async () => {
    const configurations: Record<string, string>[] = [
      { ENVIRONMENT: "production", PROOFING_PROVIDER: "sandbox" },
      { ENVIRONMENT: "production" },
    ];
    for (const overrides of configurations) {
      const response = await fetchWith(overrides);
      expect(response.status).toBe(500);
      const html = await response.text();
      expect(html).toContain("Something went wrong");
      expect(html).not.toContain("Log In");
    }
  });

  it("serves a production-mode staging deployment that allows the sandbox, and development by default", async () => {
    expect(
      (await fetchWith({ ENVIRONMENT: "production", PROOFING_PROVIDER: "sandbox", ALLOW_SANDBOX_PROOFING: "staging" }))
        .status,
    ).toBe(200);
    expect((await fetchWith({})).status).toBe(200);
  });
});
