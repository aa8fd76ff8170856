import { type Env, isProduction } from "../env";
import type { IdentityProofingProvider } from "./provider";
import { SandboxProofingProvider } from "./sandbox";

/** The Worker cannot serve safely with this configuration: refuse at start-up, not mid-enrollment. */
export class ProofingConfigurationError extends Error {
  override readonly name = "ProofingConfigurationError";
}

/**
 * The identity-proofing provider named by `PROOFING_PROVIDER`. Outside
 * production (development and test only: see `isProduction`) an unset value means the sandbox. In production the sandbox would
 * verify anyone who copies a record from the README, so it is refused unless the
 * deployment says it is staging (`ALLOW_SANDBOX_PROOFING="staging"`).
 */
export function createProofingProvider(
  env: Pick<Env, "ENVIRONMENT" | "PROOFING_PROVIDER" | "ALLOW_SANDBOX_PROOFING">,
): IdentityProofingProvider {
  const production = isProduction(env);
  const name = env.PROOFING_PROVIDER?.trim() || (production ? "" : "sandbox");
  switch (name) {
    case "sandbox":
      if (production && env.ALLOW_SANDBOX_PROOFING !== "staging") {
        throw new ProofingConfigurationError(
          'PROOFING_PROVIDER is "sandbox" in production: the sandbox verifies fictional identities and must not prove real people. ' +
            'Configure a vendor provider, or set ALLOW_SANDBOX_PROOFING="staging" on a staging deployment.',
        );
      }
      return new SandboxProofingProvider();
    case "":
      throw new ProofingConfigurationError(
        'PROOFING_PROVIDER is not set. Production needs an identity-proofing provider ("sandbox" is the only one available, and only for staging).',
      );
    default:
      throw new ProofingConfigurationError(
        `PROOFING_PROVIDER "${name}" is not a known identity-proofing provider (known: "sandbox").`,
      );
  }
}
