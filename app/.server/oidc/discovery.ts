import type { Env } from "../env";
import { ACR, CLIENT_ASSERTION_ALGS, issuerOf, OIDC_PATHS, SCOPES, SIGNING_ALGS } from "./config";

/**
 * The provider's metadata (OpenID Connect Discovery 1.0 §3, with RP-Initiated
 * and Back-Channel Logout's fields): what the portal supports and nothing else.
 */
export function discoveryDocument(env: Pick<Env, "PUBLIC_ORIGIN">) {
  const issuer = issuerOf(env);
  return {
    issuer,
    authorization_endpoint: `${issuer}${OIDC_PATHS.authorization}`,
    token_endpoint: `${issuer}${OIDC_PATHS.token}`,
    userinfo_endpoint: `${issuer}${OIDC_PATHS.userinfo}`,
    jwks_uri: `${issuer}${OIDC_PATHS.jwks}`,
    end_session_endpoint: `${issuer}${OIDC_PATHS.endSession}`,
    scopes_supported: [...SCOPES],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    token_endpoint_auth_methods_supported: ["private_key_jwt"],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    code_challenge_methods_supported: ["S256"],
    claims_supported: [
      "iss",
      "sub",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "nonce",
      "acr",
      "amr",
      "azp",
      "sid",
      "email",
      "email_verified",
      "given_name",
      "family_name",
      "roles",
    ],
    acr_values_supported: Object.values(ACR),
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    prompt_values_supported: ["none", "login", "consent"],
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    // RFC 9207: every authorization response carries `iss`; saying so lets applications insist on it (mix-up).
    authorization_response_iss_parameter_supported: true,
  };
}
