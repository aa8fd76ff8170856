// biome-ignore-all lint/a11y/noRedundantRoles: the table's explicit roles are the design system's; its stacked view makes cells blocks, which drops their table semantics in some browsers.
import type { ReactNode } from "react";

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
 * A cell whose text has a word longer than any real one (a pasted identifier, a
 * hostile name) may break anywhere; other cells keep whole words, so columns
 * are never squeezed into "Baltim ore" (app.css).
 */
export function breakableIfLong(value: unknown): string | undefined {
  return typeof value === "string" && /\S{30}/u.test(value) ? "breakable" : undefined;
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
            {columns.map((column) => {
              const value = column.cell(row);
              return column.rowHeader ? (
                <th
                  key={column.key}
                  scope="row"
                  role="rowheader"
                  headers={headerId(column)}
                  data-title={column.header}
                  className={breakableIfLong(value)}
                >
                  {value}
                </th>
              ) : (
                <td
                  key={column.key}
                  role="cell"
                  headers={headerId(column)}
                  data-title={column.header}
                  className={breakableIfLong(value)}
                >
                  {value}
                </td>
              );
            })}
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
