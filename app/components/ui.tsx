import { Link } from "@remix-run/react";
import type { ComponentProps, ReactNode } from "react";

type Variant = "primary" | "secondary" | "transparent";

const buttonClass = (variant: Variant, extra?: string) =>
  [
    "ds-c-button",
    variant === "primary" ? "ds-c-button--solid" : variant === "transparent" ? "ds-c-button--ghost" : "",
    extra,
  ]
    .filter(Boolean)
    .join(" ");

export function Button({ variant = "primary", className, ...props }: ComponentProps<"button"> & { variant?: Variant }) {
  return <button type="submit" className={buttonClass(variant, className)} {...props} />;
}

export function LinkButton({
  variant = "primary",
  className,
  ...props
}: ComponentProps<typeof Link> & { variant?: Variant }) {
  return <Link className={buttonClass(variant, className)} {...props} />;
}

export function Alert({
  variant = "info",
  heading,
  children,
  role,
}: {
  variant?: "info" | "success" | "warning" | "error";
  heading?: string;
  children: ReactNode;
  role?: "alert" | "status";
}) {
  return (
    <div className={`ds-c-alert ds-c-alert--${variant}`} role={role}>
      {heading ? <h2 className="ds-c-alert__heading">{heading}</h2> : null}
      <div className="ds-c-alert__text">{children}</div>
    </div>
  );
}

/**
 * Label, hint and error for one control, tied to it by aria-describedby so
 * screen readers announce them with the control.
 */
export function FieldShell({
  id,
  label,
  hint,
  error,
  className,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string | null;
  className?: string;
  children: (describedBy: string | undefined) => ReactNode;
}) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`ds-c-field${error ? " ds-c-field--error" : ""}${className ? ` ${className}` : ""}`}>
      <label className="ds-c-label" htmlFor={id}>
        {label}
      </label>
      {hint ? (
        <p className="ds-c-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="ds-c-inline-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
      {children(describedBy)}
    </div>
  );
}

export function TextField({
  label,
  name,
  hint,
  error,
  className,
  ...input
}: ComponentProps<"input"> & { label: string; name: string; hint?: string; error?: string | null }) {
  const id = input.id ?? `field-${name}`;
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} className={className}>
      {(describedBy) => (
        <input
          id={id}
          name={name}
          className="ds-c-input"
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          {...input}
        />
      )}
    </FieldShell>
  );
}

/** The submit button and a Cancel link, as every form ends. */
export function FormActions({
  submit,
  cancelTo,
  cancel = "Cancel",
  busy,
}: {
  submit: string;
  cancelTo: string;
  cancel?: string;
  busy?: boolean;
}) {
  return (
    <div className="actions">
      <Button disabled={busy}>{submit}</Button>
      <LinkButton to={cancelTo} variant="secondary">
        {cancel}
      </LinkButton>
    </div>
  );
}
