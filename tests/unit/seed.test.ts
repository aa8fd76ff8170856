import { describe, expect, it } from "vitest";
import {
  GENERATED_PROVIDER_COUNT,
  npiWithCheckDigit,
  seedOrganizations,
  seedOrganizationsOfSize,
} from "../../app/.server/db/seed/build-seed";
import { STATES } from "../../app/.server/db/seed/reference";

/**
 * An NPI is ten digits, the first 1 or 2, whose last digit makes the ISO/IEC 7812
 * Luhn check pass over "80840" followed by all ten digits (CMS, "Requirements for
 * the NPI check digit"). Written here from the definition, independently of the
 * seed generator.
 */
function isValidNpi(npi: string): boolean {
  if (!/^[12]\d{9}$/.test(npi)) return false;
  const digits = `80840${npi}`.split("").map(Number).reverse();
  const sum = digits.reduce((total, d, i) => {
    if (i % 2 === 0) return total + d;
    const doubled = d * 2;
    return total + (doubled > 9 ? doubled - 9 : doubled);
  }, 0);
  return sum % 10 === 0;
}

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
    const surveys = seedOrganizations().filter(
      (o) => o.type === "QARM Org Security" && o.name.endsWith("SURVEY AND CERTIFICATION"),
    );
    expect(new Set(surveys.map((o) => o.state))).toEqual(new Set(STATES.map((s) => s[0])));
  });

  it("makes NPIs that pass the NPI check: Luhn over the prefix 80840 and the ten digits", () => {
    // Checked with this test's own implementation, not the generator's: CMS's documented
    // example 1234567893 and NPIs in the public registry's format are valid; changing a digit breaks them.
    for (const valid of ["1234567893", "1245319599", "1003000126", "1497758544"])
      expect(isValidNpi(valid), valid).toBe(true);
    for (const invalid of [
      "1234567890",
      "1234567894",
      "1245319590",
      "2234567893",
      "123456789",
      "12345678931",
      "12345678a3",
    ])
      expect(isValidNpi(invalid), invalid).toBe(false);
    // And the generator agrees with the published example.
    expect(npiWithCheckDigit("123456789")).toBe("1234567893");

    const npis = seedOrganizations().flatMap((o) => (o.npi ? [o.npi] : []));
    expect(npis.length).toBeGreaterThan(100);
    for (const npi of npis) expect(isValidNpi(npi), npi).toBe(true);
  });

  it("makes a few generated providers Inactive, always the same ones, and never a QARM Org Security row", () => {
    const inactive = seedOrganizations().filter((o) => o.status === "Inactive");
    expect(inactive.length).toBeGreaterThanOrEqual(10);
    expect(inactive.length).toBeLessThan(50);
    expect(inactive.every((o) => o.type === "Provider" && o.key.startsWith("provider:"))).toBe(true);
    expect(inactive.map((o) => o.key)).toEqual(
      seedOrganizations()
        .filter((o) => o.status === "Inactive")
        .map((o) => o.key),
    );
  });

  it("makes any number of organizations for the search bench, the fixed rows included once", () => {
    const big = seedOrganizationsOfSize(20_000);
    expect(big).toHaveLength(20_000);
    expect(new Set(big.map((o) => o.key)).size).toBe(20_000);
    expect(big.filter((o) => o.name === "STATE OF OHIO - SURVEY AND CERTIFICATION")).toHaveLength(1);
    expect(big.filter((o) => o.type === "Contractor" || o.type === "Vendor").length).toBeGreaterThan(400);
    const npis = big.flatMap((o) => (o.npi ? [o.npi] : []));
    for (const npi of npis) expect(isValidNpi(npi), npi).toBe(true);
    expect(JSON.stringify(seedOrganizationsOfSize(20_000))).toBe(JSON.stringify(big));
  });

  it("gives CCNs the state code of the organization's state", () => {
    const provider = seedOrganizations().find((o) => o.ccn && o.state === "OH");
    expect(provider?.ccn?.slice(0, 2)).toBe("36");
  });
});
