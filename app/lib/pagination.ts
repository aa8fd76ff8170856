/**
 * Which page links a pagination bar shows, by the CMS Design System's rule
 * (its Pagination component): at most seven entries, the first and last page
 * always, one page either side of the current one, and an ellipsis for each gap.
 */
export type PaginationItem = number | "ellipsis";

/** Pages either side of the current page (the design system's `overflow`). */
const OVERFLOW = 1;
/** Entries shown at most, ellipses included (the design system's `maxVisiblePages`). */
const MAX_VISIBLE = 7;

export function paginationItems(currentPage: number, totalPages: number): PaginationItem[] {
  const total = Math.max(0, Math.floor(totalPages));
  if (total === 0) return [];
  const current = Math.min(Math.max(1, Math.floor(currentPage)), total);
  if (total <= MAX_VISIBLE) return Array.from({ length: total }, (_, i) => i + 1);

  // The run of pages around the current one; the first and last page and the ellipses take the rest.
  const slots = MAX_VISIBLE - 2;
  let start = current - OVERFLOW;
  let end = current + OVERFLOW;
  if (current < slots) {
    start = 1;
    end = slots;
  }
  if (current === total - 2) {
    start -= 1;
    end += 1;
  }
  if (end === total - 2) end += 1;
  if (end >= total) {
    start = total - (slots - 1);
    end = total;
  }

  const items: PaginationItem[] = [];
  if (start >= 2) {
    items.push(1);
    if (start !== 2) items.push("ellipsis");
  }
  for (let page = start; page <= end; page++) items.push(page);
  if (end < total) {
    if (end < total - 1) items.push("ellipsis");
    items.push(total);
  }
  return items;
}
