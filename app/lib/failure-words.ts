import type { ReplyErrors } from "./forms";

/**
 * A screen's words for the failures a service returns (`Failure` in
 * `app/.server/result.ts`): services return a code, the facts the words need
 * (`detail`) and the form field it belongs to (`field`); each screen words it.
 * A copy table typed `satisfies FailureCopy<…>` fails the typecheck when a
 * service gains a code the screen has no words for.
 */
export type FailureFacts = Readonly<Record<string, string | number | boolean | Date | null>>;

/** Words for one code: fixed, or made from the failure's facts. */
export type Words = string | ((facts: FailureFacts) => string);

/** Words for every failure code of a service's outcome (`"refused"` is the door's, `refuse()` in guards). */
export type FailureCopy<Code extends string> = Readonly<Record<Exclude<Code, "refused">, Words>>;

type Worded<Code extends string> = { code: Code; field?: string; detail?: FailureFacts };

/** The words for a failure. */
export function wordsFor<Code extends string>(copy: Readonly<Record<Code, Words>>, failure: Worded<Code>): string {
  const words = copy[failure.code];
  return typeof words === "function" ? words(failure.detail ?? {}) : words;
}

/** The words next to the failure's field when it names one, else above the form. */
export function failureErrors<Code extends string>(
  copy: Readonly<Record<Code, Words>>,
  failure: Worded<Code>,
): ReplyErrors {
  const words = wordsFor(copy, failure);
  return failure.field ? { fieldErrors: { [failure.field]: [words] } } : { formErrors: [words] };
}

/** A number among the facts (0 when absent). */
export const factNumber = (facts: FailureFacts, key: string): number =>
  typeof facts[key] === "number" ? facts[key] : 0;

/** A date among the facts (now when absent). */
export const factDate = (facts: FailureFacts, key: string): Date => {
  const value = facts[key];
  return value instanceof Date
    ? value
    : new Date(typeof value === "number" || typeof value === "string" ? value : Date.now());
};
