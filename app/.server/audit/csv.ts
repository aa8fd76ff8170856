/**
 * CSV as RFC 4180 writes it (fields in double quotes when they hold a comma, a
 * quote or a line break; quotes doubled; lines ended by CRLF), made safe to
 * open in a spreadsheet: a cell that begins with = + - @, a tab or a carriage
 * return would be read as a formula (CSV injection, OWASP), so it gets a
 * leading apostrophe and is shown as the text it is.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | null | undefined): string {
  let text = value == null ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
