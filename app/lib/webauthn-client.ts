/**
 * Browser side of security keys and passkeys. @simplewebauthn/browser is loaded
 * only when someone uses a key, so other pages carry none of it.
 */
async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error("The server refused the request.");
  return response.json() as Promise<T>;
}

export function webauthnSupported(): boolean {
  return typeof window !== "undefined" && typeof window.PublicKeyCredential === "function";
}

/** Asks the authenticator to sign a challenge; returns what the form sends back. */
export async function getAssertion(loginId: string | null): Promise<string> {
  const { startAuthentication } = await import("@simplewebauthn/browser");
  const { challengeId, options } = await postJson<{
    challengeId: string;
    options: Parameters<typeof startAuthentication>[0]["optionsJSON"];
  }>("/webauthn/authentication/options", { loginId });
  const response = await startAuthentication({ optionsJSON: options });
  return JSON.stringify({ challengeId, response });
}

/** Creates a credential on the authenticator; returns what the enrollment form sends back. */
export async function createCredential(): Promise<string> {
  const { startRegistration } = await import("@simplewebauthn/browser");
  const { challengeId, options } = await postJson<{
    challengeId: string;
    options: Parameters<typeof startRegistration>[0]["optionsJSON"];
  }>("/webauthn/registration/options", {});
  const response = await startRegistration({ optionsJSON: options });
  return JSON.stringify({ challengeId, response });
}

export function describeWebauthnError(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "NotAllowedError") return "The request was cancelled or timed out. Try again.";
  if (name === "InvalidStateError") return "This security key is already registered.";
  return "Your browser or security key could not complete the request. Try again, or choose another MFA Device Type.";
}
