import type { z } from "zod";

export type FieldErrors = Record<string, string>;

export type FormResult<T> =
  | { ok: true; value: T }
  | { ok: false; fieldErrors: FieldErrors; values: Record<string, string> };

/** Never sent back to the browser after a failed submission. */
const SECRET_FIELDS = /password|code|answer/i;

/**
 * Parses a submitted form with a zod schema. On failure: one message per field
 * and the user's input to put back (secrets excepted), so nothing is lost.
 */
export function parseForm<S extends z.ZodType>(schema: S, form: FormData): FormResult<z.infer<S>> {
  const raw: Record<string, string> = {};
  for (const [key, value] of form.entries()) if (typeof value === "string") raw[key] = value;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const fieldErrors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? "form");
    fieldErrors[key] ??= issue.message;
  }
  return { ok: false, fieldErrors, values: keepInput(raw) };
}

export function keepInput(raw: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !SECRET_FIELDS.test(key)));
}

/** A submitted form's text fields as a plain object (files are ignored). */
export async function formFields(request: Request): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const [key, value] of (await request.formData()).entries()) if (typeof value === "string") fields[key] = value;
  return fields;
}
