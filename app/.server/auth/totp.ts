import { generateHOTP } from "@oslojs/otp";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { mfaDevices } from "../db/schema";
import type { Deps } from "../deps";
import { openSecret } from "./secret-box";
import { timingSafeEqualString } from "./tokens";

/** RFC 6238 as authenticator apps use it: 30-second steps, 6 digits, SHA-1. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** One step either side absorbs clock drift (RFC 6238 section 5.2). */
export const TOTP_DRIFT_STEPS = 1;

export const totpAssociatedData = (deviceId: string) => `totp:${deviceId}`;

/** The step a code matches, within the allowed drift, or null. */
export function matchTotpStep(key: Uint8Array, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const current = Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
  let matched: number | null = null;
  // Check every candidate, so timing does not tell which one matched.
  for (let offset = -TOTP_DRIFT_STEPS; offset <= TOTP_DRIFT_STEPS; offset++) {
    const step = current + offset;
    if (timingSafeEqualString(generateHOTP(key, BigInt(step), TOTP_DIGITS), code) && matched === null) matched = step;
  }
  return matched;
}

/**
 * Verifies a code for a device and records its step, so the same code (or an
 * older one) is never accepted again. The update is conditional on the stored
 * step, so two simultaneous uses of one code cannot both pass.
 */
export async function verifyTotpDevice(
  deps: Pick<Deps, "db" | "env" | "now">,
  device: { id: string; totpSecretEnc: Buffer | Uint8Array | null; totpLastStep: number | null },
  code: string,
): Promise<boolean> {
  if (!device.totpSecretEnc) return false;
  const key = await openSecret(
    deps.env.TOTP_ENCRYPTION_KEY,
    new Uint8Array(device.totpSecretEnc),
    totpAssociatedData(device.id),
  );
  const step = matchTotpStep(key, code.replace(/\s+/g, ""), deps.now().getTime());
  if (step === null) return false;
  const updated = await deps.db
    .update(mfaDevices)
    .set({ totpLastStep: step, lastUsedAt: deps.now() })
    .where(and(eq(mfaDevices.id, device.id), or(isNull(mfaDevices.totpLastStep), lt(mfaDevices.totpLastStep, step))))
    .returning({ id: mfaDevices.id });
  return updated.length === 1;
}
