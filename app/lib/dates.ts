/**
 * The single-input date field's format (CMS Design System: "mm/dd/yyyy"), read
 * and written on both sides. Dates travel as ISO calendar dates (YYYY-MM-DD):
 * no time, no time zone.
 */
export const DATE_FIELD_HINT = "mm/dd/yyyy";

/** Month, day, year: "3/12/1974", "03-12-1974", or "03121974" (phone number pads have no "/"). */
const US_DATE = /^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$|^(\d{2})(\d{2})(\d{4})$/;

/** "03/12/1974" (or "3/12/1974", "03121974") → "1974-03-12"; null for anything that is not a real calendar date. */
export function parseDateField(value: string): string | null {
  const match = US_DATE.exec(value.trim());
  if (!match) return null;
  // Groups 1-3 when separated, 4-6 when only digits.
  const [month, day, year] = (match[1] ? match.slice(1, 4) : match.slice(4, 7)).map(Number);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return null;
  // Day 0 of the next month is the last day of this one; UTC, so no time zone moves the date.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** "1974-03-12" → "03/12/1974"; anything else is returned as it was (a user's unparsed input). */
export function formatDateField(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return match ? `${match[2]}/${match[3]}/${match[1]}` : iso;
}
