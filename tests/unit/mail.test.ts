import { describe, expect, it } from "vitest";
import { retryDelaySeconds } from "../../app/.server/mail/deliver";
import { escapeHtml, renderEmail } from "../../app/.server/mail/templates";

describe("email templates", () => {
  it("render the same message as plain text and HTML with the action link in both", () => {
    const email = renderEmail(
      "request_expired",
      {
        firstName: "Thomas",
        requestId: "QR-7K3M9P2X",
        roleName: "End User",
        organizationName: "ST. MARY'S MEDICAL CENTER",
        programName: "Inpatient Hospital Quality Reporting Program",
      },
      { origin: "https://portal.example.gov" },
    );
    expect(email.subject).toBe("Your access request QR-7K3M9P2X has expired");
    expect(email.text).toContain("Hello Thomas,");
    expect(email.text).toContain("ST. MARY'S MEDICAL CENTER");
    expect(email.text).toContain("Request access: https://portal.example.gov/my-account");
    expect(email.html).toContain('href="https://portal.example.gov/my-account"');
    expect(email.html).toContain("ST. MARY&#39;S MEDICAL CENTER");
  });

  it("escape anything a user typed before it reaches HTML", () => {
    const email = renderEmail(
      "role_expired",
      { firstName: "<script>alert(1)</script>", roleName: "End User", endDate: "2026-01-01" },
      { origin: "http://x" },
    );
    expect(email.html).not.toContain("<script>");
    expect(email.html).toContain("&lt;script&gt;");
    expect(escapeHtml(`"&'<>`)).toBe("&quot;&amp;&#39;&lt;&gt;");
  });
});

describe("retry back-off", () => {
  it("doubles from 10 seconds and stops growing at an hour", () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([10, 20, 40, 80, 160]);
    expect(retryDelaySeconds(30)).toBe(3600);
  });
});
