import { describe, expect, it } from "vitest";
import { createProofingProvider, ProofingConfigurationError } from "../../app/.server/proofing/configure";
import { foldName, sameLegalName } from "../../app/.server/proofing/names";
import { SandboxProofingProvider } from "../../app/.server/proofing/sandbox";

describe("choosing the identity-proofing provider from configuration", () => {
  it("uses the sandbox in development, by default or by name", () => {
    expect(createProofingProvider({ ENVIRONMENT: "development" })).toBeInstanceOf(SandboxProofingProvider);
    expect(createProofingProvider({ ENVIRONMENT: "development", PROOFING_PROVIDER: "sandbox" }).name).toBe("sandbox");
    expect(createProofingProvider({ ENVIRONMENT: "test" }).name).toBe("sandbox");
  });

  it("refuses the sandbox in production, named or by default", () => {
    expect(() => createProofingProvider({ ENVIRONMENT: "production", PROOFING_PROVIDER: "sandbox" })).toThrow(
      ProofingConfigurationError,
    );
    expect(() => createProofingProvider({ ENVIRONMENT: "production", PROOFING_PROVIDER: "sandbox" })).toThrow(
      /ALLOW_SANDBOX_PROOFING="staging"/,
    );
    expect(() => createProofingProvider({ ENVIRONMENT: "production" })).toThrow(/PROOFING_PROVIDER is not set/);
    // Only the exact staging value opens the sandbox.
    expect(() =>
      createProofingProvider({
        ENVIRONMENT: "production",
        PROOFING_PROVIDER: "sandbox",
        ALLOW_SANDBOX_PROOFING: "true",
      }),
    ).toThrow(ProofingConfigurationError);
  });

  it("allows the sandbox on a production-mode staging deployment that says so", () => {
    expect(
      createProofingProvider({
        ENVIRONMENT: "production",
        PROOFING_PROVIDER: "sandbox",
        ALLOW_SANDBOX_PROOFING: "staging",
      }).name,
    ).toBe("sandbox");
  });

  it("refuses a provider it does not know, everywhere", () => {
    expect(() => createProofingProvider({ ENVIRONMENT: "development", PROOFING_PROVIDER: "acme-idv" })).toThrow(
      /"acme-idv" is not a known/,
    );
  });
});

describe("legal names", () => {
  it("fold case, accents and punctuation", () => {
    expect(foldName("José")).toBe("JOSE");
    expect(foldName(" Zoë ")).toBe("ZOE");
    expect(foldName("O'Brien-Núñez")).toBe("OBRIENNUNEZ");
  });

  it("compare first and last names only", () => {
    expect(sameLegalName({ firstName: "José", lastName: "Delgado" }, { firstName: "JOSE", lastName: "delgado" })).toBe(
      true,
    );
    expect(sameLegalName({ firstName: "Jose", lastName: "Delgado" }, { firstName: "Maria", lastName: "Delgado" })).toBe(
      false,
    );
    expect(
      sameLegalName({ firstName: "Jose", lastName: "Delgado" }, { firstName: "Jose", lastName: "Delgado Ruiz" }),
    ).toBe(false);
  });
});
