import { sha256 } from "@oslojs/crypto/sha2";
import sandbox from "../db/seed/data/identity-sandbox.json";
import type { Applicant, IdentityProofingProvider, KbaQuestion, StartResult } from "./provider";

/**
 * The sandbox identity-proofing provider (documented in the README), built
 * exactly from the fixture's `about` text: an applicant whose legal name, date of
 * birth and SSN last four match a record is found; each of the record's history
 * kinds gives one question with five choices: the record's value (or "None of
 * the above" when it has none) among plausible decoys, in a deterministic order.
 * Everyone else is not found. Nobody in it is real.
 */
export const NONE_OF_THE_ABOVE = "None of the above";

type Kind = keyof typeof sandbox.question_kinds;
type Identity = (typeof sandbox.identities)[number];

/** Plausible wrong answers per kind; the record's own value is never offered as a decoy. */
const DECOYS: Record<Kind, string[]> = {
  previous_street: [
    "Maple Ave",
    "High St",
    "Lincoln Rd",
    "Oak Park Blvd",
    "Riverside Dr",
    "Elm St",
    "Washington Blvd",
    "Sunset Ave",
  ],
  county: ["Hamilton", "Cuyahoga", "Summit", "Montgomery", "Lake", "Harris", "Dallas", "Jefferson"],
  vehicle: [
    "2010 Toyota Corolla",
    "2013 Ford Focus",
    "2015 Chevrolet Malibu",
    "2012 Nissan Altima",
    "2017 Hyundai Elantra",
    "2009 Jeep Liberty",
  ],
  lender: [
    "First National Bank",
    "Summit Credit Union",
    "Pioneer Mortgage",
    "Capital Auto Finance",
    "Heritage Savings",
    "Keystone Lending",
  ],
  employer: [
    "Riverside Hospital",
    "State Department of Transportation",
    "Midwest Insurance Group",
    "Lakeside Public Schools",
    "County Water Authority",
    "Metro Transit",
  ],
};

const normalise = (s: string) => s.trim().toLowerCase().replace(/\s+/g, " ");

function digest(text: string): Uint8Array {
  return sha256(new TextEncoder().encode(text));
}

/** Deterministic shuffle: the same record always gets the same order. */
function orderedBy<T>(items: T[], seed: string, key: (item: T) => string): T[] {
  const rank = (item: T) => Array.from(digest(`${seed}:${key(item)}`).slice(0, 6)).reduce((n, b) => n * 256 + b, 0);
  return [...items].sort((a, b) => rank(a) - rank(b));
}

export function questionsFor(identity: Identity): KbaQuestion[] {
  const seed = `${identity.first_name}|${identity.last_name}|${identity.date_of_birth}`;
  return (Object.keys(sandbox.question_kinds) as Kind[]).map((kind) => {
    const value = identity.history[kind];
    const decoys = orderedBy(
      DECOYS[kind].filter((d) => !value || normalise(d) !== normalise(value)),
      `${seed}:${kind}`,
      (d) => d,
    );
    const offered = value ? [value, ...decoys.slice(0, 3)] : decoys.slice(0, 4);
    return {
      id: kind,
      text: sandbox.question_kinds[kind],
      choices: [...orderedBy(offered, `${seed}:${kind}:order`, (d) => d), NONE_OF_THE_ABOVE],
    };
  });
}

function findIdentity(
  applicant: Pick<Applicant, "firstName" | "lastName" | "dateOfBirth" | "ssnLast4">,
): Identity | undefined {
  return sandbox.identities.find(
    (i) =>
      normalise(i.first_name) === normalise(applicant.firstName) &&
      normalise(i.last_name) === normalise(applicant.lastName) &&
      i.date_of_birth === applicant.dateOfBirth &&
      i.ssn_last4 === applicant.ssnLast4,
  );
}

export class SandboxProofingProvider implements IdentityProofingProvider {
  readonly name = "sandbox";

  async startVerification(applicant: Applicant): Promise<StartResult> {
    const identity = findIdentity(applicant);
    if (!identity) return { found: false, reason: "not_found" };
    const index = sandbox.identities.indexOf(identity);
    return { found: true, reference: `sandbox-${index}`, questions: questionsFor(identity) };
  }

  async scoreAnswers(reference: string, answers: Record<string, string>): Promise<{ verified: boolean }> {
    const identity = sandbox.identities[Number(reference.replace("sandbox-", ""))];
    if (!reference.startsWith("sandbox-") || !identity) return { verified: false };
    const verified = (Object.keys(sandbox.question_kinds) as Kind[]).every((kind) => {
      const expected = identity.history[kind] ?? NONE_OF_THE_ABOVE;
      return normalise(answers[kind] ?? "") === normalise(expected);
    });
    return { verified };
  }

  /** For tests and the README: the answers that pass, from the record itself. */
  static correctAnswers(firstName: string, lastName: string): Record<string, string> {
    const identity = sandbox.identities.find((i) => i.first_name === firstName && i.last_name === lastName);
    if (!identity) throw new Error(`No sandbox identity ${firstName} ${lastName}`);
    return Object.fromEntries(
      (Object.keys(sandbox.question_kinds) as Kind[]).map((k) => [k, identity.history[k] ?? NONE_OF_THE_ABOVE]),
    );
  }
}
