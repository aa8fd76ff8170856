import { Fragment, type ReactNode, useId } from "react";
import { Link } from "react-router";
import { paginationItems } from "~/lib/pagination";
import { ArrowIcon } from "./ds-icons";

/** The design system's own words (its en locale), in one place for translation. */
const COPY = {
  paginationLabel: "Pagination results",
  pageXOfY: (page: number, total: number) => `Page ${page} of ${total}`,
  page: (page: number) => `Page ${page}`,
  previous: "Previous",
  previousLabel: "Previous Page",
  next: "Next",
  nextLabel: "Next Page",
};

export type PaginationProps = {
  currentPage: number;
  totalPages: number;
  /** Names the navigation region; the design system's default is "Pagination results". */
  ariaLabel?: string;
  headingLevel?: 2 | 3 | 4 | 5 | 6;
  id?: string;
} & (
  | {
      /** Where page N is, e.g. (n) => `?q=ohio&page=${n}`: plain links, so paging works without JavaScript. */
      renderHref: (page: number) => string;
      submit?: undefined;
    }
  | {
      renderHref?: undefined;
      /**
       * Pages as submit buttons named `name` with the page number as value (of `form`, or the
       * enclosing form), for results of a posted search whose fields travel with every page.
       */
      submit: { name: string; form?: string };
    }
);

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
  submit,
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
  /** A link to page N, or a button that submits it. */
  const target = (page: number, className: string, label: string, children: ReactNode, current = false) =>
    submit ? (
      <button
        type="submit"
        name={submit.name}
        value={page}
        form={submit.form}
        formNoValidate
        className={className}
        aria-label={label}
        aria-current={current ? "page" : undefined}
      >
        {children}
      </button>
    ) : (
      <Link to={renderHref(page)} className={className} aria-label={label} aria-current={current ? "page" : undefined}>
        {children}
      </Link>
    );

  const edge = (page: number, label: string, text: string, direction: "left" | "right", enabled: boolean) => {
    const icon = (
      <span
        className={`ds-c-pagination__nav--img-container ds-c-pagination__nav--img-container-${direction === "left" ? "previous" : "next"}`}
      >
        <ArrowIcon direction={direction} className="ds-c-pagination__nav--image" />
      </span>
    );
    const content = direction === "left" ? [icon, text] : [text, icon];
    if (enabled)
      return target(
        page,
        navClass,
        label,
        <>
          {content[0]}
          {content[1]}
        </>,
      );
    return submit ? (
      <button type="button" className={navClass} disabled aria-label={label}>
        {content[0]}
        {content[1]}
      </button>
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
            <Fragment key={item}>
              {target(
                item,
                `ds-c-button ds-c-button--ghost${item === current ? " ds-c-pagination__current-page" : ""}`,
                COPY.page(item),
                item,
                item === current,
              )}
            </Fragment>
          ),
        )}
      </div>
      {edge(current + 1, COPY.nextLabel, COPY.next, "right", current < totalPages)}
    </nav>
  );
}
