/**
 * NIST SP 800-63B memorized-secret rules: length matters, composition rules and
 * periodic expiry do not. The common-password check runs on the server.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export const PASSWORD_HINT = `At least ${PASSWORD_MIN} characters. Use a passphrase: several words are easier to remember and harder to guess. Spaces are allowed.`;

export function checkPasswordShape(
  password: string,
  person: { loginId?: string; firstName?: string; lastName?: string },
): string | null {
  const length = [...password.normalize("NFKC")].length;
  if (length < PASSWORD_MIN) return `Your password must be at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Your password must be at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  for (const [label, value] of [
    ["User ID", person.loginId],
    ["name", person.firstName],
    ["name", person.lastName],
  ] as const) {
    if (value && value.length >= 3 && lower.includes(value.toLowerCase()))
      return `Your password must not contain your ${label}.`;
  }
  if (/^(.)\1+$/.test(password)) return "Your password must not be one character repeated.";
  return null;
}
