/**
 * `node scripts/program-app-key.ts`: the Sample Program Application's ES256 key
 * pair (examples/program-app). On first use it creates the key and writes
 * examples/program-app/.dev.vars (git-ignored) with PRIVATE_JWK, which
 * `wrangler dev -c examples/program-app/wrangler.toml` reads; later runs keep
 * the key. The development seed registers the public half (scripts/seed.ts).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PROGRAM_APP_DIR = "examples/program-app";

export interface ProgramAppKey {
  privateJwk: JsonWebKey & { kid: string; alg: "ES256" };
  /** The public JWK Set the portal registers for the sample. */
  publicJwks: { keys: (JsonWebKey & { kid: string; alg: "ES256"; use: "sig" })[] };
}

function readPrivateJwk(file: string): ProgramAppKey["privateJwk"] | null {
  if (!existsSync(file)) return null;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith("PRIVATE_JWK="));
  if (!line) return null;
  const raw = line.slice("PRIVATE_JWK=".length).trim();
  // .dev.vars values may be quoted; the JSON is written single-quoted.
  const json = raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1) : raw;
  try {
    const jwk = JSON.parse(json);
    return jwk?.kty === "EC" && jwk.crv === "P-256" && jwk.d && jwk.kid ? jwk : null;
  } catch {
    return null;
  }
}

/** The public half of a private EC JWK: the private member `d` dropped. */
export function publicJwkOf(privateJwk: ProgramAppKey["privateJwk"]): ProgramAppKey["publicJwks"]["keys"][number] {
  const { kty, crv, x, y, kid } = privateJwk;
  return { kty, crv, x, y, kid, alg: "ES256", use: "sig" };
}

export async function generateProgramAppJwk(): Promise<ProgramAppKey["privateJwk"]> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const { kty, crv, x, y, d } = jwk;
  return { kty, crv, x, y, d, kid: `program-app-${new Date().toISOString().slice(0, 10)}`, alg: "ES256" };
}

/** The sample's key: read from its .dev.vars, or created and written there on first use. */
export async function ensureProgramAppKey(dir = PROGRAM_APP_DIR): Promise<ProgramAppKey> {
  const file = join(dir, ".dev.vars");
  let privateJwk = readPrivateJwk(file);
  if (!privateJwk) {
    privateJwk = await generateProgramAppJwk();
    const others = existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l.trim() && !l.startsWith("PRIVATE_JWK="))
      : [];
    writeFileSync(
      file,
      `${[
        "# The Sample Program Application's private key (development only; written by scripts/program-app-key.ts).",
        `PRIVATE_JWK='${JSON.stringify(privateJwk)}'`,
        ...others,
      ].join("\n")}\n`,
    );
  }
  return { privateJwk, publicJwks: { keys: [publicJwkOf(privateJwk)] } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { privateJwk } = await ensureProgramAppKey();
  console.log(`The sample's key ${privateJwk.kid} is in ${join(PROGRAM_APP_DIR, ".dev.vars")}.`);
}
