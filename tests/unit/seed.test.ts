import { describe, expect, it } from "vitest";
import { GENERATED_PROVIDER_COUNT, npiWithCheckDigit, seedOrganizations } from "../../app/.server/db/seed/build-seed";
import { STATES } from "../../app/.server/db/seed/reference";

describe("organization seed generator", () => {
  it("is deterministic: two runs give identical rows", () => {
    expect(JSON.stringify(seedOrganizations())).toBe(JSON.stringify(seedOrganizations()));
  });

  it("gives every organization a unique stable key", () => {
    const orgs = seedOrganizations();
    expect(new Set(orgs.map((o) => o.key)).size).toBe(orgs.length);
    expect(orgs.length).toBeGreaterThan(5000);
    expect(orgs.filter((o) => o.type === "Provider")).toHaveLength(GENERATED_PROVIDER_COUNT);
  });

  it("has a QARM Org Security survey agency for every state, DC and territory", () => {
    const surveys = seedOrganizations().filter((o) => o.type === "QARM Org Security" && o.name.endsWith("SURVEY AND CERTIFICATION"));
    expect(new Set(surveys.map((o) => o.state))).toEqual(new Set(STATES.map((s) => s[0])));
  });

  it("makes NPIs with a valid Luhn check digit", () => {
    // CMS's published example NPI.
    expect(npiWithCheckDigit("123456789")).toBe("1234567893");
    for (const org of seedOrganizations().filter((o) => o.npi).slice(0, 50)) {
      expect(npiWithCheckDigit(org.npi!.slice(0, 9))).toBe(org.npi);
    }
  });

  it("gives CCNs the state code of the organization's state", () => {
    const provider = seedOrganizations().find((o) => o.ccn && o.state === "OH");
    expect(provider?.ccn?.slice(0, 2)).toBe("36");
  });
});
