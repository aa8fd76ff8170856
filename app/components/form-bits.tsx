import type { ComponentProps } from "react";
import { AlertCircleIcon } from "./ds-icons";
import { FieldShell } from "./ui";

/** Summary of a failed submission at the top of the form, announced to screen readers. */
export function ErrorSummary({
  errors,
  title = "There is a problem",
}: {
  errors: Record<string, string> | undefined;
  title?: string;
}) {
  const entries = Object.entries(errors ?? {});
  if (entries.length === 0) return null;
  return (
    <div className="ds-c-alert ds-c-alert--error" role="alert" tabIndex={-1} aria-labelledby="error-summary-heading">
      <AlertCircleIcon className="ds-c-alert__icon" />
      <div className="ds-c-alert__body">
        <div className="ds-c-alert__header ds-c-alert__heading" id="error-summary-heading">
          <span className="ds-c-alert__a11y-label ds-u-visibility--screen-reader">Alert: </span>
          <h2 className="ds-c-alert__heading">{title}</h2>
        </div>
        <ul className="ds-c-alert__text">
          {entries.map(([field, message]) => (
            <li key={field}>{field === "form" ? message : <a href={`#field-${field}`}>{message}</a>}</li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function SelectField({
  label,
  name,
  options,
  error,
  hint,
  placeholder,
  ...select
}: ComponentProps<"select"> & {
  label: string;
  name: string;
  options: { value: string; label: string }[];
  error?: string | null;
  hint?: string;
  placeholder?: string;
}) {
  const id = select.id ?? `field-${name}`;
  return (
    <FieldShell id={id} label={label} hint={hint} error={error}>
      {(describedBy) => (
        <select
          id={id}
          name={name}
          className={`ds-c-field${error ? " ds-c-field--error" : ""}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
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

/** First message of a service's field errors, as the components take them. */
export function flattenErrors(fieldErrors: Record<string, string[]> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(fieldErrors ?? {}).map(([k, v]) => [k, v[0]]));
}
