/**
 * One way to do a form: a zod schema, Conform on both sides.
 *
 * 1. Schema. One zod object per form in `app/lib/` (`PascalCaseSchema`), imported by the
 *    route's action and its component. It holds the labels' messages, so the browser and the
 *    server say the same thing.
 * 2. Server. The action parses with `parseWithZod(formData, { schema })` and passes
 *    `submission.value` (typed `z.infer<typeof Schema>`) to the service. When the form cannot
 *    go on, the action answers with {@link FormActionData} through `formFailure` (in
 *    `app/.server/forms.ts`): status 400 for invalid input, the service's status otherwise,
 *    with a service failure added as `formErrors` (top of the form) or `fieldErrors` (next to
 *    a field). Secret fields ({@link SECRET_FIELD}) are never sent back.
 * 3. Client. The component calls {@link useSchemaForm} with the same schema and the action's
 *    data, spreads `getFormProps(form)` on Remix's `<Form>`, renders `<ErrorSummary form>` at
 *    the top and one field component per field (`~/components/fields`), each taking its
 *    Conform field metadata: id, name, kept input, aria-invalid, aria-describedby and the
 *    error text all come from there.
 *
 * The action-result shape, the same on every route:
 *
 *   - a redirect when the form is done and the next screen says so; or
 *   - `{ formId, result }` (a {@link FormActionData}) when the form stays on screen: `formId`
 *     names the form the answer is for (a route may hold several forms), `result` is Conform's
 *     `SubmissionResult` (`status: "error"`, the errors by field, `""` for the whole form, and
 *     the non-secret input to put back); `done` carries what a screen shows after success
 *     instead of redirecting (`formSuccess`).
 *
 * Without JavaScript the server's `result` renders the same errors and kept input; with it,
 * the same schema validates each field on blur and again on input once shown.
 */
import { type Submission, type SubmissionResult, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import type { z } from "zod";

export type FormReply = SubmissionResult<string[]>;

/** What an action returns for a form that stays on screen (see the top of this file). */
export type FormActionData<Done = undefined> = {
  formId: string;
  result: FormReply;
  done?: Done;
};

/**
 * Fields whose values are never sent back after a submission: passwords, security and
 * recovery codes, challenge answers, SSN digits, WebAuthn responses and emailed tokens.
 */
export const SECRET_FIELD = /password|code|answer|ssn|assertion|credential|token/i;

/** Options of Conform's `submission.reply`, minus `resetForm`. */
export type ReplyErrors = {
  formErrors?: string[];
  fieldErrors?: Record<string, string[]>;
  /** More fields to drop from the kept input, beyond {@link SECRET_FIELD}. */
  hideFields?: string[];
};

/** Any parsed submission (`parseWithZod`'s result), whatever its schema. */
export type AnySubmission = Pick<Submission<unknown>, "payload" | "reply">;

/**
 * Conform's reply with every secret field dropped from the input sent back, whatever the
 * caller passes: a failed sign-in must not put the password back in the page.
 */
export function replyWithoutSecrets(submission: AnySubmission, errors: ReplyErrors = {}): FormReply {
  const secret = Object.keys(submission.payload).filter((name) => SECRET_FIELD.test(name));
  const { hideFields = [], ...rest } = errors;
  return submission.reply({ ...rest, hideFields: [...new Set([...hideFields, ...secret])] });
}

/** The action's answer for `formId`, or nothing when it answered another form on the screen. */
export function resultFor(actionData: unknown, formId: string): FormReply | undefined {
  if (!actionData || typeof actionData !== "object") return undefined;
  const candidate = actionData as Partial<FormActionData<unknown>>;
  return candidate.formId === formId ? candidate.result : undefined;
}

/**
 * Conform's `useForm` set up the one way every form here uses it: the schema's constraints
 * on the inputs, the same schema validating in the browser (on blur, then on input), and the
 * server's last answer for this form (`actionData` straight from `useActionData`).
 */
export function useSchemaForm<Input extends Record<string, unknown>, Output>({
  id,
  schema,
  actionData,
  defaultValue,
}: {
  /** Also the prefix of every field id (`${id}-${name}`), so keep it unique on the page. */
  id: string;
  schema: z.ZodType<Output, Input>;
  actionData?: unknown;
  defaultValue?: Partial<Record<keyof Input, string>>;
}) {
  return useForm<Input, Output>({
    id,
    lastResult: resultFor(actionData, id),
    // biome-ignore lint/suspicious/noExplicitAny: Conform's DefaultValue type is recursive
    defaultValue: defaultValue as any,
    constraint: getZodConstraint(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    // Until the script runs the browser checks required and lengths itself, as without JavaScript.
    defaultNoValidate: false,
  });
}

// ---------------------------------------------------------------------------------------------
// The previous pattern, kept only until the remaining screens move to the one above.

/** @deprecated Use a schema with `parseWithZod` and `formFailure`. */
export type FieldErrors = Record<string, string>;

/** @deprecated Use a schema with `parseWithZod` and `formFailure`. */
export type FormResult<T> =
  | { ok: true; value: T }
  | { ok: false; fieldErrors: FieldErrors; values: Record<string, string> };

/** @deprecated Use a schema with `parseWithZod` and `formFailure`. */
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

/** @deprecated `formFailure` drops secret fields itself. */
export function keepInput(raw: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !SECRET_FIELD.test(key)));
}

/** @deprecated Parse the form with its schema. */
export async function formFields(request: Request): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const [key, value] of (await request.formData()).entries()) if (typeof value === "string") fields[key] = value;
  return fields;
}
