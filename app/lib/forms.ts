/**
 * One way to do a form: a zod schema, Conform on both sides.
 *
 * 1. Schema. One zod object per form in `app/lib/` (`PascalCaseSchema`), used by the route's
 *    action and its component. It holds the screen's messages, so the browser and the server
 *    say the same thing.
 * 2. Server. The action parses with `parseWithZod(formData, { schema })` and passes
 *    `submission.value` (typed `z.infer<typeof Schema>`) to the service. When the form cannot
 *    go on, the action answers with {@link FormActionData} through `formFailure` (in
 *    `app/.server/forms.ts`): status 400 for invalid input, the service's status otherwise,
 *    with a service failure added as `formErrors` (top of the form) or `fieldErrors` (next to
 *    a field). Secret fields ({@link SECRET_FIELD}) are never sent back.
 * 3. Client. The component calls {@link useSchemaForm} with the same schema (as a function
 *    importing it, so zod loads when someone starts filling in the form rather than with the
 *    page: zod is most of a form's JavaScript and pages have a budget) and the action's data,
 *    spreads `getFormProps(form)` on React Router's `<Form>`, renders `<ErrorSummary form>` at the
 *    top and one field component per field (`~/components/fields`), each taking its Conform
 *    field metadata: id, name, kept input, aria-invalid, aria-describedby and the error text
 *    all come from there. `required` and lengths are written on the inputs, so the browser
 *    checks them before any script runs.
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
import { parse, type Submission, type SubmissionResult, useForm } from "@conform-to/react";
import { getZodConstraint } from "@conform-to/zod/v4";
import { useEffect, useRef, useState } from "react";
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

const constraints = new WeakMap<object, ReturnType<typeof getZodConstraint>>();

/**
 * The browser constraints (required, lengths) of a schema's fields. A schema that turns the
 * fields into the service's input ends in a transform, which Conform does not read at the
 * root: its constraints are those of the fields before the transform.
 */
function constraintOf(schema: z.ZodType) {
  let fields: z.core.$ZodType = schema;
  while (fields._zod.def.type === "pipe") fields = (fields._zod.def as z.core.$ZodPipeDef).in;
  const known = constraints.get(fields);
  if (known) return known;
  const found = getZodConstraint(fields);
  constraints.set(fields, found);
  return found;
}

/**
 * A form's schema: the schema itself, or (better on public screens, whose pages have a
 * JavaScript budget) a function importing it, like
 * `() => import("~/lib/schemas").then((m) => m.RegistrationSchema)`, so that zod loads
 * only when someone starts filling in the form. The action imports the schema directly.
 */
export type SchemaSource<Input, Output> = z.ZodType<Output, Input> | (() => Promise<z.ZodType<Output, Input>>);

type Validate<Input, Output> = (formData: FormData) => Submission<Input, string[], Output>;

/**
 * The schema's parser in the browser, loaded the first time the form `id` gets focus or a
 * pointer (zod is most of a form's JavaScript). Until then, and without JavaScript, the
 * server checks the form and the browser checks required fields and lengths.
 */
function useBrowserValidation<Input, Output>(id: string, source: SchemaSource<Input, Output>) {
  const [validate, setValidate] = useState<Validate<Input, Output> | null>(null);
  const sourceRef = useRef(source);
  sourceRef.current = source;
  useEffect(() => {
    let live = true;
    const stop = () => {
      document.removeEventListener("focusin", onEvent);
      document.removeEventListener("pointerdown", onEvent);
    };
    function onEvent(event: Event) {
      const target = event.target;
      if (!(target instanceof Element) || target.closest("form")?.id !== id) return;
      stop();
      const schemaSource = sourceRef.current;
      void Promise.all([
        import("./form-validation"),
        typeof schemaSource === "function" ? schemaSource() : schemaSource,
      ]).then(([{ parseWithZod }, schema]) => {
        if (live) setValidate(() => (formData: FormData) => parseWithZod(formData, { schema }));
      });
    }
    document.addEventListener("focusin", onEvent);
    document.addEventListener("pointerdown", onEvent);
    return () => {
      live = false;
      stop();
    };
  }, [id]);
  return validate;
}

/**
 * Before the parser has loaded: a submission goes to the server, which checks it, and a
 * check Conform asks for on blur finds nothing yet (without a validator Conform would post
 * that check to the action as if it were the form); `pending` keeps the field's name so it
 * is checked once the parser is there.
 */
function unchecked<Input, Output>(formData: FormData, pending: Set<string>) {
  const intent = formData.get("__intent__");
  if (typeof intent === "string") {
    try {
      const name = JSON.parse(intent)?.payload?.name;
      if (typeof name === "string") pending.add(name);
    } catch {}
  }
  return parse(formData, { resolve: () => ({ value: {} }) }) as unknown as Submission<Input, string[], Output>;
}

/**
 * Conform's `useForm` set up the one way every form here uses it: the same schema validating
 * in the browser (on blur, then on input, once loaded), the schema's constraints on the
 * inputs when the schema itself is given, and the server's last answer for this form
 * (`actionData` straight from `useActionData`).
 */
export function useSchemaForm<Input extends Record<string, unknown>, Output>({
  id,
  schema,
  actionData,
  defaultValue,
}: {
  /** Also the prefix of every field id (`${id}-${name}`), so keep it unique on the page. */
  id: string;
  schema: SchemaSource<Input, Output>;
  actionData?: unknown;
  defaultValue?: Partial<Record<keyof Input, string>>;
}) {
  const validate = useBrowserValidation(id, schema);
  const pending = useRef(new Set<string>());
  const [form, fields] = useForm<Input, Output>({
    id,
    lastResult: resultFor(actionData, id),
    // biome-ignore lint/suspicious/noExplicitAny: Conform's DefaultValue type is recursive
    defaultValue: defaultValue as any,
    constraint: typeof schema === "function" ? undefined : constraintOf(schema),
    onValidate: ({ formData }) => (validate ? validate(formData) : unchecked<Input, Output>(formData, pending.current)),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    // Until the script runs the browser checks required and lengths itself, as without JavaScript.
    defaultNoValidate: false,
  });
  // Fields left before the parser arrived are checked as soon as it does.
  useEffect(() => {
    if (!validate) return;
    for (const name of pending.current) form.validate({ name });
    pending.current.clear();
  }, [validate, form]);
  return [form, fields] as const;
}
