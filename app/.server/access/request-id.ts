/**
 * Request IDs people read aloud to the help desk: `QR-` and eight characters
 * from an alphabet without 0/O, 1/I/L or U (Crockford's base 32 less 0 and 1),
 * e.g. `QR-7K3M9P2X`. 30^8 ≈ 6.6 × 10^11 values; the table's primary key
 * refuses the (improbable) collision and the caller draws again.
 */
export const REQUEST_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
export const REQUEST_ID_PATTERN = /^QR-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$/;

export function newRequestId(): string {
  const out: string[] = [];
  // Rejection sampling keeps every symbol equally likely: 240 = 8 × 30.
  while (out.length < 8) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      if (byte < 240 && out.length < 8) out.push(REQUEST_ID_ALPHABET[byte % 30]);
    }
  }
  return `QR-${out.join("")}`;
}

/** Normalises what a person typed ("qr-7k3m9p2x") and rejects anything else. */
export function parseRequestId(value: string | undefined | null): string | null {
  const upper = (value ?? "").trim().toUpperCase();
  return REQUEST_ID_PATTERN.test(upper) ? upper : null;
}
