import type { ComponentProps } from "react";
import { DATE_FIELD_HINT, formatDateField } from "~/lib/dates";
import { InlineError } from "./ds";

/**
 * The design system's single-input date field, without its calendar picker
 * (that is JavaScript): label, the "mm/dd/yyyy" hint, the error above the
 * field, one text input. Read the value with parseDateField (~/lib/dates),
 * which also takes 8 digits, since phone number pads have no "/". An ISO
 * default value (YYYY-MM-DD) is shown as mm/dd/yyyy.
 */
export function DateField({
  label,
  name,
  hint = DATE_FIELD_HINT,
  error,
  defaultValue,
  ...input
}: Omit<ComponentProps<"input">, "defaultValue" | "type"> & {
  label: string;
  name: string;
  hint?: string;
  error?: string | null;
  defaultValue?: string;
}) {
  const id = input.id ?? `field-${name}`;
  const describedBy = [`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="ds-c-single-input-date-field">
      <label className="ds-c-label" htmlFor={id}>
        {label}
      </label>
      <p className="ds-c-hint" id={`${id}-hint`}>
        {hint}
      </p>
      {error ? <InlineError id={`${id}-error`}>{error}</InlineError> : null}
      <div className="ds-c-single-input-date-field__field-wrapper">
        <input
          id={id}
          name={name}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          maxLength={10}
          className={`ds-c-field${error ? " ds-c-field--error" : ""}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          defaultValue={defaultValue === undefined ? undefined : formatDateField(defaultValue)}
          {...input}
        />
      </div>
    </div>
  );
}
