import { describe, expect, it } from "vitest";
import {
  authTimeOf,
  parseAuthorizationRequest,
  reauthenticatedSinceMarker,
  reauthMarker,
  requestBinding,
  requiredLevel,
} from "../../app/.server/oidc/authorize";
import { ACR, amrAfterStepUp, levelOfSession, sidForClient } from "../../app/.server/oidc/config";

const env = { OIDC_KEY_SECRET: "dGVzdC1vbmx5LW9pZGMta2V5LXNlY3JldC0zMi1ieXQ=" };
const NOW = new Date("2026-12-08T03:00:00Z");
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

describe("requiredLevel: the client's Required Assurance and acr_values", () => {
  it("takes the stronger of the two, and the weakest acr value the request would accept", () => {
    expect(requiredLevel({ requiredAssurance: "aal1" }, null)).toBe("aal1");
    expect(requiredLevel({ requiredAssurance: "aal2" }, ACR.aal1)).toBe("aal2");
    expect(requiredLevel({ requiredAssurance: "aal1" }, ACR.aal2)).toBe("aal2");
    expect(requiredLevel({ requiredAssurance: "aal1" }, `${ACR.aal2_phishing_resistant} ${ACR.aal2}`)).toBe("aal2");
    expect(requiredLevel({ requiredAssurance: "aal1" }, ACR.aal2_phishing_resistant)).toBe("aal2_phishing_resistant");
    // Unknown values are ignored.
    expect(requiredLevel({ requiredAssurance: "aal1" }, "urn:other:loa:3")).toBe("aal1");
  });
});

describe("the session's level, auth_time and amr after Confirm it is you", () => {
  it("reads a security key in amr as phishing-resistant, and the later of sign-in and strong factor as auth_time", () => {
    expect(levelOfSession({ assurance: "weak", amr: ["pwd", "email"] })).toBe("aal1");
    const stepped = amrAfterStepUp(["pwd", "email"], "webauthn");
    expect(stepped).toEqual(["pwd", "hwk", "mfa"]);
    expect(levelOfSession({ assurance: "strong", amr: stepped })).toBe("aal2_phishing_resistant");
    expect(levelOfSession({ assurance: "strong", amr: amrAfterStepUp(["pwd"], "totp") })).toBe("aal2");
    // A security key at sign-in, an app code at the last "Confirm it is you": no longer phishing-resistant.
    const later = amrAfterStepUp(["pwd", "hwk", "mfa"], "totp");
    expect(later).toEqual(["pwd", "otp", "mfa"]);
    expect(levelOfSession({ assurance: "strong", amr: later })).toBe("aal2");
    // A passkey sign-in had no password: a later step-up does not claim one.
    expect(amrAfterStepUp(["hwk", "user", "mfa"], "totp")).toEqual(["otp", "mfa"]);
    expect(authTimeOf({ createdAt: minutes(-10), strongFactorAt: minutes(-2) })).toEqual(minutes(-2));
    expect(authTimeOf({ createdAt: minutes(-10), strongFactorAt: null })).toEqual(minutes(-10));
  });
});

describe("the session id an application is told", () => {
  it("differs per application, so two applications cannot match a person up by it", () => {
    const env = { OIDC_KEY_SECRET: btoa("k".repeat(32)) };
    const a = sidForClient(env, "sp-a", "session-1");
    expect(a).not.toBe(sidForClient(env, "sp-b", "session-1"));
    expect(a).not.toBe("session-1");
    expect(a).toBe(sidForClient(env, "sp-a", "session-1"));
  });
});

describe("the re-authentication marker", () => {
  const session = { sid: "sid-1", createdAt: minutes(-30), strongFactorAt: minutes(-30) };

  it("stands for a step-up only when the session's strong factor came after it", () => {
    const marker = reauthMarker(env, session, minutes(-1));
    expect(reauthenticatedSinceMarker(env, session, marker, NOW)).toBe(false);
    expect(reauthenticatedSinceMarker(env, { ...session, strongFactorAt: minutes(-0.5) }, marker, NOW)).toBe(true);
    // Bound to its session: another session that stepped up does not inherit it.
    expect(
      reauthenticatedSinceMarker(env, { ...session, sid: "sid-2", strongFactorAt: minutes(-0.5) }, marker, NOW),
    ).toBe(false);
    // Good for 10 minutes.
    expect(reauthenticatedSinceMarker(env, { ...session, strongFactorAt: minutes(-0.5) }, marker, minutes(10))).toBe(
      false,
    );
  });

  it("stands for a sign-in only when the session began after it, and cannot be forged", () => {
    const marker = reauthMarker(env, null, minutes(-1));
    expect(reauthenticatedSinceMarker(env, session, marker, NOW)).toBe(false);
    expect(reauthenticatedSinceMarker(env, { ...session, createdAt: minutes(-0.5) }, marker, NOW)).toBe(true);
    const [at] = marker.split(".");
    expect(reauthenticatedSinceMarker(env, { ...session, createdAt: NOW }, `${at}.${"A".repeat(43)}`, NOW)).toBe(false);
    expect(reauthenticatedSinceMarker(env, { ...session, createdAt: NOW }, null, NOW)).toBe(false);
  });

  it("answers only the request it was issued for", () => {
    const one = requestBinding({ clientId: "sp-a", state: "s1", nonce: "n1" });
    const other = requestBinding({ clientId: "sp-a", state: "s2", nonce: "n2" });
    const stepped = { ...session, strongFactorAt: minutes(-0.5), createdAt: minutes(-0.5) };
    for (const who of [session, null]) {
      const marker = reauthMarker(env, who, minutes(-1), one);
      expect(reauthenticatedSinceMarker(env, stepped, marker, NOW, one)).toBe(true);
      expect(reauthenticatedSinceMarker(env, stepped, marker, NOW, other)).toBe(false);
    }
  });
});

describe("parseAuthorizationRequest", () => {
  const client = {
    id: "sp-x",
    redirectUris: ["https://app.example/cb"],
  } as Parameters<typeof parseAuthorizationRequest>[1]["client"];
  const checked = { client, redirectUri: "https://app.example/cb" };
  const good = {
    client_id: "sp-x",
    redirect_uri: "https://app.example/cb",
    response_type: "code",
    scope: "profile openid unknown",
    state: "s",
    nonce: "n",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
  };

  it("keeps the known scopes in the portal's order and drops unknown ones", () => {
    const parsed = parseAuthorizationRequest(new URLSearchParams(good), checked);
    expect(parsed.ok && parsed.request.scope).toEqual(["openid", "profile"]);
  });

  it("refuses a parameter sent twice", () => {
    const params = new URLSearchParams(good);
    params.append("nonce", "again");
    const parsed = parseAuthorizationRequest(params, checked);
    expect(parsed.ok ? null : parsed.error.error).toBe("invalid_request");
  });

  it("refuses response_mode other than query, and a bad max_age", () => {
    const cases: Record<string, string>[] = [
      { response_mode: "fragment" },
      { response_mode: "form_post" },
      { max_age: "-1" },
    ];
    for (const extra of cases) {
      const parsed = parseAuthorizationRequest(new URLSearchParams({ ...good, ...extra }), checked);
      expect(parsed.ok ? null : parsed.error.error).toBe("invalid_request");
    }
  });
});
