/**
 * NIST SP 800-63B memorized-secret rules: length matters, composition rules and
 * periodic expiry do not. The common-password check runs on the server.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export const PASSWORD_HINT = `At least ${PASSWORD_MIN} characters. Use a passphrase: several words are easier to remember and harder to guess. Spaces are allowed.`;

/** What is wrong with a new password: its shape (checked in the browser too), or too common (the server's list). */
export type PasswordShapeProblem =
  | "password_too_short"
  | "password_too_long"
  | "password_has_login_id"
  | "password_has_name"
  | "password_repeated";
export type PasswordProblem = PasswordShapeProblem | "password_common";

/** The words for each problem, shared by every screen that sets a password. */
export const PASSWORD_PROBLEMS = {
  password_too_short: `Your password must be at least ${PASSWORD_MIN} characters.`,
  password_too_long: `Your password must be at most ${PASSWORD_MAX} characters.`,
  password_has_login_id: "Your password must not contain your User ID.",
  password_has_name: "Your password must not contain your name.",
  password_repeated: "Your password must not be one character repeated.",
  password_common:
    "That password is too common and easy to guess. Choose a different one, such as a few unrelated words.",
} as const satisfies Record<PasswordProblem, string>;

export function passwordShapeProblem(
  password: string,
  person: { loginId?: string; firstName?: string; lastName?: string },
): PasswordShapeProblem | null {
  const length = [...password.normalize("NFKC")].length;
  if (length < PASSWORD_MIN) return "password_too_short";
  if (length > PASSWORD_MAX) return "password_too_long";
  const lower = password.toLowerCase();
  for (const [problem, value] of [
    ["password_has_login_id", person.loginId],
    ["password_has_name", person.firstName],
    ["password_has_name", person.lastName],
  ] as const) {
    if (value && value.length >= 3 && lower.includes(value.toLowerCase())) return problem;
  }
  if (/^(.)\1+$/.test(password)) return "password_repeated";
  return null;
}

/** The words for the shape's problem, if any (the forms' schemas). */
export function checkPasswordShape(
  password: string,
  person: { loginId?: string; firstName?: string; lastName?: string },
): string | null {
  const problem = passwordShapeProblem(password, person);
  return problem ? PASSWORD_PROBLEMS[problem] : null;
}
