import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { and, eq, gt, isNotNull, isNull } from "drizzle-orm";
import { mfaDevices, users, webauthnChallenges } from "../db/schema";
import type { Deps } from "../deps";
import { fail, ok, type Result } from "../result";
import { shortLabel } from "./mfa";

/** Issue 4: challenges are single-use and expire in five minutes. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const RP_NAME = "CMS QualityNet";

type User = typeof users.$inferSelect;

function relyingParty(env: Deps["env"]) {
  const origin = new URL(env.PUBLIC_ORIGIN);
  return { origin: origin.origin, rpID: origin.hostname };
}

async function storeChallenge(
  deps: Pick<Deps, "db" | "now">,
  purpose: "register" | "authenticate",
  challenge: string,
  userId: string | null,
) {
  const id = crypto.randomUUID();
  await deps.db
    .insert(webauthnChallenges)
    .values({ id, userId, purpose, challenge, expiresAt: new Date(deps.now().getTime() + CHALLENGE_TTL_MS) });
  return id;
}

/**
 * Takes a challenge out of circulation: it must exist, be unexpired and unused,
 * and belong to the given user (or to nobody, for a passkey sign-in).
 */
export async function consumeChallenge(
  deps: Pick<Deps, "db" | "now">,
  id: string,
  purpose: "register" | "authenticate",
  userId: string | null,
): Promise<string | null> {
  const [row] = await deps.db
    .update(webauthnChallenges)
    .set({ usedAt: deps.now() })
    .where(
      and(
        eq(webauthnChallenges.id, id),
        eq(webauthnChallenges.purpose, purpose),
        userId ? eq(webauthnChallenges.userId, userId) : isNull(webauthnChallenges.userId),
        isNull(webauthnChallenges.usedAt),
        gt(webauthnChallenges.expiresAt, deps.now()),
      ),
    )
    .returning({ challenge: webauthnChallenges.challenge });
  return row?.challenge ?? null;
}

async function webauthnDevices(deps: Pick<Deps, "db">, userId: string) {
  return deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.userId, userId), eq(mfaDevices.kind, "webauthn"), isNotNull(mfaDevices.confirmedAt)));
}

const transportsOf = (value: string | null) => (value ? (JSON.parse(value) as AuthenticatorTransport[]) : undefined);

/**
 * Options for navigator.credentials.create(). The credential must be discoverable
 * (resident): sign-in options carry no allowCredentials (see authenticationOptions),
 * so the browser can only offer keys that remember this site. It also lets every
 * key work as a passkey. Authenticators that cannot store one are refused here,
 * at enrollment, rather than failing later at sign-in (docs/decisions).
 */
export async function registrationOptions(deps: Pick<Deps, "db" | "env" | "now">, user: User) {
  const { rpID } = relyingParty(deps.env);
  const existing = await webauthnDevices(deps, user.id);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID,
    userName: user.loginId,
    userDisplayName: `${user.firstName} ${user.lastName}`,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: existing.map((d) => ({
      id: d.webauthnCredentialId!,
      transports: transportsOf(d.webauthnTransports),
    })),
    authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
  });
  const challengeId = await storeChallenge(deps, "register", options.challenge, user.id);
  return { challengeId, options };
}

/** Verifies the new credential and stores it as an unconfirmed-then-confirmed device (the caller confirms). */
export async function verifyRegistration(
  deps: Pick<Deps, "db" | "env" | "now">,
  user: User,
  input: { challengeId: string; response: RegistrationResponseJSON; name: string },
): Promise<Result<{ deviceId: string }, "challenge" | "invalid">> {
  const challenge = await consumeChallenge(deps, input.challengeId, "register", user.id);
  if (!challenge) return fail("challenge");
  const { origin, rpID } = relyingParty(deps.env);
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: false,
    });
  } catch {
    return fail("invalid");
  }
  if (!verification.verified) return fail("invalid");
  const { credential } = verification.registrationInfo;
  const id = crypto.randomUUID();
  await deps.db.insert(mfaDevices).values({
    id,
    userId: user.id,
    kind: "webauthn",
    name: input.name.trim().slice(0, 40) || "Security key",
    credentialLabel: shortLabel("KEY"),
    webauthnCredentialId: credential.id,
    webauthnPublicKey: Buffer.from(credential.publicKey),
    webauthnCounter: credential.counter,
    webauthnTransports: credential.transports ? JSON.stringify(credential.transports) : null,
    createdAt: deps.now(),
  });
  return ok({ deviceId: id });
}

/**
 * Options for navigator.credentials.get(), for a second factor (with a User ID)
 * or a passkey sign-in (without). Issued before any password is accepted, so
 * they never list the account's credentials (`allowCredentials`): that list
 * would tell anyone whether a User ID exists and which keys it has (SPEC 2.2).
 * The browser offers its discoverable credentials instead — keys are registered
 * as discoverable for this reason (docs/decisions) — and verifyAuthentication
 * checks the key belongs to the account. The response has the same shape and
 * cost for known and unknown User IDs: one lookup, then the same options.
 */
export async function authenticationOptions(deps: Pick<Deps, "db" | "env" | "now">, loginId: string | null) {
  const { rpID } = relyingParty(deps.env);
  const user = loginId
    ? await deps.db.select({ id: users.id }).from(users).where(eq(users.loginId, loginId.toUpperCase())).get()
    : null;
  const options = await generateAuthenticationOptions({
    rpID,
    userVerification: loginId ? "preferred" : "required",
  });
  // A second-factor challenge is bound to the (claimed) account; a passkey one, or
  // one for an unknown User ID, to nobody. Only the server sees the difference.
  const challengeId = await storeChallenge(deps, "authenticate", options.challenge, user?.id ?? null);
  return { challengeId, options };
}

/**
 * Verifies an assertion. For a second factor `userId` is the account the password
 * matched; for a passkey it is null and the credential names the account, and
 * user verification (PIN or biometric) is required because no password was given.
 */
export async function verifyAuthentication(
  deps: Pick<Deps, "db" | "env" | "now">,
  input: { challengeId: string; response: AuthenticationResponseJSON },
  userId: string | null,
): Promise<Result<{ userId: string; deviceId: string }, "challenge" | "unknown_credential" | "invalid">> {
  const challenge = await consumeChallenge(deps, input.challengeId, "authenticate", userId);
  if (!challenge) return fail("challenge");
  const device = await deps.db
    .select()
    .from(mfaDevices)
    .where(
      and(
        eq(mfaDevices.kind, "webauthn"),
        eq(mfaDevices.webauthnCredentialId, input.response.id),
        isNotNull(mfaDevices.confirmedAt),
      ),
    )
    .get();
  if (!device || (userId && device.userId !== userId)) return fail("unknown_credential");
  const { origin, rpID } = relyingParty(deps.env);
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: {
        id: device.webauthnCredentialId!,
        publicKey: new Uint8Array(device.webauthnPublicKey!),
        counter: device.webauthnCounter ?? 0,
        transports: transportsOf(device.webauthnTransports),
      },
      requireUserVerification: userId === null,
    });
  } catch {
    return fail("invalid");
  }
  if (!verification.verified) return fail("invalid");
  await deps.db
    .update(mfaDevices)
    .set({ webauthnCounter: verification.authenticationInfo.newCounter, lastUsedAt: deps.now() })
    .where(eq(mfaDevices.id, device.id));
  return ok({ userId: device.userId, deviceId: device.id });
}
