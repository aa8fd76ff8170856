import { generateHOTP } from "@oslojs/otp";
import { describe, expect, it } from "vitest";
import { generateTemporaryPassword, loginIdPrefix } from "../../app/.server/auth/accounts";
import { commonPasswordCount, isCommonPassword } from "../../app/.server/auth/common-passwords";
import { canonicalMailbox } from "../../app/.server/auth/rate-limit";
import { describeUserAgent } from "../../app/.server/auth/sign-in";
import { matchTotpStep } from "../../app/.server/auth/totp";
import { safeRedirectPath } from "../../app/.server/safe-redirect";
import { normaliseAnswer } from "../../app/lib/challenge-questions";
import { checkPasswordShape } from "../../app/lib/password-policy";

describe("User ID prefix", () => {
  it("follows the THOMTY example, upper case, letters only, padded for short names", () => {
    expect(loginIdPrefix("Thomas", "Tyler")).toBe("THOMTY");
    expect(loginIdPrefix("José", "O'Neil")).toBe("JOSEON");
    expect(loginIdPrefix("Al", "Ng")).toBe("ALXXNG");
    expect(loginIdPrefix("Bo", "Y")).toBe("BOXXYX");
  });
});

describe("temporary passwords", () => {
  it("are 16 characters without look-alike characters, and differ every time", () => {
    const a = generateTemporaryPassword();
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]{16}$/);
    expect(generateTemporaryPassword()).not.toBe(a);
  });
});

describe("password rules (NIST 800-63B)", () => {
  const person = { loginId: "THOMTY64", firstName: "Thomas", lastName: "Tyler" };
  it("asks for 12 to 128 characters and nothing about composition", () => {
    expect(checkPasswordShape("elevenchars", person)).toContain("at least 12");
    expect(checkPasswordShape("a".repeat(129), person)).toContain("at most 128");
    expect(checkPasswordShape("all lower case words", person)).toBeNull();
  });
  it("refuses the User ID, the name and a repeated character", () => {
    expect(checkPasswordShape("xx thomty64 xx yy", person)).toContain("User ID");
    expect(checkPasswordShape("tyler family garden", person)).toContain("name");
    expect(checkPasswordShape("zzzzzzzzzzzzzz", person)).toContain("repeated");
  });
  it("ships at least 10,000 common passwords and catches padded variants", async () => {
    expect(await commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
    expect(await isCommonPassword("Password123!")).toBe(true);
    expect(await isCommonPassword("iloveyou2024")).toBe(true);
    expect(await isCommonPassword("granite kettle orbit lantern")).toBe(false);
  });
});

describe("challenge answers", () => {
  it("ignore case, spacing and punctuation", () => {
    expect(normaliseAnswer("  St. Louis ")).toBe(normaliseAnswer("st louis"));
    expect(normaliseAnswer("HONDA-Civic")).toBe("honda civic");
  });
});

describe("TOTP step matching", () => {
  const key = new Uint8Array(20).map((_, i) => i + 1);
  const now = 1_800_000_000_000;
  const step = Math.floor(now / 30_000);
  const code = (s: number) => generateHOTP(key, BigInt(s), 6);
  it("accepts the current step and one either side, and says which", () => {
    expect(matchTotpStep(key, code(step), now)).toBe(step);
    expect(matchTotpStep(key, code(step - 1), now)).toBe(step - 1);
    expect(matchTotpStep(key, code(step + 1), now)).toBe(step + 1);
  });
  it("refuses two steps away and anything that is not six digits", () => {
    expect(matchTotpStep(key, code(step - 2), now)).toBeNull();
    expect(matchTotpStep(key, code(step + 2), now)).toBeNull();
    expect(matchTotpStep(key, "12345", now)).toBeNull();
    expect(matchTotpStep(key, "abcdef", now)).toBeNull();
  });
});

describe("redirect targets", () => {
  it("allow local paths only", () => {
    expect(safeRedirectPath("/profile")).toBe("/profile");
    expect(safeRedirectPath("//evil.example")).toBe("/welcome");
    expect(safeRedirectPath("/\\evil.example")).toBe("/welcome");
    expect(safeRedirectPath("https://evil.example")).toBe("/welcome");
    expect(safeRedirectPath(null)).toBe("/welcome");
  });
});

describe("device descriptions", () => {
  it("name the browser and system", () => {
    expect(
      describeUserAgent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
      ),
    ).toBe("Chrome on Windows");
    expect(describeUserAgent(null)).toBe("an unknown browser");
  });
});

describe("canonicalMailbox: one inbox, one key for the per-recipient caps", () => {
  it("drops a +tag, folds case, and for Gmail drops dots and googlemail.com", () => {
    expect(canonicalMailbox(" Pat.Lee+news@Example.TEST ")).toBe("pat.lee@example.test");
    expect(canonicalMailbox("p.a.t+1@gmail.com")).toBe("pat@gmail.com");
    expect(canonicalMailbox("PAT@googlemail.com")).toBe("pat@gmail.com");
    // Nothing left before the tag: the address is kept as typed (lower case).
    expect(canonicalMailbox("+x@example.test")).toBe("+x@example.test");
    expect(canonicalMailbox("not-an-address")).toBe("not-an-address");
  });
});
