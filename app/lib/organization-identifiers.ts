/**
 * The identifiers of an organization (SPEC 2.8), checked the same way in the
 * browser, on the server and for every row of a CSV import.
 *
 * - CCN (CMS Certification Number): exactly 6 letters or digits, stored upper case.
 * - NPI (National Provider Identifier): 10 digits whose last digit is the Luhn
 *   check digit computed over the 9 leading digits prefixed by 80840 (the card
 *   issuer prefix the CMS NPI standard assigns to health applications).
 * - TIN (Taxpayer Identification Number): 9 digits, typed with or without the
 *   hyphen (12-3456789); stored as the directory writes it, 12-3456789, which is
 *   what "Search Organizations" compares against.
 * - ZIP: 5 or 9 digits (12345, 12345-6789 or 123456789); stored 12345 or 12345-6789.
 */

export const CCN_PATTERN = /^[A-Za-z0-9]{6}$/;
export const NPI_PATTERN = /^\d{10}$/;
export const TIN_PATTERN = /^\d{2}-?\d{7}$/;
export const ZIP_PATTERN = /^\d{5}(?:-?\d{4})?$/;

/** The ISO/IEC 7812 prefix for US health applications that the NPI check digit is computed with. */
const NPI_PREFIX = "80840";

/** True when every digit of `digits` passes the Luhn (mod 10) check, its last digit being the check digit. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // From the right: the check digit as is, every second digit before it doubled.
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The NPI check digit for its 9 leading digits. */
export function npiCheckDigit(nineDigits: string): number {
  if (!/^\d{9}$/.test(nineDigits)) throw new Error("An NPI check digit needs 9 digits");
  for (let check = 0; check <= 9; check++) if (luhnValid(`${NPI_PREFIX}${nineDigits}${check}`)) return check;
  throw new Error("unreachable");
}

/** 10 digits with the right check digit. */
export function isValidNpi(value: string): boolean {
  return NPI_PATTERN.test(value) && luhnValid(`${NPI_PREFIX}${value}`);
}

export function isValidCcn(value: string): boolean {
  return CCN_PATTERN.test(value);
}

export function isValidTin(value: string): boolean {
  return TIN_PATTERN.test(value);
}

export function isValidZip(value: string): boolean {
  return ZIP_PATTERN.test(value);
}

/** 123456789 or 12-3456789 → 12-3456789 (the stored form). */
export function normalizeTin(value: string): string {
  const digits = value.replace(/-/g, "");
  return `${digits.slice(0, 2)}-${digits.slice(2)}`;
}

/** 123456789 or 12345-6789 → 12345-6789; 12345 stays. */
export function normalizeZip(value: string): string {
  const digits = value.replace(/-/g, "");
  return digits.length === 9 ? `${digits.slice(0, 5)}-${digits.slice(5)}` : digits;
}
