/** Letters only, upper case, accents folded: "José" and "JOSE" are the same name; so are "O'Brien" and "OBRIEN". */
export function foldName(name: string): string {
  return name
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toUpperCase()
    .replace(/[^A-Z]/g, "");
}

/**
 * Whether the legal name an identity was proven with is the account's name:
 * first and last names compared folded; middle names are not part of it.
 */
export function sameLegalName(
  a: { firstName: string; lastName: string },
  b: { firstName: string; lastName: string },
): boolean {
  return foldName(a.firstName) === foldName(b.firstName) && foldName(a.lastName) === foldName(b.lastName);
}
