/** Expected failures are values; exceptions are for the unexpected. */
export type Result<T, Code extends string = string> =
  | { ok: true; value: T }
  | { ok: false; code: Code; message?: string; fieldErrors?: Record<string, string[]> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <Code extends string>(
  code: Code,
  extra: { message?: string; fieldErrors?: Record<string, string[]> } = {},
): { ok: false; code: Code; message?: string; fieldErrors?: Record<string, string[]> } => ({
  ok: false,
  code,
  ...extra,
});
