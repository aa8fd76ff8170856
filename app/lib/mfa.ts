/** MFA device kinds as the "MFA Device Type" select names them. */
export const MFA_DEVICE_TYPES = {
  totp: "Authenticator App",
  webauthn: "Security Key",
  email: "Email",
} as const;

export type MfaKind = keyof typeof MFA_DEVICE_TYPES;

/** Always offered at sign-in (so they reveal nothing about the account). */
export const FALLBACK_LABELS = { otc: "One-Time Security Code", recovery: "Recovery Code" } as const;
