import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { type FormEvent, useState } from "react";
import { looksLikeRecoveryCode } from "~/.server/auth/mfa";
import { hitRateLimit, ipKey, LIMITS, throttled } from "~/.server/auth/rate-limit";
import { getSession, needsFirstSignInSetup } from "~/.server/auth/session";
import { sendSignInEmailCode, signIn, signInWithPasskey } from "~/.server/auth/sign-in";
import { getTermsAcceptance } from "~/.server/auth/terms";
import { deviceCookie, getClient, safeRedirectPath } from "~/.server/http";
import { getDestinationProgram } from "~/.server/programs";
import { SelectField } from "~/components/form-bits";
import { Alert, Button, FormActions, LinkButton, TextField } from "~/components/ui";
import { SECOND_FACTOR_LABELS, SECOND_FACTOR_TYPES } from "~/lib/mfa";
import { LoginIdSchema } from "~/lib/schemas";
import { useHydrated } from "~/lib/use-hydrated";
import { describeWebauthnError, getAssertion, webauthnSupported } from "~/lib/webauthn-client";

const COPY = {
  title: "Log In - CMS.gov | QualityNet",
  heading: "Welcome to CMS Enterprise Portal",
  userId: "User ID",
  password: "Password",
  deviceType: "MFA Device Type",
  devicePlaceholder: "Select MFA Device Type",
  code: "Security Code",
  codeHint:
    "The code from your device, a One-Time Security Code or a recovery code. Leave it empty if you have not set up a device yet.",
  next: "Next",
  login: "Log In",
  cancel: "Cancel",
  forgot: "Forgot User ID?",
  forgotPassword: "Forgot your password?",
  register: "New user registration",
  signedInAs: "User ID:",
  unableHeading: "Unable to Access Security Code?",
  unableText:
    "If you cannot get a code from your device, answer your challenge questions and we will email a One-Time Security Code to the address on your profile; or use one of your recovery codes. If neither works, contact the help desk to reset your device after verifying who you are.",
  registerHeading: "Need to Register an MFA Device?",
  registerText:
    "If you have not set up a device yet, log in with your password and leave Security Code empty; you will be taken to New User Enrollment to register an authenticator app or a security key.",
  notices: {
    reset: "Your password was changed. Log in with your new password.",
    signedOut: "You have signed out.",
    expired: "Your session ended after 30 minutes without activity. Please log in again.",
    codeSent:
      'We emailed a One-Time Security Code to the address on your profile. Enter your password, choose MFA Device Type "One-Time Security Code" and enter the code.',
  } as Record<string, string>,
  send: "Send",
  sendHint:
    "For Email, choose it above and select Send: we email a code to the address on your profile. Security Key needs JavaScript.",
  sent: "If Email is one of your MFA devices, we sent a security code to the address on your profile. It works for 10 minutes.",
  unableLink: "Answer your challenge questions",
  useRecovery: "Use a recovery code",
  passkey: "Log In with a Passkey",
  passkeyOr: "Or, if you registered a passkey:",
  passkeyFailed: "That passkey could not be used to log in. Log in with your User ID instead.",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

async function requireTerms(context: LoaderFunctionArgs["context"], request: Request) {
  const acceptance = await getTermsAcceptance(context.deps, request);
  // Sign-in comes after the Terms and Conditions (SPEC 2.1).
  if (!acceptance) {
    const url = new URL(request.url);
    const program = url.searchParams.get("program");
    throw redirect(program ? `/terms?program=${encodeURIComponent(program)}` : "/terms");
  }
  return acceptance;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getSession(context.deps, request)) throw redirect("/welcome");
  const acceptance = await requireTerms(context, request);
  const program = await getDestinationProgram(context.deps, acceptance.programCode);
  const url = new URL(request.url);
  const notice = ["reset", "signedOut", "expired", "codeSent"].find((k) => url.searchParams.has(k));
  // Back from "Unable to Access Security Code?": straight to step 2.
  const resumeId = LoginIdSchema.safeParse(url.searchParams.get("userId") ?? "");
  const resume: Step2 | null =
    url.searchParams.get("step") === "2" && resumeId.success
      ? { step: 2, loginId: resumeId.data, deviceType: url.searchParams.get("device") ?? "" }
      : null;
  return {
    programName: program?.name ?? null,
    notice: notice ? COPY.notices[notice] : null,
    redirectTo: safeRedirectPath(url.searchParams.get("redirectTo"), ""),
    resume,
  };
}

type Step2 = {
  step: 2;
  loginId: string;
  error?: string;
  info?: string;
  fieldErrors?: Record<string, string>;
  deviceType?: string;
};

export async function action({ request, context }: ActionFunctionArgs) {
  await requireTerms(context, request);
  const form = await request.formData();
  if (form.get("intent") === "passkey") {
    const assertion = parseJson(form.get("assertion"));
    const result = assertion
      ? await signInWithPasskey(context.deps, assertion, await getClient(context, request))
      : ({ ok: false, message: COPY.passkeyFailed } as const);
    if (!result.ok)
      return data({ step: 1 as const, error: result.message ?? COPY.passkeyFailed, field: false }, { status: 401 });
    return redirect(await landingFor(context, result.value.userId, form), {
      headers: await signedInHeaders(result.value),
    });
  }
  const parsedId = LoginIdSchema.safeParse(form.get("userId"));
  if (!parsedId.success)
    return data({ step: 1 as const, error: parsedId.error.issues[0].message, field: true }, { status: 400 });
  const loginId = parsedId.data;

  const intent = form.get("intent");
  if (intent === "send-code") {
    const deviceType = String(form.get("deviceType") ?? "");
    if (deviceType !== "email") {
      return data(
        {
          step: 2,
          loginId,
          deviceType,
          fieldErrors: { deviceType: 'Choose MFA Device Type "Email" to have a code sent.' },
        } satisfies Step2,
        { status: 400 },
      );
    }
    const sent = await sendSignInEmailCode(context.deps, loginId, await getClient(context, request));
    return { step: 2, loginId, deviceType, info: sent.ok ? COPY.sent : sent.message } satisfies Step2;
  }
  if (intent !== "login") {
    // Step 1 ("Next") reveals nothing, but scripts start here: throttled per client.
    const throttle = await hitRateLimit(context.deps, ipKey("signin-step1", context.clientIp), LIMITS.signInStep1PerIp);
    if (!throttle.allowed)
      return data(
        { step: 1 as const, error: throttled("log-in attempts", throttle.retryAfterSeconds).message!, field: false },
        { status: 429 },
      );
    return { step: 2, loginId } satisfies Step2;
  }

  const password = String(form.get("password") ?? "");
  const deviceType = String(form.get("deviceType") ?? "") || null;
  const code =
    (deviceType === "webauthn" ? String(form.get("assertion") ?? "") : String(form.get("code") ?? "")).trim() || null;
  const fieldErrors: Record<string, string> = {};
  if (!password) fieldErrors.password = "Enter your password.";
  if (code && deviceType !== "recovery" && deviceType !== "webauthn" && !/^\d{6}$/.test(code.replace(/\s+/g, "")))
    fieldErrors.code = "Enter the 6 digits of your security code.";
  if (code && deviceType === "recovery" && !looksLikeRecoveryCode(code))
    fieldErrors.code = "Enter a recovery code: 28 letters and digits, like 7K3M-9P2X-…";
  if (code && !deviceType) fieldErrors.deviceType = "Select the MFA Device Type that shows the code.";
  if (Object.keys(fieldErrors).length > 0)
    return data({ step: 2, loginId, fieldErrors, deviceType: deviceType ?? "" } satisfies Step2, { status: 400 });

  const client = await getClient(context, request);
  const result = await signIn(context.deps, { loginId, password, deviceType, code }, client);
  if (!result.ok) {
    return data({ step: 2, loginId, error: result.message, deviceType: deviceType ?? "" } satisfies Step2, {
      status: result.code === "throttled" ? 429 : 401,
    });
  }
  return redirect(await landingFor(context, result.value.userId, form), {
    headers: await signedInHeaders(result.value),
  });
}

async function signedInHeaders(success: { setCookie: string; newDeviceToken: string | null }) {
  const headers = new Headers({ "Set-Cookie": success.setCookie });
  if (success.newDeviceToken) headers.append("Set-Cookie", await deviceCookie.serialize(success.newDeviceToken));
  return headers;
}

async function landingFor(context: ActionFunctionArgs["context"], userId: string, form: FormData) {
  return (await needsFirstSignInSetup(context.deps, userId))
    ? "/first-sign-in"
    : safeRedirectPath(form.get("redirectTo"));
}

function parseJson(value: FormDataEntryValue | null) {
  try {
    const parsed = JSON.parse(String(value ?? ""));
    return typeof parsed?.challengeId === "string" && typeof parsed?.response?.id === "string" ? parsed : null;
  } catch {
    return null;
  }
}

export default function Login() {
  const { programName, notice, redirectTo, resume } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const step2 = result?.step === 2 ? (result as Step2) : result ? null : resume;
  const hydrated = useHydrated();
  const submit = useSubmit();
  const [keyError, setKeyError] = useState<string | null>(null);

  /** With JavaScript: a security key answers instead of a typed code. */
  async function onStep2Submit(event: FormEvent<HTMLFormElement>) {
    const form = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    if (form.get("deviceType") !== "webauthn" || form.get("intent") !== "login") return;
    event.preventDefault();
    setKeyError(null);
    try {
      form.set("assertion", await getAssertion(String(form.get("userId"))));
      submit(form, { method: "post" });
    } catch (error) {
      setKeyError(describeWebauthnError(error));
    }
  }

  async function signInWithPasskeyClick() {
    setKeyError(null);
    try {
      const form = new FormData();
      form.set("intent", "passkey");
      form.set("redirectTo", redirectTo);
      form.set("assertion", await getAssertion(null));
      submit(form, { method: "post" });
    } catch (error) {
      setKeyError(describeWebauthnError(error));
    }
  }

  return (
    <div className="login-card">
      <h1>{COPY.heading}</h1>
      {programName ? <p className="hint">{programName}</p> : null}
      {step2?.info ? (
        <Alert variant="success" role="status">
          <p>{step2.info}</p>
        </Alert>
      ) : null}
      {notice && !result ? (
        <Alert variant="info" role="status">
          <p>{notice}</p>
        </Alert>
      ) : null}
      {keyError ? (
        <Alert variant="error" role="alert">
          <p>{keyError}</p>
        </Alert>
      ) : null}
      {result?.step === 1 && !result.field ? (
        <Alert variant="error" role="alert">
          <p>{result.error}</p>
        </Alert>
      ) : null}
      {step2?.error ? (
        <Alert variant="error" role="alert">
          <p>{step2.error}</p>
        </Alert>
      ) : null}

      {step2 ? (
        <Form method="post" key="step2" onSubmit={(e) => void onStep2Submit(e)}>
          {/* Enter in a field submits with the first submit button: make that Log In, not Send. */}
          <button type="submit" name="intent" value="login" hidden tabIndex={-1} />
          <input type="hidden" name="userId" value={step2.loginId} />
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <p>
            {COPY.signedInAs} <strong>{step2.loginId}</strong>
          </p>
          <TextField
            label={COPY.password}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            error={step2.fieldErrors?.password}
          />
          <SelectField
            label={COPY.deviceType}
            name="deviceType"
            placeholder={COPY.devicePlaceholder}
            defaultValue={step2.deviceType ?? ""}
            // The same list for everyone (SPEC 2.2): it says nothing about the account.
            options={SECOND_FACTOR_TYPES.map((k) => ({ value: k, label: SECOND_FACTOR_LABELS[k] }))}
            hint={COPY.sendHint}
            error={step2.fieldErrors?.deviceType}
          />
          <p>
            <Button name="intent" value="send-code" variant="secondary" formNoValidate>
              {COPY.send}
            </Button>
          </p>
          <TextField
            label={COPY.code}
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={40}
            hint={COPY.codeHint}
            error={step2.fieldErrors?.code}
          />
          <div className="actions">
            <Button disabled={busy} name="intent" value="login">
              {COPY.login}
            </Button>
            <LinkButton to="/login" variant="secondary">
              {COPY.cancel}
            </LinkButton>
          </div>
          <p>
            <Link to="/forgot-password">{COPY.forgotPassword}</Link>
          </p>
          <section className="help-section" aria-labelledby="unable-heading">
            <h2 id="unable-heading">{COPY.unableHeading}</h2>
            <p>{COPY.unableText}</p>
            <ul className="plain-links">
              <li>
                <Link to={`/login/recover?userId=${encodeURIComponent(step2.loginId)}`}>{COPY.unableLink}</Link>
              </li>
              <li>
                <Link to={`/login?step=2&userId=${encodeURIComponent(step2.loginId)}&device=recovery`}>
                  {COPY.useRecovery}
                </Link>
              </li>
            </ul>
          </section>
          <section className="help-section" aria-labelledby="register-device-heading">
            <h2 id="register-device-heading">{COPY.registerHeading}</h2>
            <p>{COPY.registerText}</p>
          </section>
        </Form>
      ) : (
        <Form method="post" key="step1">
          <input type="hidden" name="intent" value="next" />
          <TextField
            label={COPY.userId}
            name="userId"
            autoComplete="username"
            autoCapitalize="characters"
            spellCheck={false}
            required
            maxLength={20}
            error={result?.step === 1 && result.field ? result.error : undefined}
          />
          <FormActions submit={COPY.next} cancelTo="/" cancel={COPY.cancel} busy={busy} />
          {hydrated && webauthnSupported() ? (
            <div className="passkey">
              <p>{COPY.passkeyOr}</p>
              <button type="button" className="ds-c-button" onClick={() => void signInWithPasskeyClick()}>
                {COPY.passkey}
              </button>
            </div>
          ) : null}
        </Form>
      )}
      <ul className="plain-links">
        <li>
          <Link to="/forgot-user-id">{COPY.forgot}</Link>
        </li>
        <li>
          <Link to="/register">{COPY.register}</Link>
        </li>
      </ul>
    </div>
  );
}
