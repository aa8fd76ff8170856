/** MFA device kinds as the "MFA Device Type" select names them. */
export const MFA_DEVICE_TYPES = {
  totp: "Authenticator App",
  webauthn: "Security Key",
  email: "Email",
} as const;

export type MfaKind = keyof typeof MFA_DEVICE_TYPES;

/** Always offered at sign-in (so they reveal nothing about the account). */
export const FALLBACK_LABELS = { otc: "One-Time Security Code", recovery: "Recovery Code" } as const;

export type SecondFactorType = MfaKind | keyof typeof FALLBACK_LABELS;

/** Every type "MFA Device Type" offers at sign-in: the same list for everyone, so it reveals nothing. */
export const SECOND_FACTOR_LABELS: Record<SecondFactorType, string> = { ...MFA_DEVICE_TYPES, ...FALLBACK_LABELS };
export const SECOND_FACTOR_TYPES = Object.keys(SECOND_FACTOR_LABELS) as SecondFactorType[];

/** The factors that make a session strong (docs/decisions: assurance model); the others are recovery. */
export const STRONG_TYPES: readonly SecondFactorType[] = ["totp", "webauthn", "recovery"];

/** Recovery codes: 28 characters from a 32-letter alphabet (140 bits), shown in groups of four. */
export const RECOVERY_LENGTH = 28;

/** Typed codes: any case, spaces or dashes; the look-alikes I, L and O read as 1, 1 and 0. */
export const normaliseRecovery = (code: string) =>
  code
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "")
    .replace(/[IL]/g, "1")
    .replace(/O/g, "0");

export const looksLikeRecoveryCode = (code: string) => normaliseRecovery(code).length === RECOVERY_LENGTH;
