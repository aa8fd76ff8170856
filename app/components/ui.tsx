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
