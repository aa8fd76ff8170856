/**
 * CMS Design System components as markup and CSS only: the design system's
 * class names and structure (its React components' output), none of its
 * JavaScript. Each works without JavaScript; Dialog adds the modal behaviour
 * when script runs. One file per component (ds-table, ds-pagination,
 * ds-date-field), so a page's JavaScript carries only the ones it uses.
 */
import { type ReactNode, useEffect, useRef, useSyncExternalStore } from "react";
import { AlertCircleIcon, CloseIconThin } from "./ds-icons";

/** The design system's own words (its en locale), in one place for translation. */
const COPY = {
  errorPrefix: "Error: ",
  close: "Close",
};

/** The design system's inline error: its icon, a hidden "Error:" for screen readers, then the message. */
export function InlineError({ id, children }: { id: string; children: ReactNode }) {
  return (
    <p className="ds-c-inline-error" id={id}>
      <AlertCircleIcon />
      <span className="ds-u-visibility--screen-reader">{COPY.errorPrefix}</span>
      {children}
    </p>
  );
}

const subscribeNever = () => () => {};
/**
 * False while the server's HTML is hydrated, true after, and true at once for a
 * dialog first rendered later (opened by a click), so that one never flashes
 * open in the page before it becomes a modal.
 */
const useClientRendered = () =>
  useSyncExternalStore(
    subscribeNever,
    () => true,
    () => false,
  );

export interface DialogProps {
  /** The dialog element's id; the heading is `${id}__heading`. */
  id: string;
  heading: ReactNode;
  /** Controlled, as in the design system: the parent opens and closes it. */
  isOpen: boolean;
  /** Called when the user closes it (the Close button, Escape, or the backdrop when `backdropClickExits`). */
  onExit: () => void;
  children: ReactNode;
  /** Buttons at the foot of the dialog. */
  actions?: ReactNode;
  size?: "narrow" | "wide" | "full";
  /** role="alertdialog", for a dialog that warns or asks to confirm. */
  alert?: boolean;
  backdropClickExits?: boolean;
  /** The Close button's accessible name. */
  closeLabel?: string;
  /** The id of the element to focus on open (e.g. the first field); otherwise the dialog itself, named by its heading. */
  initialFocusId?: string;
}

/**
 * The design system's modal dialog on the native <dialog> element.
 *
 * With JavaScript: opened with showModal(), so the page behind is inert and
 * Escape closes it; focus moves to the dialog (its heading names it) and goes
 * back to whatever opened it on close. Without JavaScript: rendered open by the
 * server it shows in the page's flow, and Close still works, because the
 * button submits a `method="dialog"` form, which the browser handles itself.
 * A Cancel button among the actions closes it the same way with
 * `form={`${id}__close`}`.
 */
export function Dialog({
  id,
  heading,
  isOpen,
  onExit,
  children,
  actions,
  size,
  alert = false,
  backdropClickExits = false,
  closeLabel = COPY.close,
  initialFocusId,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const state = useRef({ isOpen, onExit });
  state.current = { isOpen, onExit };
  // Before hydration the server's `open` attribute shows it; after, showModal() and close() do.
  const hydrated = useClientRendered();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || !hydrated) return;
    if (isOpen && !dialog.matches(":modal")) {
      if (document.activeElement instanceof HTMLElement && !dialog.contains(document.activeElement)) {
        opener.current = document.activeElement;
      }
      if (dialog.open) dialog.close();
      dialog.showModal();
      const first = initialFocusId ? document.getElementById(initialFocusId) : null;
      (first ?? dialog).focus();
    } else if (!isOpen && dialog.open) {
      dialog.close();
    }
  }, [isOpen, hydrated, initialFocusId]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // Escape, the Close button's form and close() all end here.
    const onClose = () => {
      if (dialog.open) return; // closed only to reopen as a modal
      if (opener.current?.isConnected) opener.current.focus();
      opener.current = null;
      if (state.current.isOpen) state.current.onExit();
    };
    // The dialog covers the viewport; a click that lands on it, not its window, is on the backdrop.
    const onClick = (event: MouseEvent) => {
      if (backdropClickExits && event.target === dialog) dialog.close();
    };
    dialog.addEventListener("close", onClose);
    dialog.addEventListener("click", onClick);
    return () => {
      dialog.removeEventListener("close", onClose);
      dialog.removeEventListener("click", onClick);
    };
  }, [backdropClickExits]);

  const headingId = `${id}__heading`;
  return (
    <dialog
      ref={ref}
      id={id}
      className={`ds-c-dialog${size ? ` ds-c-dialog--${size}` : ""}`}
      aria-labelledby={headingId}
      role={alert ? "alertdialog" : undefined}
      open={!hydrated && isOpen ? true : undefined}
      tabIndex={-1}
    >
      <div className="ds-c-dialog__window">
        <div className="ds-c-dialog__header">
          <h2 className="ds-c-dialog__heading" id={headingId}>
            {heading}
          </h2>
          <form method="dialog" className="ds-c-dialog__close-form" id={`${id}__close`}>
            <button type="submit" className="ds-c-close-button ds-c-dialog__close" aria-label={closeLabel}>
              <CloseIconThin />
            </button>
          </form>
        </div>
        <div className="ds-c-dialog__body">
          <div id={`${id}__content`}>{children}</div>
          {actions ? <div className="ds-c-dialog__actions">{actions}</div> : null}
        </div>
      </div>
    </dialog>
  );
}
