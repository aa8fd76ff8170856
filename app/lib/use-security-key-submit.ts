import { type FormEvent, useState } from "react";
import { useSubmit } from "react-router";
import { describeWebauthnError, getAssertion } from "./webauthn-client";

/**
 * A form whose "MFA Device Type" may be a security key ("Confirm it is you", a
 * password reset). With JavaScript, choosing the key makes it answer a challenge
 * for `loginId` (the answer is posted as `assertion`) instead of a typed code;
 * any other choice goes through the form's own checks (`checkAndSubmit`).
 */
export function useSecurityKeySubmit(
  loginId: string | null,
  checkAndSubmit: (event: FormEvent<HTMLFormElement>) => void,
) {
  const submit = useSubmit();
  const [keyError, setKeyError] = useState<string | null>(null);

  async function withSecurityKey(formData: FormData) {
    setKeyError(null);
    try {
      formData.set("assertion", await getAssertion(loginId));
      submit(formData, { method: "post" });
    } catch (error) {
      setKeyError(describeWebauthnError(error));
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const formData = new FormData(event.currentTarget);
    if (formData.get("deviceType") !== "webauthn") return checkAndSubmit(event);
    // The key's answer is the code: nothing to check before the browser asks for it.
    event.preventDefault();
    void withSecurityKey(formData);
  }

  return { keyError, onSubmit };
}
