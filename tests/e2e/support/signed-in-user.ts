import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { desc, eq, or } from "drizzle-orm";
import type { Cookie } from "playwright-core";
import { inject } from "vitest";
import type { Assurance } from "../../../app/.server/access/authorize";
import { RECOVERY_CODE_COUNT, shortLabel } from "../../../app/.server/auth/mfa";
import { hashPassword } from "../../../app/.server/auth/password";
import { sealSecret } from "../../../app/.server/auth/secret-box";
import { ABSOLUTE_TIMEOUT_MS, sessionSetCookie } from "../../../app/.server/auth/session";
import { termsSetCookie } from "../../../app/.server/auth/terms";
import { hashToken, randomToken } from "../../../app/.server/auth/tokens";
import { totpAssociatedData } from "../../../app/.server/auth/totp";
import {
  challengeAnswers,
  identityVerifications,
  mfaDevices,
  organizations,
  passwordCredentials,
  programs,
  recoveryCodes,
  roles,
  sessions,
  termsAcceptances,
  termsVersions,
  userRoles,
  users,
} from "../../../app/.server/db/schema";
import { decidedProofingData } from "../../../app/.server/proofing/attempt-data";
import { type ChallengeQuestionKey, normaliseAnswer } from "../../../app/lib/challenge-questions";
import { normaliseRecovery } from "../../../app/lib/mfa";
import { readDevVars } from "../../../scripts/dev-vars";
import { baseURL } from "./browser";
import { FACTORY_CHALLENGE_ANSWERS, FACTORY_PASSWORD } from "./factory-secrets";
import { independentTotp } from "./journeys";
import { type LocalDb, writeLocalD1 } from "./local-d1";

/**
 * Users who start signed in: rows written straight into the local D1 of the
 * e2e `wrangler dev` (./local-d1.ts), in the state New User Enrollment leaves
 * them, with a session whose cookie a test hands to the browser. Only the
 * journeys about registration, sign-in and enrollment go through those screens.
 *
 *   const user = await createSignedInUser({
 *     firstName: "Avery",
 *     roles: [{ role: "OSO", organization: "REGIONAL OFFICE 5 - CHICAGO", program: "IQR" }],
 *   });
 *   await context.addCookies(user.cookies);
 *   await page.goto("/my-account");
 *
 * Secrets are made the app's way, with its own modules: scrypt password and
 * answer hashes (./factory-secrets.ts), the TOTP key sealed under the
 * TOTP_ENCRYPTION_KEY that `wrangler dev` reads from .dev.vars, SHA-256 session
 * and recovery-code hashes.
 */

export { FACTORY_CHALLENGE_ANSWERS, FACTORY_PASSWORD } from "./factory-secrets";

/** A role held from the start, as an approved access request would leave it. */
export interface RoleGrant {
  /** `roles.code` from the seed: "OSO", "END_USER", "HELP_DESK_APPROVER", "HELP_DESK_ADMINISTRATOR", "QBIC_…". */
  role: string;
  /** The organization, by its seed key (`organizations.external_key`, e.g. "cms:hq") or its exact name. */
  organization?: string;
  /**
   * `programs.code`, e.g. "IQR"; left out, a help-desk role covers every program, while a Security
   * Official's role reaches nothing (an official's authority is one program at one organization).
   */
  program?: string;
}

export interface SessionOptions {
  /** How the session was established: "strong" for an enrolled user, "password" for one with no device yet. */
  assurance?: Assurance;
  /** When a strong factor was last proven: now for a strong session, otherwise never. */
  strongFactorAt?: Date | null;
  /** Last activity, now by default; more than 30 minutes ago makes an idle-expired session. */
  lastSeenAt?: Date;
  /**
   * What the session proved besides the password, letting it bind a first device: a verified user's
   * session is the one that completed identity proofing; null (any other session) proved the password alone.
   */
  firstDeviceProof?: "identity_proofing" | "reenrollment_link" | null;
}

export interface UserOptions {
  firstName?: string;
  lastName?: string;
  /** Stored lower case, as registration stores it; unique by default. */
  email?: string;
  password?: string;
  roles?: RoleGrant[];
  session?: SessionOptions;
}

export interface UserSession {
  /** `sessions.id_hash` (SHA-256 of the cookie value): how "Active sessions" tells sessions apart. */
  sessionId: string;
  /** The session cookie, exactly as the app sets it, for `context.addCookies`. */
  cookie: Cookie;
  /** The session cookie and the Terms and Conditions acceptance: everything a signed-in browser holds. */
  cookies: Cookie[];
}

/** Identity verified, no second factor yet: New User Enrollment waits at "Register an MFA Device". */
export interface VerifiedUser extends UserSession {
  userId: string;
  /** The User ID people type to sign in. */
  loginId: string;
  password: string;
  email: string;
  firstName: string;
  lastName: string;
  challengeAnswers: Partial<Record<ChallengeQuestionKey, string>>;
  /** The Terms and Conditions acceptance cookie alone, for a new session of the same browser. */
  termsCookie: Cookie;
}

/** New User Enrollment finished: an authenticator app and recovery codes. */
export interface SignedInUser extends VerifiedUser {
  /** The authenticator app's key, Base32, as the enrollment screen shows it. */
  totpSecret: string;
  /** Ten unused recovery codes. */
  recoveryCodes: string[];
  /**
   * The code the authenticator app shows (RFC 6238, computed independently of
   * the app). A code is accepted once: the next sign-in or step-up in the same
   * 30 seconds needs `{ stepOffset: 1 }`.
   */
  computeTotp(options?: { at?: number; stepOffset?: number }): string;
}

let counter = 0;

/** Secrets a test chose itself are hashed once per test file; the defaults were hashed by the e2e setup. */
const hashes = new Map<string, Promise<string>>();
function hashOnce(secret: string): Promise<string> {
  const prepared = inject("factorySecretHashes")[secret];
  if (prepared) return Promise.resolve(prepared);
  let hash = hashes.get(secret);
  if (!hash) {
    hash = hashPassword(secret);
    hashes.set(secret, hash);
  }
  return hash;
}

/** The recovery-code alphabet (app/.server/auth/mfa.ts): Crockford's, 28 characters in groups of four. */
const RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const randomChars = (alphabet: string, length: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join("");

/** A playwright cookie from the app's own Set-Cookie header, for the e2e server's host. */
function cookieFrom(setCookie: string): Cookie {
  const [pair, ...attributes] = setCookie.split(";").map((part) => part.trim());
  const index = pair.indexOf("=");
  const flags = new Map(
    attributes.map((a) => {
      const [key, ...rest] = a.split("=");
      return [key.toLowerCase(), rest.join("=")] as const;
    }),
  );
  const maxAge = flags.get("max-age");
  const sameSite = flags.get("samesite")?.toLowerCase();
  return {
    name: pair.slice(0, index),
    value: decodeURIComponent(pair.slice(index + 1)),
    // `__Host-` cookies carry no Domain: host-only, for the server's host.
    domain: new URL(baseURL()).hostname,
    path: flags.get("path") || "/",
    expires: maxAge ? Math.floor(Date.now() / 1000) + Number(maxAge) : -1,
    httpOnly: flags.has("httponly"),
    secure: flags.has("secure"),
    sameSite: sameSite === "strict" ? "Strict" : sameSite === "none" ? "None" : "Lax",
  };
}

/** The session row, as `createSession` (app/.server/auth/session.ts) writes it. */
async function insertSession(db: LocalDb, userId: string, options: SessionOptions = {}) {
  const token = randomToken();
  const now = new Date();
  const assurance = options.assurance ?? "strong";
  const lastSeenAt = options.lastSeenAt ?? now;
  await db.insert(sessions).values({
    idHash: hashToken(token),
    userId,
    createdAt: lastSeenAt,
    lastSeenAt,
    expiresAt: new Date(lastSeenAt.getTime() + ABSOLUTE_TIMEOUT_MS),
    ip: "127.0.0.1",
    userAgent: "e2e factory",
    location: null,
    assurance,
    strongFactorAt: options.strongFactorAt !== undefined ? options.strongFactorAt : assurance === "strong" ? now : null,
    firstDeviceProof: options.firstDeviceProof ?? null,
  });
  return { sessionId: hashToken(token), cookie: cookieFrom(sessionSetCookie(token)) };
}

async function grantRoles(db: LocalDb, userId: string, grants: RoleGrant[], now: Date) {
  for (const grant of grants) {
    const role = await db.select({ id: roles.id }).from(roles).where(eq(roles.code, grant.role)).get();
    if (!role) throw new Error(`No role "${grant.role}" in the seed`);
    let programId: number | null = null;
    if (grant.program) {
      const program = await db.select({ id: programs.id }).from(programs).where(eq(programs.code, grant.program)).get();
      if (!program) throw new Error(`No program "${grant.program}" in the seed`);
      programId = program.id;
    }
    let organizationId: number | null = null;
    if (grant.organization) {
      const found = await db
        .select({ id: organizations.id })
        .from(organizations)
        .where(or(eq(organizations.externalKey, grant.organization), eq(organizations.name, grant.organization)))
        .limit(2);
      // Generated provider names repeat ("DAYTON MEDICAL CENTER"): those need their seed key.
      if (found.length !== 1)
        throw new Error(`${found.length ? "More than one" : "No"} organization "${grant.organization}" in the seed`);
      organizationId = found[0].id;
    }
    await db.insert(userRoles).values({
      id: crypto.randomUUID(),
      userId,
      roleId: role.id,
      programId,
      organizationId,
      status: "active",
      grantedAt: now,
      recertifiedAt: now,
    });
  }
}

async function createUser(options: UserOptions, enrolled: boolean) {
  counter++;
  const now = new Date();
  const userId = crypto.randomUUID();
  // Registration makes six letters and two digits; these cannot collide with one.
  const loginId = `E2E${counter}${randomChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 6)}`;
  const email = (options.email ?? `${loginId}@example.test`).toLowerCase();
  const firstName = options.firstName ?? "Casey";
  const lastName = options.lastName ?? "Jordan";
  const password = options.password ?? FACTORY_PASSWORD;
  const attemptId = crypto.randomUUID();
  const deviceId = crypto.randomUUID();
  const acceptanceId = crypto.randomUUID();
  const totpKey = crypto.getRandomValues(new Uint8Array(20));
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    randomChars(RECOVERY_ALPHABET, 28).match(/.{4}/g)!.join("-"),
  );

  // The slow part (scrypt, AES-GCM) before the write lock is taken.
  const [passwordHash, answerHashes, sealedKey] = await Promise.all([
    hashOnce(password),
    Promise.all(
      Object.entries(FACTORY_CHALLENGE_ANSWERS).map(
        async ([key, answer]) => [key, await hashOnce(normaliseAnswer(answer!))] as const,
      ),
    ),
    sealSecret(readDevVars().TOTP_ENCRYPTION_KEY, totpKey, totpAssociatedData(deviceId)),
  ]);

  const session = await writeLocalD1(inject("localD1File"), async (db) => {
    await db.insert(users).values({
      id: userId,
      loginId,
      firstName,
      lastName,
      email,
      phone: "614-555-0100",
      status: "active",
      identityVerifiedAt: now,
      enrollmentCompletedAt: enrolled ? now : null,
      lastSignInAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await db.insert(passwordCredentials).values({ userId, hash: passwordHash, isTemporary: false, changedAt: now });
    await db.insert(challengeAnswers).values(
      answerHashes.map(([questionKey, answerHash]) => ({
        id: crypto.randomUUID(),
        userId,
        questionKey,
        answerHash,
        createdAt: now,
      })),
    );
    // The decided sandbox attempt that verified the identity, as the proofing steps leave it.
    await db.insert(identityVerifications).values({
      id: attemptId,
      userId,
      provider: "sandbox",
      status: "verified",
      step: 6,
      dataJson: decidedProofingData({
        consentAt: now.toISOString(),
        outcome: "verified",
        provider: "sandbox",
        providerReference: "sandbox-e2e",
        legalName: { firstName, lastName },
      }),
      providerReference: "sandbox-e2e",
      startedAt: now,
      completedAt: now,
    });
    if (enrolled) {
      await db.insert(mfaDevices).values({
        id: deviceId,
        userId,
        kind: "totp",
        name: "Authenticator app",
        credentialLabel: shortLabel("TOTP"),
        totpSecretEnc: Buffer.from(sealedKey),
        createdAt: now,
        confirmedAt: now,
      });
      await db.insert(recoveryCodes).values(
        codes.map((code) => ({
          id: crypto.randomUUID(),
          userId,
          codeHash: hashToken(normaliseRecovery(code)),
          createdAt: now,
        })),
      );
    }
    // The version in force, as the terms screen would have shown it.
    const [terms] = await db
      .select({ version: termsVersions.version })
      .from(termsVersions)
      .orderBy(desc(termsVersions.publishedAt))
      .limit(1);
    await db.insert(termsAcceptances).values({
      id: acceptanceId,
      userId,
      termsVersion: terms.version,
      programCode: "IQR",
      acceptedAt: now,
    });
    await grantRoles(db, userId, options.roles ?? [], now);
    // No device yet: a sign-in can only have been by password (docs/decisions: assurance model), in the
    // session that just completed identity proofing, which may bind the first device (recovery model).
    return insertSession(db, userId, {
      assurance: enrolled ? "strong" : "password",
      firstDeviceProof: enrolled ? null : "identity_proofing",
      ...options.session,
    });
  });

  const termsCookie = cookieFrom(termsSetCookie(acceptanceId));
  const user: VerifiedUser = {
    userId,
    loginId,
    password,
    email,
    firstName,
    lastName,
    challengeAnswers: FACTORY_CHALLENGE_ANSWERS,
    termsCookie,
    ...session,
    cookies: [session.cookie, termsCookie],
  };
  // As the enrollment screen shows it.
  const totpSecret = encodeBase32UpperCaseNoPadding(totpKey);
  return { user, totpSecret, codes };
}

/**
 * An enrolled user (identity verified, challenge questions, an authenticator
 * app, recovery codes, the terms accepted, active) with a session: strong, a
 * strong factor proven just now, unless `options.session` says otherwise.
 */
export async function createSignedInUser(options: UserOptions = {}): Promise<SignedInUser> {
  const { user, totpSecret, codes } = await createUser(options, true);
  return {
    ...user,
    totpSecret,
    recoveryCodes: codes,
    computeTotp: ({ at = Date.now(), stepOffset = 0 } = {}) => independentTotp(totpSecret, at, stepOffset),
  };
}

/**
 * A user whose identity is verified but who has no second factor yet, signed in
 * by password (the only way before a first device) in the session that completed
 * identity proofing: enrollment's device step.
 */
export async function createVerifiedUser(options: UserOptions = {}): Promise<VerifiedUser> {
  return (await createUser(options, false)).user;
}

/** Another session for a factory user (an idle-expired one, say), with the user's terms cookie. */
export async function createSession(
  user: Pick<VerifiedUser, "userId" | "termsCookie">,
  options: SessionOptions = {},
): Promise<UserSession> {
  const session = await writeLocalD1(inject("localD1File"), (db) => insertSession(db, user.userId, options));
  return { ...session, cookies: [session.cookie, user.termsCookie] };
}
