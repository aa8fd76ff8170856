import type { ComponentProps, ReactNode } from "react";
import { Link } from "react-router";
import { AlertCircleIcon, CheckCircleIcon, InfoCircleIcon, WarningIcon } from "./ds-icons";

type Variant = "primary" | "secondary" | "transparent";

/** The design system's words before an alert's heading, for screen readers. */
const ALERT_LABELS = { info: "Notice", success: "Success", warning: "Warning", error: "Alert" } as const;
const ALERT_ICONS = { info: InfoCircleIcon, success: CheckCircleIcon, warning: WarningIcon, error: AlertCircleIcon };

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
  const Icon = ALERT_ICONS[variant];
  // The design system's modifier for "warning" is ds-c-alert--warn; "info" is the plain alert.
  const modifier = variant === "warning" ? " ds-c-alert--warn" : variant === "info" ? "" : ` ds-c-alert--${variant}`;
  return (
    <div className={`ds-c-alert${modifier}`} role={role}>
      <Icon className="ds-c-alert__icon" />
      <div className="ds-c-alert__body">
        {heading ? (
          <div className="ds-c-alert__header ds-c-alert__heading">
            <span className="ds-c-alert__a11y-label ds-u-visibility--screen-reader">{`${ALERT_LABELS[variant]}: `}</span>
            <h2 className="ds-c-alert__heading">{heading}</h2>
          </div>
        ) : null}
        {children}
      </div>
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
