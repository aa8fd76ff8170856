import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useRef, useState } from "react";
import {
  Form,
  Link,
  type MetaFunction,
  redirect,
  useActionData,
  useLoaderData,
  useNavigation,
  useSubmit,
} from "react-router";
import { confirmDevice } from "~/.server/auth/mfa";
import { rotateSession } from "~/.server/auth/session";
import { verifyRegistration } from "~/.server/auth/webauthn";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, TextField } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { SecurityKeySchema } from "~/lib/enrollment-schemas";
import { type FailureCopy, wordsFor } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { useHydrated } from "~/lib/use-hydrated";
import { createCredential, describeWebauthnError, webauthnSupported } from "~/lib/webauthn-client";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireEnrollee } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Register a security key or passkey - CMS.gov | QualityNet",
  heading: "Register a security key or passkey",
  intro:
    "Use a USB or NFC security key, or a passkey saved on this device or your phone. With a passkey you can later log in without a password.",
  name: "Device name",
  nameHint: 'For example "Blue USB key".',
  register: "Register Security Key",
  noScript:
    "Security keys and passkeys need JavaScript, which is off in this browser. Turn it on and reload this page, or choose another kind of device:",
  unsupported: "This browser does not support security keys or passkeys. Choose another kind of device:",
  others: [
    { to: "/enrollment/totp", label: "Authenticator app" },
    { to: "/enrollment/email", label: "Email" },
  ],
  noCredential: "Your browser did not send a security key. Try again.",
  failures: {
    challenge: "That request expired. Try again.",
    invalid: "The security key's answer could not be verified. Try again.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof verifyRegistration>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  return { from: new URL(request.url).searchParams.get("from") === "profile" ? "profile" : "enrollment" };
}

const FORM_ID = "security-key";

export async function action({ request, context }: ActionArgs) {
  const { user, session } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const submission = parseWithZod(await request.formData(), { schema: SecurityKeySchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission);
  const { from, name, credential } = submission.value;
  if (!credential) return formFailure(FORM_ID, submission, { formErrors: [COPY.noCredential] });
  const result = await verifyRegistration(context.deps, user, { ...credential, name });
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(FORM_ID, submission, { formErrors: [wordsFor(COPY.failures, result)] });
  }
  await confirmDevice(context.deps, user, result.value.deviceId, "webauthn", await getClient(context, request));
  // A new session id; proving a security key makes this session strong, and it bound a device.
  const rotated = await rotateSession(context.deps, session, { strong: true, deviceBound: true });
  throw redirect(
    from === "profile" ? "/profile/devices?added=1" : "/enrollment/finish",
    rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined,
  );
}

export default function SecurityKeySetup() {
  const { from } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.SecurityKeySchema),
    actionData,
    defaultValue: { name: "Security key" },
  });
  const hydrated = useHydrated();
  const submit = useSubmit();
  const busy = useNavigation().state === "submitting";
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const suffix = from === "profile" ? "?from=profile" : "";
  const others = (
    <ul>
      {COPY.others.map((o) => (
        <li key={o.to}>
          <Link to={`${o.to}${suffix}`}>{o.label}</Link>
        </li>
      ))}
    </ul>
  );

  async function register() {
    setError(null);
    setWorking(true);
    try {
      const credential = await createCredential();
      const form = new FormData(formRef.current!);
      form.set("credential", credential);
      submit(form, { method: "post" });
    } catch (e) {
      setError(describeWebauthnError(e));
    } finally {
      setWorking(false);
    }
  }

  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      {!hydrated ? (
        <Alert variant="warning">
          <p>{COPY.noScript}</p>
          {others}
        </Alert>
      ) : !webauthnSupported() ? (
        <Alert variant="warning">
          <p>{COPY.unsupported}</p>
          {others}
        </Alert>
      ) : (
        <Form
          method="post"
          ref={formRef}
          {...getFormProps(form)}
          onSubmit={(e) => {
            // The schema checks the name first; the browser then makes the credential.
            form.onSubmit(e);
            if (e.defaultPrevented) return;
            e.preventDefault();
            void register();
          }}
        >
          <input type="hidden" name="from" value={from} />
          <ErrorSummary form={form} />
          {error ? (
            <Alert variant="error" role="alert">
              <p>{error}</p>
            </Alert>
          ) : null}
          <TextField label={COPY.name} field={fields.name} maxLength={40} hint={COPY.nameHint} />
          <Button disabled={busy || working}>{COPY.register}</Button>
        </Form>
      )}
    </div>
  );
}
