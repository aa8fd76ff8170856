/**
 * What New User Enrollment needs from an identity-proofing vendor (SPEC 2.4).
 * The sandbox implements it from fictional records; a production vendor's
 * adapter implements the same two calls.
 */
export interface Applicant {
  firstName: string;
  middleName: string;
  lastName: string;
  dateOfBirth: string; // YYYY-MM-DD
  address: { line1: string; line2: string; city: string; state: string; zip: string };
  phone: string;
  ssnLast4: string;
}

export interface KbaQuestion {
  id: string;
  text: string;
  choices: string[];
}

export type StartResult =
  | { found: true; reference: string; questions: KbaQuestion[] }
  | { found: false; reason: "not_found" };

export interface IdentityProofingProvider {
  readonly name: string;
  /** Looks the applicant up and, when found, returns knowledge-based questions. */
  startVerification(applicant: Applicant): Promise<StartResult>;
  /** Scores the answers given to the questions of `reference`. */
  scoreAnswers(reference: string, answers: Record<string, string>): Promise<{ verified: boolean }>;
}

export { NOT_VERIFIED_MESSAGE } from "~/lib/enrollment";
