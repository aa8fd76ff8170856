import type { Refusal } from "./access/authorize";

/**
 * The one outcome shape of the domain. Expected failures are values; exceptions
 * are for the unexpected. A failure carries a code (and the facts a screen's
 * words need, never the words: copy lives with each screen, `app/routes/*`),
 * or the standard `refused` case carrying `can()`'s `Refusal`, which each door
 * maps to a response in one place (`app/web/.server/guards.ts` for screens,
 * `worker/capability.ts` for the Hono routes).
 */
export type Result<T, Code extends string = never> = [Code] extends [never]
  ? { ok: true; value: T } | Refused
  : { ok: true; value: T } | Failure<Code> | Refused;

/** A failure the caller words: `field` names the form field it belongs to; `detail` holds the facts (dates, counts). */
export type Failure<Code extends string> = {
  ok: false;
  code: Code;
  field?: string;
  detail?: FailureDetail;
};

export type FailureDetail = Readonly<Record<string, string | number | boolean | Date | null>>;

/** `can()` said no. */
export type Refused = {
  ok: false;
  code: "refused";
  refusal: Refusal;
  field?: undefined;
  detail?: undefined;
};

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <Code extends string>(
  code: Code,
  extra: Omit<Failure<Code>, "ok" | "code"> = {},
): Failure<Code> => ({ ok: false, code, ...extra });

export const refused = (refusal: Refusal): Refused => ({ ok: false, code: "refused", refusal });

/** The failure codes of a Result type (for a screen's copy table). */
export type CodeOf<R> = R extends Failure<infer C> ? Exclude<C, "refused"> : never;
