import { describe, expect, it } from "vitest";
import { checkNewPassword } from "../../app/.server/auth/credentials";
import { throttled } from "../../app/.server/auth/rate-limit";
import { fail } from "../../app/.server/result";
import { lockedMessage, mfaLockedMessage, securityKeyNeedsScript, tooManyFromNetwork } from "../../app/lib/auth-copy";
import { failureErrors, wordsFor } from "../../app/lib/failure-words";
import { formatTime } from "../../app/lib/format";
import { checkPasswordShape, PASSWORD_PROBLEMS, passwordShapeProblem } from "../../app/lib/password-policy";

/** Services return codes and facts; the screens word them (issue 18). */
describe("failure words", () => {
  const copy = {
    plain: "Fixed words.",
    counted: (facts: { [key: string]: unknown }) => `Try again in ${facts.minutes} minutes.`,
  };

  it("words a code, with the failure's facts when the words need them", () => {
    expect(wordsFor(copy, fail("plain"))).toBe("Fixed words.");
    expect(wordsFor(copy, fail("counted", { detail: { minutes: 5 } }))).toBe("Try again in 5 minutes.");
  });

  it("puts the words next to the failure's field, or above the form", () => {
    expect(failureErrors(copy, fail("plain", { field: "code" }))).toEqual({ fieldErrors: { code: ["Fixed words."] } });
    expect(failureErrors(copy, fail("plain"))).toEqual({ formErrors: ["Fixed words."] });
  });

  it("a throttled service says how long, and the screen says it in minutes", () => {
    const failure = throttled(61);
    expect(failure).toEqual({ ok: false, code: "throttled", detail: { retryAfterSeconds: 61 } });
    expect(tooManyFromNetwork("log-in attempts")(failure.detail ?? {})).toBe(
      "Too many log-in attempts from your network. Try again in 2 minutes.",
    );
  });

  it("keeps the lock and hold words the screens showed", () => {
    const until = new Date("2026-12-07T15:00:00Z");
    expect(lockedMessage(until)).toBe(
      `Your account is locked until ${formatTime(until)} after too many failed attempts. We emailed a link that unlocks it (reset your password with your second factor); or wait until then.`,
    );
    expect(mfaLockedMessage({ held: false, until })).toBe(
      `Too many wrong security codes. Security codes are locked until ${formatTime(until)}. Try again then, or use "Unable to Access Security Code?".`,
    );
    expect(mfaLockedMessage({ held: true, until })).toBe(
      "After too many wrong security codes this account is on hold. Contact the help desk to verify who you are.",
    );
    expect(securityKeyNeedsScript(["totp", "webauthn", "recovery"])).toBe(
      "Using a security key needs JavaScript. Turn it on, or use an authenticator app code or a recovery code.",
    );
  });
});

describe("new password problems", () => {
  const person = { loginId: "THOMTY64", firstName: "Thomas", lastName: "Tyler" };

  it("are codes, worded once for every screen that sets a password", async () => {
    expect(passwordShapeProblem("elevenchars", person)).toBe("password_too_short");
    expect(passwordShapeProblem("xx thomty64 xx yy", person)).toBe("password_has_login_id");
    expect(passwordShapeProblem("tyler family garden", person)).toBe("password_has_name");
    expect(checkPasswordShape("zzzzzzzzzzzzzz", person)).toBe(PASSWORD_PROBLEMS.password_repeated);
    expect(await checkNewPassword("iloveyou2024", person)).toBe("password_common");
    expect(await checkNewPassword("granite kettle orbit lantern", person)).toBeNull();
  });
});
