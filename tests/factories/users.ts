import { env } from "cloudflare:test";
import { generateTOTP } from "@oslojs/otp";
import { hashPassword } from "../../app/.server/auth/password";
import { sealSecret } from "../../app/.server/auth/secret-box";
import { normaliseAnswer } from "../../app/lib/challenge-questions";
import { Browser } from "./http";

export const STRONG_PASSWORD = "granite kettle orbit lantern";

let counter = 0;

/** A user straight into D1, in the state a test needs. */
export async function createUser(
  options: {
    password?: string;
    temporary?: boolean;
    questions?: boolean;
    totpKey?: Uint8Array;
    firstName?: string;
    lastName?: string;
    /** Identity proofing already passed (and enrollment complete when a device is given). */
    verified?: boolean;
  } = {},
) {
  counter++;
  const id = crypto.randomUUID();
  const loginId = `TEST${String(counter).padStart(2, "0")}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const email = `${loginId.toLowerCase()}@example.test`;
  const now = Date.now();
  const password = options.password ?? STRONG_PASSWORD;
  const statements = [
    env.DB.prepare(
      "INSERT INTO users (id, login_id, first_name, last_name, email, phone, identity_verified_at, enrollment_completed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '614-555-0100', ?, ?, ?, ?)",
    ).bind(
      id,
      loginId,
      options.firstName ?? "Casey",
      options.lastName ?? "Jordan",
      email,
      options.verified || options.totpKey ? now : null,
      options.totpKey ? now : null,
      now,
      now,
    ),
    env.DB.prepare(
      "INSERT INTO password_credentials (user_id, hash, is_temporary, expires_at, changed_at) VALUES (?, ?, ?, ?, ?)",
    ).bind(
      id,
      await hashPassword(password),
      options.temporary ? 1 : 0,
      options.temporary ? now + 7 * 86400000 : null,
      now,
    ),
  ];
  if (options.questions !== false && !options.temporary) {
    for (const [key, answer] of [
      ["first_pet", "Rex"],
      ["birth_city", "Dayton"],
      ["first_school", "Lincoln Elementary"],
    ]) {
      statements.push(
        env.DB.prepare(
          "INSERT INTO challenge_answers (id, user_id, question_key, answer_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        ).bind(crypto.randomUUID(), id, key, await hashPassword(normaliseAnswer(answer)), now),
      );
    }
  }
  if (options.totpKey) {
    const deviceId = crypto.randomUUID();
    const sealed = await sealSecret(env.TOTP_ENCRYPTION_KEY, options.totpKey, `totp:${deviceId}`);
    statements.push(
      env.DB.prepare(
        "INSERT INTO mfa_devices (id, user_id, kind, name, credential_label, totp_secret_enc, created_at, confirmed_at) VALUES (?, ?, 'totp', 'Phone', 'TOTP-TEST', ?, ?, ?)",
      ).bind(deviceId, id, sealed, now, now),
    );
  }
  await env.DB.batch(statements);
  return { id, loginId, email, password };
}

/** A TOTP code from an independent computation (the test's own clock). */
export const totpNow = (key: Uint8Array) => generateTOTP(key, 30, 6);

/** Waits for the queue consumer to deliver an email to the sandbox mailbox. */
export async function waitForEmail(to: string, subjectIncludes: string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const row = await env.DB.prepare(
      "SELECT * FROM dev_mailbox WHERE recipient = ? AND subject LIKE ? ORDER BY id DESC LIMIT 1",
    )
      .bind(to, `%${subjectIncludes}%`)
      .first<{ subject: string; body_text: string }>();
    if (row) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`No email "${subjectIncludes}" to ${to}`);
}

/** The latest email's body to an address, matched by subject. */
export async function codeFromEmail(to: string, subjectIncludes: string): Promise<string> {
  const mail = await waitForEmail(to, subjectIncludes);
  const code = mail.body_text.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error(`No code in "${mail.subject}"`);
  return code;
}

/** The recovery codes a page shows (seven groups of four). */
export function recoveryCodesIn(html: string): string[] {
  return [...html.matchAll(/<code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})<\/code>/g)].map((m) => m[1]);
}

/** A role held from now on (no end date, recertified now), straight into D1. */
export async function grantRole(
  userId: string,
  roleCode: string,
  scope: { organizationId?: number; programId?: number } = {},
) {
  await env.DB.prepare(
    "INSERT INTO user_roles (id, user_id, role_id, program_id, organization_id, status, granted_at, recertified_at) SELECT ?, ?, id, ?, ?, 'active', ?, ? FROM roles WHERE code = ?",
  )
    .bind(
      crypto.randomUUID(),
      userId,
      scope.programId ?? null,
      scope.organizationId ?? null,
      Date.now(),
      Date.now(),
      roleCode,
    )
    .run();
}

/**
 * For a user created already verified (`verified: true`): marks their sessions as the one that completed
 * identity proofing, as the last proofing step does (`rotateSession(…, { firstDeviceProof })`), so that
 * session may bind the first device. Without it, a password-only session is sent to the emailed link.
 */
export async function asProofingSession(userId: string) {
  await env.DB.prepare("UPDATE sessions SET first_device_proof = 'identity_proofing' WHERE user_id = ?")
    .bind(userId)
    .run();
}

/** An enrolled user signed in through the screens with an authenticator app (a fresh strong factor). */
export async function signedInWithTotp(firstName: string, lastName = "Tester") {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const user = await createUser({ totpKey: key, firstName, lastName });
  const browser = new Browser();
  const response = await browser.signIn(user.loginId, user.password, { deviceType: "totp", code: totpNow(key) });
  if (response.status !== 302) throw new Error(`Sign-in answered ${response.status}, not 302`);
  return { user, browser, key };
}
