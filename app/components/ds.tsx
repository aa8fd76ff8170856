/**
 * CMS Design System components as markup and CSS only: the design system's
 * class names and structure (its React components' output), none of its
 * JavaScript. Each works without JavaScript; Dialog adds the modal behaviour
 * when script runs.
 */
// biome-ignore-all lint/a11y/noRedundantRoles: the table's explicit roles are the design system's; its stacked view makes cells blocks, which drops their table semantics in some browsers.
import { Link } from "@remix-run/react";
import { type ComponentProps, type ReactNode, useEffect, useId, useRef } from "react";
import { DATE_FIELD_HINT, formatDateField } from "~/lib/dates";
import { paginationItems } from "~/lib/pagination";
import { useHydrated } from "~/lib/use-hydrated";
import { AlertCircleIcon, ArrowIcon, CloseIconThin } from "./ds-icons";

/** The design system's own words (its en locale), in one place for translation. */
const COPY = {
  errorPrefix: "Error: ",
  close: "Close",
  paginationLabel: "Pagination results",
  pageXOfY: (page: number, total: number) => `Page ${page} of ${total}`,
  page: (page: number) => `Page ${page}`,
  previous: "Previous",
  previousLabel: "Previous Page",
  next: "Next",
  nextLabel: "Next Page",
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
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const state = useRef({ isOpen, onExit });
  state.current = { isOpen, onExit };
  // Before hydration the server's `open` attribute shows it; after, showModal() and close() do.
  const hydrated = useHydrated();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || !hydrated) return;
    if (isOpen && !dialog.matches(":modal")) {
      if (document.activeElement instanceof HTMLElement && !dialog.contains(document.activeElement)) {
        opener.current = document.activeElement;
      }
      if (dialog.open) dialog.close();
      dialog.showModal();
      dialog.focus();
    } else if (!isOpen && dialog.open) {
      dialog.close();
    }
  }, [isOpen, hydrated]);

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

export interface TableColumn<Row> {
  /** Unique within the table: the header cell's id is `${tableId}-${key}`. */
  key: string;
  /** The column header, also shown above each value when the table is stacked. */
  header: string;
  cell: (row: Row) => ReactNode;
  /** The column that names each row (a <th scope="row">), e.g. the organization's name. */
  rowHeader?: boolean;
}

export interface TableProps<Row> {
  id: string;
  caption: ReactNode;
  columns: TableColumn<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string;
  /** Shown in one full-width cell when there are no rows. */
  emptyMessage?: ReactNode;
  /** Stack each row into a list of "header: value" below a breakpoint (default on, below 544 px). */
  stackable?: boolean;
  stackableBreakpoint?: "sm" | "md" | "lg";
  striped?: boolean;
  compact?: boolean;
  borderless?: boolean;
  /** Wide tables that do not stack: scroll sideways inside a keyboard-focusable region. */
  scrollable?: boolean;
}

/**
 * The design system's table (ds-c-table). Stacked below its breakpoint
 * (ds-c-sm-table--stacked and friends): the header row is hidden and each
 * cell shows its column's name from data-title, so a 360 px phone does not
 * scroll sideways. The explicit ARIA roles are the design system's: they keep
 * the table's semantics when the stacked view makes its cells blocks.
 */
export function Table<Row>({
  id,
  caption,
  columns,
  rows,
  rowKey,
  emptyMessage,
  stackable = true,
  stackableBreakpoint = "sm",
  striped = false,
  compact = false,
  borderless = false,
  scrollable = false,
}: TableProps<Row>) {
  const captionId = `${id}__caption`;
  const classes = [
    "ds-c-table",
    borderless && "ds-c-table--borderless",
    compact && "ds-c-table--compact",
    striped && "ds-c-table--striped",
    stackable && `ds-c-${stackableBreakpoint}-table--stacked`,
  ]
    .filter(Boolean)
    .join(" ");
  const headerId = (column: TableColumn<Row>) => `${id}-${column.key}`;
  const table = (
    <table className={classes} id={id}>
      <caption className="ds-c-table__caption" id={captionId}>
        {caption}
      </caption>
      <thead role="rowgroup">
        <tr role="row">
          {columns.map((column) => (
            <th key={column.key} id={headerId(column)} scope="col" role="columnheader">
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {rows.length === 0 && emptyMessage ? (
          <tr role="row">
            <td role="cell" colSpan={columns.length}>
              {emptyMessage}
            </td>
          </tr>
        ) : null}
        {rows.map((row) => (
          <tr role="row" key={rowKey(row)}>
            {columns.map((column) =>
              column.rowHeader ? (
                <th key={column.key} scope="row" role="rowheader" headers={headerId(column)} data-title={column.header}>
                  {column.cell(row)}
                </th>
              ) : (
                <td key={column.key} role="cell" headers={headerId(column)} data-title={column.header}>
                  {column.cell(row)}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
  return scrollable ? (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard (axe scrollable-region-focusable).
    <section className="ds-c-table__wrapper" aria-labelledby={captionId} tabIndex={0}>
      {table}
    </section>
  ) : (
    table
  );
}

export interface PaginationProps {
  currentPage: number;
  totalPages: number;
  /** Where page N is, e.g. (n) => `?q=ohio&page=${n}`: plain links, so paging works without JavaScript. */
  renderHref: (page: number) => string;
  /** Names the navigation region; the design system's default is "Pagination results". */
  ariaLabel?: string;
  headingLevel?: 2 | 3 | 4 | 5 | 6;
  id?: string;
}

/**
 * The design system's pagination (ds-c-pagination): Previous, the page links
 * (first, last, one either side of the current page, ellipses between;
 * "Page N of M" instead below 545 px) and Next. Every page is a link named
 * "Page N"; the current one carries aria-current="page". At either end the
 * Previous or Next link is shown disabled, as the design system does.
 */
export function Pagination({
  currentPage,
  totalPages,
  renderHref,
  ariaLabel = COPY.paginationLabel,
  headingLevel = 2,
  id,
}: PaginationProps) {
  const fallbackId = useId();
  const headingId = `${id ?? fallbackId}__pagination-heading`;
  if (totalPages <= 1) return null;
  const current = Math.min(Math.max(1, currentPage), totalPages);
  const Heading = `h${headingLevel}` as const;
  const navClass = "ds-c-button ds-c-button--ghost ds-c-pagination__nav";

  const edge = (page: number, label: string, text: string, direction: "left" | "right", enabled: boolean) => {
    const icon = (
      <span
        className={`ds-c-pagination__nav--img-container ds-c-pagination__nav--img-container-${direction === "left" ? "previous" : "next"}`}
      >
        <ArrowIcon direction={direction} className="ds-c-pagination__nav--image" />
      </span>
    );
    const content = direction === "left" ? [icon, text] : [text, icon];
    return enabled ? (
      <Link className={navClass} to={renderHref(page)} aria-label={label}>
        {content[0]}
        {content[1]}
      </Link>
    ) : (
      // biome-ignore lint/a11y/useValidAnchor: the design system's disabled link (role="link", aria-disabled, no href): announced as unavailable, skipped by Tab.
      <a className={navClass} role="link" aria-disabled="true" aria-label={label}>
        {content[0]}
        {content[1]}
      </a>
    );
  };

  return (
    <nav className="ds-c-pagination" aria-labelledby={headingId} id={id}>
      <span className="ds-u-visibility--screen-reader">
        <Heading id={headingId}>{`${ariaLabel} - ${COPY.pageXOfY(current, totalPages)}`}</Heading>
      </span>
      {edge(current - 1, COPY.previousLabel, COPY.previous, "left", current > 1)}
      <span className="ds-c-pagination__page-count">
        Page <strong>{current}</strong> of <strong>{totalPages}</strong>
      </span>
      <div className="ds-c-pagination__pages">
        {paginationItems(current, totalPages).map((item, i) =>
          item === "ellipsis" ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: there are at most two ellipses, told apart by position.
            <span className="ds-c-pagination__overflow" key={`ellipsis-${i}`}>
              &hellip;
            </span>
          ) : (
            <Link
              key={item}
              to={renderHref(item)}
              className={`ds-c-button ds-c-button--ghost${item === current ? " ds-c-pagination__current-page" : ""}`}
              aria-label={COPY.page(item)}
              aria-current={item === current ? "page" : undefined}
            >
              {item}
            </Link>
          ),
        )}
      </div>
      {edge(current + 1, COPY.nextLabel, COPY.next, "right", current < totalPages)}
    </nav>
  );
}

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
