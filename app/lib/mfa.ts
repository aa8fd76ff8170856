/** MFA device kinds as the "MFA Device Type" select names them. */
export const MFA_DEVICE_TYPES = {
  totp: "Authenticator App",
  webauthn: "Security Key",
  email: "Email",
} as const;

export type MfaKind = keyof typeof MFA_DEVICE_TYPES;
