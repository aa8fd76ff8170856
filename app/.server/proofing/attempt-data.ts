import { decodeBase64, encodeBase64 } from "@oslojs/encoding";
import { openSecret, sealSecret } from "../auth/secret-box";
import type { Env } from "../env";
import type { Applicant, KbaQuestion } from "./provider";

/**
 * What an applicant entered in an attempt that is still open. Never the SSN
 * digits: they go to the provider and are forgotten.
 */
export interface ProofingData {
  consentAt?: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  dateOfBirth?: string;
  address?: Applicant["address"];
  phone?: string;
  ssnLast4Provided?: boolean;
  questions?: KbaQuestion[];
}

/** What a decided attempt keeps: enough for the audit, nothing more (no DOB, address, phone, questions). */
export interface DecidedProofingData {
  consentAt?: string;
  outcome: "verified" | "failed";
  provider: string;
  providerReference: string | null;
  legalName: { firstName: string; lastName: string } | null;
}

/**
 * Stored form of `identity_verifications.data_json`, version 1: bookkeeping in the
 * clear, everything personal sealed with AES-256-GCM under TOTP_ENCRYPTION_KEY and
 * bound to the row id, like TOTP secrets. A decided attempt stores `decided` only.
 */
interface StoredV1 {
  v: 1;
  consentAt?: string;
  /** Base64 of the sealed JSON of the personal fields. */
  enc?: string;
  decided?: DecidedProofingData;
}

const PERSONAL = [
  "firstName",
  "middleName",
  "lastName",
  "dateOfBirth",
  "address",
  "phone",
  "ssnLast4Provided",
  "questions",
] as const;

const associatedData = (attemptId: string) => `proofing:${attemptId}`;

/** Seals an open attempt's data for its row. */
export async function sealProofingData(
  env: Pick<Env, "TOTP_ENCRYPTION_KEY">,
  attemptId: string,
  data: ProofingData,
): Promise<string> {
  const personal = Object.fromEntries(PERSONAL.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
  const stored: StoredV1 = { v: 1, consentAt: data.consentAt };
  if (Object.keys(personal).length > 0) {
    const sealed = await sealSecret(
      env.TOTP_ENCRYPTION_KEY,
      new TextEncoder().encode(JSON.stringify(personal)),
      associatedData(attemptId),
    );
    stored.enc = encodeBase64(sealed);
  }
  return JSON.stringify(stored);
}

/** The decided attempt's record: replaces everything the applicant entered. */
export function decidedProofingData(decided: DecidedProofingData): string {
  return JSON.stringify({ v: 1, consentAt: decided.consentAt, decided } satisfies StoredV1);
}

/** Opens a row's data. Rows written before encryption (no `v`) are read as they are. */
export async function openProofingData(
  env: Pick<Env, "TOTP_ENCRYPTION_KEY">,
  attemptId: string,
  dataJson: string,
): Promise<ProofingData> {
  const stored = JSON.parse(dataJson) as Partial<StoredV1> & ProofingData;
  if (stored.v !== 1) return stored;
  if (stored.decided) {
    const name = stored.decided.legalName;
    return { consentAt: stored.consentAt, ...(name ? { firstName: name.firstName, lastName: name.lastName } : {}) };
  }
  if (!stored.enc) return { consentAt: stored.consentAt };
  const opened = await openSecret(env.TOTP_ENCRYPTION_KEY, decodeBase64(stored.enc), associatedData(attemptId));
  return { consentAt: stored.consentAt, ...(JSON.parse(new TextDecoder().decode(opened)) as ProofingData) };
}
