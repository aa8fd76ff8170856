import type { FieldMetadata, FormMetadata } from "@conform-to/react";
import { type ComponentProps, type ReactNode, useRef } from "react";
import { PASSWORD_HINT, PASSWORD_MAX, PASSWORD_MIN } from "~/lib/password-policy";
import { InlineError } from "./ds";
import { AlertCircleIcon } from "./ds-icons";

/**
 * Form fields driven by Conform's field metadata (see `app/lib/forms.ts`): the id, name, kept
 * input, required and length limits, aria-invalid, aria-describedby and the error text come
 * from the field, so a screen only chooses the label, hint and input details.
 */

type Field<S> = FieldMetadata<S, Record<string, unknown>, string[]>;

/** The message shown for a field: one at a time, the first the schema reports. */
export function firstError(field: { errors?: string[] }): string | undefined {
  return field.errors?.[0];
}

/** Ids of the hint and the error for aria-describedby, in reading order. */
function describedBy(field: { descriptionId: string; errorId: string }, hint: unknown, error: unknown) {
  return [hint ? field.descriptionId : null, error ? field.errorId : null].filter(Boolean).join(" ") || undefined;
}

/** The design system's class for a text input or select, in its error state when the field has one. */
const controlClass = (field: { errors?: string[] }) => `ds-c-field${firstError(field) ? " ds-c-field--error" : ""}`;

/** The browser's own checks, from the schema: required and lengths (patterns stay on the server and in the script). */
function constraintProps<S>(field: Field<S>) {
  return {
    required: field.required || undefined,
    minLength: field.minLength,
    maxLength: field.maxLength,
  };
}

/**
 * Label, hint and error for one control, tied to it by aria-describedby so screen readers
 * announce them with the control. For controls the components below do not cover.
 */
export function FieldShell<S>({
  field,
  label,
  hint,
  className,
  children,
}: {
  field: Field<S>;
  label: string;
  hint?: string;
  className?: string;
  children: (aria: { "aria-invalid"?: true; "aria-describedby"?: string }) => ReactNode;
}) {
  const error = firstError(field);
  // The design system's field: label, hint, then the error above the control (its default placement).
  return (
    <div className={`ds-u-clearfix${className ? ` ${className}` : ""}`}>
      <label className="ds-c-label" htmlFor={field.id}>
        {label}
      </label>
      {hint ? (
        <p className="ds-c-hint" id={field.descriptionId}>
          {hint}
        </p>
      ) : null}
      {error ? <InlineError id={field.errorId}>{error}</InlineError> : null}
      {children({ "aria-invalid": error ? true : undefined, "aria-describedby": describedBy(field, hint, error) })}
    </div>
  );
}

type InputProps = Omit<ComponentProps<"input">, "id" | "name" | "form" | "defaultValue" | "value" | "children">;

/** A text input (text, email, tel, date, numeric codes …) that keeps what was typed. */
export function TextField<S>({
  field,
  label,
  hint,
  className,
  ...input
}: InputProps & { field: Field<S>; label: string; hint?: string }) {
  return (
    <FieldShell field={field} label={label} hint={hint} className={className}>
      {(aria) => (
        <input
          key={field.key}
          id={field.id}
          name={field.name}
          className={controlClass(field)}
          defaultValue={field.initialValue as string | undefined}
          {...constraintProps(field)}
          {...aria}
          {...input}
        />
      )}
    </FieldShell>
  );
}

/** A password, one-time code or answer: never filled in from a previous submission. */
export function PasswordField<S>({
  field,
  label,
  hint,
  className,
  type = "password",
  ...input
}: InputProps & { field: Field<S>; label: string; hint?: string }) {
  return (
    <FieldShell field={field} label={label} hint={hint} className={className}>
      {(aria) => (
        <input
          key={field.key}
          id={field.id}
          name={field.name}
          type={type}
          className={controlClass(field)}
          {...constraintProps(field)}
          {...aria}
          {...input}
        />
      )}
    </FieldShell>
  );
}

/**
 * Several lines of text (comments, a reason), with its length limit written on the control.
 * `verbatim`: addresses or keys, one per line, kept as typed (monospace, no spelling or
 * capitals, marked when in error).
 */
export function TextArea<S>({
  field,
  label,
  hint,
  max,
  rows = 4,
  verbatim = false,
}: {
  field: Field<S>;
  label: string;
  hint?: string;
  max: number;
  rows?: number;
  verbatim?: boolean;
}) {
  return (
    <FieldShell field={field} label={label} hint={hint}>
      {(aria) => (
        <textarea
          key={field.key}
          id={field.id}
          name={field.name}
          className={
            verbatim ? `ds-c-field application-lines${firstError(field) ? " ds-c-field--error" : ""}` : "ds-c-field"
          }
          rows={rows}
          maxLength={max}
          {...(verbatim ? { spellCheck: false, autoCapitalize: "off", autoComplete: "off" } : {})}
          defaultValue={(field.initialValue as string | undefined) ?? ""}
          {...aria}
        />
      )}
    </FieldShell>
  );
}

export type Option = { value: string; label: string };

export function SelectField<S>({
  field,
  label,
  options,
  hint,
  placeholder,
  className,
  ...select
}: Omit<ComponentProps<"select">, "id" | "name" | "form" | "defaultValue" | "value" | "children"> & {
  field: Field<S>;
  label: string;
  options: Option[];
  hint?: string;
  placeholder?: string;
  /**
   * The choice, when the screen holds it (with `onChange`): it then stays chosen however often the options are
   * loaded again, as long as it is one of them. Left out, the select starts from the field's kept input.
   */
  value?: string;
}) {
  return (
    <FieldShell field={field} label={label} hint={hint} className={className}>
      {(aria) => (
        <select
          key={field.key}
          id={field.id}
          name={field.name}
          className={controlClass(field)}
          defaultValue={select.value === undefined ? ((field.initialValue as string | undefined) ?? "") : undefined}
          required={field.required || undefined}
          {...aria}
          {...select}
        >
          {placeholder ? <option value="">{placeholder}</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

/** One checkbox with its label to the right (a consent, an agreement). */
export function CheckboxField<S>({
  field,
  label,
  value = "on",
  required,
}: {
  field: Field<S>;
  label: string;
  /** What the box sends when checked. */
  value?: string;
  required?: boolean;
}) {
  const error = firstError(field);
  return (
    <div className="ds-c-choice-wrapper">
      <input
        key={field.key}
        type="checkbox"
        id={field.id}
        className={`ds-c-choice${error ? " ds-c-choice--error" : ""}`}
        name={field.name}
        value={value}
        defaultChecked={field.initialValue === value}
        required={required ?? (field.required || undefined)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? field.errorId : undefined}
      />
      <label className="ds-c-label" htmlFor={field.id}>
        {label}
      </label>
      {error ? <InlineError id={field.errorId}>{error}</InlineError> : null}
    </div>
  );
}

/**
 * One choice among several, as radio buttons in a fieldset whose legend is the question.
 * The first button carries the field's id, so the error summary's link lands on it.
 */
export function RadioGroup<S>({
  field,
  legend,
  options,
  className,
  required,
}: {
  field: Field<S>;
  legend: string;
  options: Option[];
  className?: string;
  required?: boolean;
}) {
  const error = firstError(field);
  const idOf = (i: number) => (i === 0 ? field.id : `${field.id}-${i}`);
  return (
    <fieldset
      className={`ds-c-fieldset${className ? ` ${className}` : ""}`}
      aria-describedby={error ? field.errorId : undefined}
    >
      <legend className="ds-c-label">{legend}</legend>
      {error ? <InlineError id={field.errorId}>{error}</InlineError> : null}
      {options.map((option, i) => (
        <div className="ds-c-choice-wrapper" key={option.value}>
          <input
            type="radio"
            id={idOf(i)}
            className={`ds-c-choice${error ? " ds-c-choice--error" : ""}`}
            name={field.name}
            value={option.value}
            required={required ?? (field.required || undefined)}
            defaultChecked={field.initialValue === option.value}
          />
          <label className="ds-c-label" htmlFor={idOf(i)}>
            {option.label}
          </label>
        </div>
      ))}
    </fieldset>
  );
}

/**
 * Summary of a failed submission at the top of the form, announced to screen readers: the
 * form's own errors, then one link per field to the field. It appears once a submission has
 * failed (in the browser or on the server) and lists what is still wrong.
 */
export function ErrorSummary<S extends Record<string, unknown>>({
  form,
  title = "There is a problem",
}: {
  form: FormMetadata<S, string[]>;
  title?: string;
}) {
  const failed = useRef(false);
  if (form.status === "error") failed.current = true;
  const all = form.allErrors;
  const formErrors = all[""] ?? [];
  const fieldErrors = Object.entries(all).filter(([name, errors]) => name !== "" && errors.length > 0);
  if (!failed.current || formErrors.length + fieldErrors.length === 0) return null;
  return (
    <div className="ds-c-alert ds-c-alert--error" role="alert" tabIndex={-1} aria-labelledby={`${form.id}-summary`}>
      <AlertCircleIcon className="ds-c-alert__icon" />
      <div className="ds-c-alert__body">
        <div className="ds-c-alert__header ds-c-alert__heading" id={`${form.id}-summary`}>
          <span className="ds-c-alert__a11y-label ds-u-visibility--screen-reader">Alert: </span>
          <h2 className="ds-c-alert__heading">{title}</h2>
        </div>
        <ul className="ds-c-alert__text">
          {formErrors.map((message) => (
            <li key={message}>{message}</li>
          ))}
          {fieldErrors.map(([name, errors]) => (
            <li key={name}>
              <a href={`#${form.id}-${name}`}>{errors[0]}</a>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** "New Password" with the password rules, then "Confirm New Password": every screen that sets a password. */
export function NewPasswordFields<S>({
  newPassword,
  confirmPassword,
}: {
  newPassword: Field<S>;
  confirmPassword: Field<S>;
}) {
  return (
    <>
      <PasswordField
        label="New Password"
        field={newPassword}
        autoComplete="new-password"
        required
        minLength={PASSWORD_MIN}
        maxLength={PASSWORD_MAX}
        hint={PASSWORD_HINT}
      />
      <PasswordField label="Confirm New Password" field={confirmPassword} autoComplete="new-password" required />
    </>
  );
}
