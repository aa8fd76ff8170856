import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { type FormEvent, useState } from "react";
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
import { hitRateLimit, ipKey, LIMITS } from "~/.server/auth/rate-limit";
import { getSession, needsFirstSignInSetup } from "~/.server/auth/session";
import { sendSignInEmailCode, signIn, signInWithPasskey } from "~/.server/auth/sign-in";
import { getTermsAcceptance, linkTermsAcceptance } from "~/.server/auth/terms";
import { getDestinationProgram } from "~/.server/programs";
import type { CodeOf } from "~/.server/result";
import { safeRedirectPath } from "~/.server/safe-redirect";
import { ErrorSummary, PasswordField, SelectField, TextField } from "~/components/fields";
import { Alert, Button, FormActions, LinkButton } from "~/components/ui";
import { lockedMessage, tooManyFromNetwork } from "~/lib/auth-copy";
import { type FailureCopy, factDate, wordsFor } from "~/lib/failure-words";
import { type FormReply, resultFor, useSchemaForm } from "~/lib/forms";
import { SECOND_FACTOR_LABELS, SECOND_FACTOR_TYPES } from "~/lib/mfa";
import { LoginIdSchema } from "~/lib/schemas";
import { LoginSchema, LoginStartSchema, PasskeyLoginSchema } from "~/lib/sign-in-schemas";
import { useHydrated } from "~/lib/use-hydrated";
import { describeWebauthnError, getAssertion, webauthnSupported } from "~/lib/webauthn-client";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse } from "~/web/.server/guards";
import { deviceCookie, getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

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
  tooManyAttempts: tooManyFromNetwork("log-in attempts"),
  tooManyRequests: tooManyFromNetwork("requests"),
};

/** Why step 2 did not sign in: one answer for every wrong User ID, password or code (SPEC 2.2). */
const SIGN_IN_FAILURES = {
  invalid: "The User ID, password or security code is not correct.",
  locked: (facts) => lockedMessage(factDate(facts, "until")),
  throttled: COPY.tooManyAttempts,
  temporary_expired:
    'Your temporary password has expired or was already used. Use "Forgot your password?" to get a new one.',
} satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof signIn>>>>;

const PASSKEY_FAILURES = {
  invalid: COPY.passkeyFailed,
  locked: COPY.passkeyFailed,
  throttled: COPY.tooManyAttempts,
} satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof signInWithPasskey>>>>;

const SEND_CODE_FAILURES = {
  throttled: COPY.tooManyRequests,
} satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof sendSignInEmailCode>>>>;

export const meta: MetaFunction = () => [{ title: COPY.title }];

async function requireTerms(context: LoaderArgs["context"], request: Request) {
  const acceptance = await getTermsAcceptance(context.deps, request);
  // Sign-in comes after the Terms and Conditions (SPEC 2.1).
  if (!acceptance) {
    const url = new URL(request.url);
    const params = new URLSearchParams();
    const program = url.searchParams.get("program");
    if (program) params.set("program", program);
    // A link that asked for sign-in (an approver's email) still leads there after the terms.
    const redirectTo = safeRedirectPath(url.searchParams.get("redirectTo"), "");
    if (redirectTo) params.set("redirectTo", redirectTo);
    throw redirect(params.size > 0 ? `/terms?${params}` : "/terms");
  }
  return acceptance;
}

export async function loader({ request, context }: LoaderArgs) {
  if (await getSession(context.deps, request)) throw redirect("/welcome");
  const acceptance = await requireTerms(context, request);
  const program = await getDestinationProgram(context.deps, acceptance.programCode);
  const url = new URL(request.url);
  const notice = ["reset", "signedOut", "expired", "codeSent"].find((k) => url.searchParams.has(k));
  // Back from "Unable to Access Security Code?": straight to step 2.
  const resumeId = LoginIdSchema.safeParse(url.searchParams.get("userId") ?? "");
  const resume: Step2 | null =
    url.searchParams.get("step") === "2" && resumeId.success
      ? { loginId: resumeId.data, deviceType: url.searchParams.get("device") ?? "" }
      : null;
  return {
    programName: program?.name ?? null,
    notice: notice ? COPY.notices[notice] : null,
    redirectTo: safeRedirectPath(url.searchParams.get("redirectTo"), ""),
    resume,
  };
}

/** The screen's forms: step 1 (User ID), step 2 (password and second factor), and the passkey button. */
const START_FORM = "login-start";
const LOGIN_FORM = "login";
const PASSKEY_FORM = "passkey";

/** Where step 2 starts: the User ID it is for, the device type to preselect, a notice to show. */
type Step2 = { loginId: string; deviceType?: string; info?: string };

export async function action({ request, context }: ActionArgs) {
  const acceptance = await requireTerms(context, request);
  const formData = await request.formData();
  const intent = formData.get("intent");

  if (intent === "passkey") {
    const submission = parseWithZod(formData, { schema: PasskeyLoginSchema });
    if (submission.status !== "success")
      return formFailure(PASSKEY_FORM, submission, { formErrors: [COPY.passkeyFailed] }, 401);
    const result = await signInWithPasskey(context.deps, submission.value.assertion, await getClient(context, request));
    if (!result.ok) {
      if (result.code === "refused") return refuse(result.refusal, request);
      return formFailure(PASSKEY_FORM, submission, { formErrors: [wordsFor(PASSKEY_FAILURES, result)] }, 401);
    }
    return redirect(await landingFor(context, result.value.userId, formData, acceptance.id), {
      headers: await signedInHeaders(result.value),
    });
  }

  if (intent !== "login" && intent !== "send-code") {
    // Step 1 ("Next") reveals nothing, but scripts start here: throttled per client.
    const submission = parseWithZod(formData, { schema: LoginStartSchema });
    if (submission.status !== "success") return formFailure(START_FORM, submission);
    const throttle = await hitRateLimit(context.deps, ipKey("signin-step1", context.clientIp), LIMITS.signInStep1PerIp);
    if (!throttle.allowed)
      return formFailure(
        START_FORM,
        submission,
        { formErrors: [COPY.tooManyAttempts({ retryAfterSeconds: throttle.retryAfterSeconds })] },
        429,
      );
    return formSuccess(START_FORM, submission, { loginId: submission.value.userId } satisfies Step2);
  }

  const submission = parseWithZod(formData, { schema: LoginSchema });
  // A step-2 post without a usable User ID starts again at step 1.
  if (submission.status !== "success" && submission.error?.userId)
    return formFailure(START_FORM, submission, { hideFields: ["userId"] });
  if (submission.status !== "success") return formFailure(LOGIN_FORM, submission);
  const { userId: loginId, password, deviceType, secondFactor } = submission.value;

  if (submission.value.intent === "send-code") {
    const sent = await sendSignInEmailCode(context.deps, loginId, await getClient(context, request));
    if (!sent.ok && sent.code === "refused") return refuse(sent.refusal, request);
    return formSuccess(LOGIN_FORM, submission, {
      loginId,
      deviceType: "email",
      info: sent.ok ? COPY.sent : wordsFor(SEND_CODE_FAILURES, sent),
    } satisfies Step2);
  }

  const client = await getClient(context, request);
  const result = await signIn(
    context.deps,
    { loginId, password, deviceType: deviceType ?? null, code: secondFactor },
    client,
  );
  if (!result.ok) {
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(
      LOGIN_FORM,
      submission,
      { formErrors: [wordsFor(SIGN_IN_FAILURES, result)] },
      result.code === "throttled" ? 429 : 401,
    );
  }
  return redirect(await landingFor(context, result.value.userId, formData, acceptance.id), {
    headers: await signedInHeaders(result.value),
  });
}

async function signedInHeaders(success: { setCookie: string; newDeviceToken: string | null }) {
  const headers = new Headers({ "Set-Cookie": success.setCookie });
  if (success.newDeviceToken) headers.append("Set-Cookie", await deviceCookie.serialize(success.newDeviceToken));
  return headers;
}

async function landingFor(context: ActionArgs["context"], userId: string, form: FormData, acceptanceId: string) {
  // The acceptance this browser made becomes the account's record of the version it accepted.
  await linkTermsAcceptance(context.deps, acceptanceId, userId);
  return (await needsFirstSignInSetup(context.deps, userId))
    ? "/first-sign-in"
    : safeRedirectPath(form.get("redirectTo"));
}

/** Step 2 after this answer, if the answer leads there. */
function step2From(actionData: unknown, resume: Step2 | null): Step2 | null {
  if (!actionData) return resume;
  const answer = actionData as { formId?: string; result?: FormReply; done?: Step2 };
  if (answer.done) return answer.done;
  if (answer.formId !== LOGIN_FORM) return null;
  // A failed step 2 keeps its User ID (a hidden field) with the rest of the input.
  const kept = answer.result?.initialValue ?? {};
  return { loginId: String(kept.userId ?? ""), deviceType: typeof kept.deviceType === "string" ? kept.deviceType : "" };
}

export default function Login() {
  const { programName, notice, redirectTo, resume } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const step2 = step2From(actionData, resume);
  const [keyError, setKeyError] = useState<string | null>(null);
  const passkeyError = resultFor(actionData, PASSKEY_FORM)?.error?.[""]?.[0];

  return (
    <div className="login-card">
      <h1>{COPY.heading}</h1>
      {programName ? <p className="hint">{programName}</p> : null}
      {step2?.info ? (
        <Alert variant="success" role="status">
          <p>{step2.info}</p>
        </Alert>
      ) : null}
      {notice && !actionData ? (
        <Alert variant="info" role="status">
          <p>{notice}</p>
        </Alert>
      ) : null}
      {keyError ? (
        <Alert variant="error" role="alert">
          <p>{keyError}</p>
        </Alert>
      ) : null}
      {passkeyError ? (
        <Alert variant="error" role="alert">
          <p>{passkeyError}</p>
        </Alert>
      ) : null}
      {step2 ? (
        <Step2Form
          // A new start after "Send": the device type it was for is preselected.
          key={`step2-${step2.loginId}-${step2.info ?? ""}`}
          step2={step2}
          redirectTo={redirectTo}
          actionData={actionData}
          onKeyError={setKeyError}
        />
      ) : (
        <Step1Form key="step1" redirectTo={redirectTo} actionData={actionData} onKeyError={setKeyError} />
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

function Step1Form({
  redirectTo,
  actionData,
  onKeyError,
}: {
  redirectTo: string;
  actionData: unknown;
  onKeyError: (message: string | null) => void;
}) {
  const busy = useNavigation().state === "submitting";
  const hydrated = useHydrated();
  const submit = useSubmit();
  const [form, fields] = useSchemaForm({
    id: START_FORM,
    schema: () => import("~/lib/sign-in-schemas").then((m) => m.LoginStartSchema),
    actionData,
  });

  async function signInWithPasskeyClick() {
    onKeyError(null);
    try {
      const formData = new FormData();
      formData.set("intent", "passkey");
      formData.set("redirectTo", redirectTo);
      formData.set("assertion", await getAssertion(null));
      submit(formData, { method: "post" });
    } catch (error) {
      onKeyError(describeWebauthnError(error));
    }
  }

  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="next" />
        <TextField
          label={COPY.userId}
          field={fields.userId}
          autoComplete="username"
          autoCapitalize="characters"
          spellCheck={false}
          required
          maxLength={20}
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
    </>
  );
}

function Step2Form({
  step2,
  redirectTo,
  actionData,
  onKeyError,
}: {
  step2: Step2;
  redirectTo: string;
  actionData: unknown;
  onKeyError: (message: string | null) => void;
}) {
  const busy = useNavigation().state === "submitting";
  const submit = useSubmit();
  const [form, fields] = useSchemaForm({
    id: LOGIN_FORM,
    schema: () => import("~/lib/sign-in-schemas").then((m) => m.LoginSchema),
    actionData,
    defaultValue: { userId: step2.loginId, deviceType: step2.deviceType ?? "" },
  });

  /** With JavaScript: a security key answers instead of a typed code. */
  async function withSecurityKey(formData: FormData) {
    onKeyError(null);
    try {
      formData.set("assertion", await getAssertion(String(formData.get("userId"))));
      submit(formData, { method: "post" });
    } catch (error) {
      onKeyError(describeWebauthnError(error));
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    form.onSubmit(event);
    if (event.defaultPrevented) return;
    const formData = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    if (formData.get("deviceType") !== "webauthn" || formData.get("intent") !== "login") return;
    event.preventDefault();
    void withSecurityKey(formData);
  }

  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)} onSubmit={onSubmit}>
        {/* Enter in a field submits with the first submit button: make that Log In, not Send. */}
        <button type="submit" name="intent" value="login" hidden tabIndex={-1} />
        <input type="hidden" name="userId" value={step2.loginId} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <p>
          {COPY.signedInAs} <strong>{step2.loginId}</strong>
        </p>
        <PasswordField
          label={COPY.password}
          field={fields.password}
          autoComplete="current-password"
          required
          autoFocus
        />
        <SelectField
          label={COPY.deviceType}
          field={fields.deviceType}
          placeholder={COPY.devicePlaceholder}
          // The same list for everyone (SPEC 2.2): it says nothing about the account.
          options={SECOND_FACTOR_TYPES.map((k) => ({ value: k, label: SECOND_FACTOR_LABELS[k] }))}
          hint={COPY.sendHint}
        />
        <p>
          <Button name="intent" value="send-code" variant="secondary" formNoValidate>
            {COPY.send}
          </Button>
        </p>
        <PasswordField
          label={COPY.code}
          field={fields.code}
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={40}
          hint={COPY.codeHint}
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
    </>
  );
}
