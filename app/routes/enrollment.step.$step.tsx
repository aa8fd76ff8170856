import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { rotateSession } from "~/.server/auth/session";
import { requireEnrollee } from "~/.server/guards";
import { getClient } from "~/.server/http";
import {
  ALREADY_CHECKING_MESSAGE,
  requestManualProofing,
  saveStep,
  startAttempt,
  submitAnswers,
  submitApplicant,
} from "~/.server/proofing/enrollment";
import { InlineError } from "~/components/ds";
import { ErrorSummary, flattenErrors, SelectField } from "~/components/form-bits";
import { Alert, Button, LinkButton, TextField } from "~/components/ui";
import { MAX_ATTEMPTS, NOT_VERIFIED_MESSAGE, STEPS, type StepName } from "~/lib/enrollment";
import { parseForm } from "~/lib/forms";
import { PhoneSchema } from "~/lib/schemas";
import { STATES } from "~/lib/states";

const COPY = {
  title: (step: string) => `New User Enrollment: ${step} - CMS.gov | QualityNet`,
  heading: "New User Enrollment",
  progress: (n: number) => `Step ${n} of 6`,
  names: {
    consent: "Consent",
    identity: "Legal name and date of birth",
    address: "Address",
    phone: "Phone and SSN",
    questions: "Verification questions",
    result: "Result",
  } as Record<StepName, string>,
  continue: "Continue",
  consentText:
    "To protect the data in QualityNet, we verify your identity with an identity-proofing service. It checks the information you give against public and credit records and asks questions only you should know. This does not affect your credit score.",
  consentBox: "I consent to CMS verifying my identity with the information I provide.",
  attemptsLeft: (n: number) => `You have ${n} of ${MAX_ATTEMPTS} attempts left in the next 24 hours.`,
  firstName: "Legal First Name",
  middleName: "Middle Name (optional)",
  lastName: "Legal Last Name",
  dob: "Date of Birth",
  dobHint: "For example 1974-03-12.",
  line1: "Street Address",
  line2: "Address Line 2 (optional)",
  city: "City",
  state: "State",
  zip: "ZIP Code",
  phone: "Phone Number",
  ssn: "Last 4 Digits of Social Security Number",
  ssnHint: "We send these to the identity-proofing service and do not keep them.",
  questionsIntro: 'Answer each question about your history. Choose "None of the above" if no choice applies.',
  submitAnswers: "Submit Answers",
  verifiedHeading: "Your identity is verified",
  verifiedText: "Next, register an MFA device: the second factor you will use every time you log in.",
  toMfa: "Register an MFA Device",
  failedText: "The information or answers did not match the identity-proofing service's records.",
  tryAgain: "Try Again",
  manualHeading: "Ask the help desk to verify you",
  manualText:
    "You have used all 3 online attempts for the next 24 hours. The help desk can verify your identity by phone or with documents. Ask for manual proofing and they will contact you.",
  manualNote: "Anything the help desk should know (optional)",
  manualSubmit: "Request Manual Proofing",
  manualOpen:
    "Your request for manual proofing is with the help desk. They will contact you at the email address and phone number on your profile.",
};

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: COPY.title(data ? COPY.names[data.step] : "") },
];

function stepOf(param: string | undefined): StepName {
  const step = STEPS.find((s) => s === param);
  if (!step) throw new Response("Not Found", { status: 404 });
  return step;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const step = stepOf(params.step);
  const { user, state } = await requireEnrollee(context.deps, request);
  if (state.identityVerified && step !== "result") throw redirect("/enrollment");
  const attempt = state.attempt;
  const inProgress = attempt?.status === "in_progress";
  const index = STEPS.indexOf(step) + 1;
  // Resumable, but in order: a step not reached yet sends the user to the right one.
  if (step !== "consent" && step !== "result" && (!inProgress || index > attempt!.step)) throw redirect("/enrollment");
  if (step === "consent" && inProgress) throw redirect(`/enrollment/step/${STEPS[attempt!.step - 1]}`);
  return {
    step,
    index,
    data: attempt?.data ?? {},
    profile: { firstName: user.firstName, lastName: user.lastName, phone: user.phone ?? "" },
    attemptsLeft: state.attemptsLeft,
    verified: state.identityVerified,
    lastStatus: attempt?.status ?? null,
    manualRequest: state.manualRequest?.status ?? null,
  };
}

const IdentitySchema = z.object({
  firstName: z.string().trim().min(1, "Enter your legal first name.").max(50),
  middleName: z.string().trim().max(50).optional().default(""),
  lastName: z.string().trim().min(1, "Enter your legal last name.").max(50),
  dateOfBirth: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter your date of birth as YYYY-MM-DD, for example 1974-03-12.")
    .refine((v) => {
      const d = new Date(`${v}T00:00:00Z`);
      const age = (Date.now() - d.getTime()) / (365.25 * 86400000);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v && age >= 13 && age <= 120;
    }, "Enter a real date of birth."),
});

const AddressSchema = z.object({
  line1: z.string().trim().min(1, "Enter your street address.").max(100),
  line2: z.string().trim().max(100).optional().default(""),
  city: z.string().trim().min(1, "Enter your city.").max(60),
  state: z.string().refine((v) => STATES.some((s) => s[0] === v), "Choose your state."),
  zip: z
    .string()
    .trim()
    .regex(/^\d{5}(-\d{4})?$/, "Enter a 5-digit ZIP Code, like 43212."),
});

const PhoneSsnSchema = z.object({
  phone: PhoneSchema,
  ssnLast4: z
    .string()
    .trim()
    .regex(/^\d{4}$/, "Enter the last 4 digits of your Social Security Number."),
});

/** 409: the attempt is being checked by another request; nothing was sent to the provider. */
const busy = () =>
  data(
    { fieldErrors: { form: ALREADY_CHECKING_MESSAGE } as Record<string, string>, values: {} as Record<string, string> },
    { status: 409 },
  );

export async function action({ request, context, params }: ActionFunctionArgs) {
  const step = stepOf(params.step);
  const { user, state, session } = await requireEnrollee(context.deps, request);
  const deps = context.deps;
  const client = await getClient(context, request);
  const form = await request.formData();
  const attemptId = state.attempt?.status === "in_progress" ? state.attempt.id : null;

  if (step === "consent") {
    if (form.get("consent") !== "yes")
      return data(
        { fieldErrors: { consent: "Check the box to give your consent." } as Record<string, string>, values: {} },
        { status: 400 },
      );
    const started = await startAttempt(deps, user, client);
    if (!started.ok) throw redirect("/enrollment/step/result");
    // A second consent post while an attempt is open resumes it.
    throw redirect(started.value.started ? "/enrollment/step/identity" : "/enrollment");
  }
  if (step === "result") {
    if (form.get("intent") === "manual") {
      const requested = await requestManualProofing(deps, user, String(form.get("note") ?? ""));
      if (!requested.ok)
        return data(
          { fieldErrors: { form: requested.message ?? "" } as Record<string, string>, values: {} },
          { status: 400 },
        );
    }
    throw redirect("/enrollment/step/result");
  }
  // Another request holds the attempt while the provider checks it.
  if (state.attempt?.status === "checking" && (step === "phone" || step === "questions")) return busy();
  if (!attemptId) throw redirect("/enrollment");

  if (step === "identity") {
    const parsed = parseForm(IdentitySchema, form);
    if (!parsed.ok) return data({ fieldErrors: parsed.fieldErrors, values: parsed.values }, { status: 400 });
    await saveStep(deps, user, attemptId, 2, parsed.value);
    throw redirect("/enrollment/step/address");
  }
  if (step === "address") {
    const parsed = parseForm(AddressSchema, form);
    if (!parsed.ok) return data({ fieldErrors: parsed.fieldErrors, values: parsed.values }, { status: 400 });
    await saveStep(deps, user, attemptId, 3, { address: parsed.value });
    throw redirect("/enrollment/step/phone");
  }
  if (step === "phone") {
    const parsed = parseForm(PhoneSsnSchema, form);
    if (!parsed.ok)
      return data({ fieldErrors: parsed.fieldErrors, values: { phone: parsed.values.phone ?? "" } }, { status: 400 });
    const result = await submitApplicant(deps, user, attemptId, parsed.value, client);
    if (!result.ok && result.code === "already_checking") return busy();
    if (!result.ok) throw redirect("/enrollment");
    throw redirect(result.value.found ? "/enrollment/step/questions" : "/enrollment/step/result");
  }
  // questions
  const answers = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
  const result = await submitAnswers(deps, user, attemptId, answers, client);
  if (!result.ok && result.code === "invalid")
    return data({ fieldErrors: flattenErrors(result.fieldErrors), values: answers }, { status: 400 });
  if (!result.ok && result.code === "already_checking") return busy();
  if (!result.ok) throw redirect("/enrollment");
  if (!result.value.verified) throw redirect("/enrollment/step/result");
  // Identity verified: a new session id (ASVS 3.2.1); the old one stops working.
  const rotated = await rotateSession(deps, session);
  throw redirect("/enrollment/step/result", rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined);
}

export default function EnrollmentStep() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors = result?.fieldErrors;
  const values: Record<string, string> = { ...(result?.values ?? {}) };
  const d = loaded.data;
  const value = (name: string, fallback = "") => values[name] ?? fallback;

  return (
    <div className="form-page">
      <p className="hint">
        {COPY.heading} · {COPY.progress(loaded.index)}
      </p>
      <h1>{COPY.names[loaded.step]}</h1>
      <ErrorSummary errors={errors} />

      {loaded.step === "consent" ? (
        <Form method="post">
          <p>{COPY.consentText}</p>
          <p className="hint">{COPY.attemptsLeft(loaded.attemptsLeft)}</p>
          <div className="ds-c-choice-wrapper">
            <input
              type="checkbox"
              id="field-consent"
              className={`ds-c-choice${errors?.consent ? " ds-c-choice--error" : ""}`}
              name="consent"
              value="yes"
              required
              aria-invalid={errors?.consent ? true : undefined}
              aria-describedby={errors?.consent ? "field-consent-error" : undefined}
            />
            <label className="ds-c-label" htmlFor="field-consent">
              {COPY.consentBox}
            </label>
            {errors?.consent ? <InlineError id="field-consent-error">{errors.consent}</InlineError> : null}
          </div>
          <Button disabled={busy}>{COPY.continue}</Button>
        </Form>
      ) : null}

      {loaded.step === "identity" ? (
        <Form method="post">
          <TextField
            label={COPY.firstName}
            name="firstName"
            autoComplete="given-name"
            required
            defaultValue={value("firstName", d.firstName ?? loaded.profile.firstName)}
            error={errors?.firstName}
          />
          <TextField
            label={COPY.middleName}
            name="middleName"
            autoComplete="additional-name"
            defaultValue={value("middleName", d.middleName ?? "")}
            error={errors?.middleName}
          />
          <TextField
            label={COPY.lastName}
            name="lastName"
            autoComplete="family-name"
            required
            defaultValue={value("lastName", d.lastName ?? loaded.profile.lastName)}
            error={errors?.lastName}
          />
          <TextField
            label={COPY.dob}
            name="dateOfBirth"
            type="date"
            autoComplete="bday"
            required
            hint={COPY.dobHint}
            defaultValue={value("dateOfBirth", d.dateOfBirth ?? "")}
            error={errors?.dateOfBirth}
          />
          <Button disabled={busy}>{COPY.continue}</Button>
        </Form>
      ) : null}

      {loaded.step === "address" ? (
        <Form method="post">
          <TextField
            label={COPY.line1}
            name="line1"
            autoComplete="address-line1"
            required
            defaultValue={value("line1", d.address?.line1 ?? "")}
            error={errors?.line1}
          />
          <TextField
            label={COPY.line2}
            name="line2"
            autoComplete="address-line2"
            defaultValue={value("line2", d.address?.line2 ?? "")}
            error={errors?.line2}
          />
          <TextField
            label={COPY.city}
            name="city"
            autoComplete="address-level2"
            required
            defaultValue={value("city", d.address?.city ?? "")}
            error={errors?.city}
          />
          <SelectField
            label={COPY.state}
            name="state"
            autoComplete="address-level1"
            required
            placeholder="Select a state"
            defaultValue={value("state", d.address?.state ?? "")}
            options={STATES.map(([code, name]) => ({
              value: code,
              label: `${name.charAt(0)}${name.slice(1).toLowerCase()}`,
            }))}
            error={errors?.state}
          />
          <TextField
            label={COPY.zip}
            name="zip"
            autoComplete="postal-code"
            inputMode="numeric"
            required
            maxLength={10}
            defaultValue={value("zip", d.address?.zip ?? "")}
            error={errors?.zip}
          />
          <Button disabled={busy}>{COPY.continue}</Button>
        </Form>
      ) : null}

      {loaded.step === "phone" ? (
        <Form method="post">
          <TextField
            label={COPY.phone}
            name="phone"
            type="tel"
            autoComplete="tel"
            required
            defaultValue={value("phone", d.phone ?? loaded.profile.phone)}
            error={errors?.phone}
          />
          <TextField
            label={COPY.ssn}
            name="ssnLast4"
            inputMode="numeric"
            autoComplete="off"
            required
            maxLength={4}
            pattern="[0-9]{4}"
            hint={COPY.ssnHint}
            error={errors?.ssnLast4}
          />
          <Button disabled={busy}>{COPY.continue}</Button>
        </Form>
      ) : null}

      {loaded.step === "questions" ? (
        <Form method="post">
          <p>{COPY.questionsIntro}</p>
          {(d.questions ?? []).map((q) => (
            <fieldset
              key={q.id}
              className={`ds-c-fieldset kba${errors?.[q.id] ? " kba--error" : ""}`}
              aria-describedby={errors?.[q.id] ? `field-${q.id}-error` : undefined}
            >
              <legend>{q.text}</legend>
              {errors?.[q.id] ? <InlineError id={`field-${q.id}-error`}>{errors[q.id]}</InlineError> : null}
              {q.choices.map((choice, i) => (
                <div className="ds-c-choice-wrapper" key={choice}>
                  <input
                    type="radio"
                    className="ds-c-choice"
                    id={i === 0 ? `field-${q.id}` : `field-${q.id}-${i}`}
                    name={q.id}
                    value={choice}
                    required
                    defaultChecked={values[q.id] === choice}
                  />
                  <label className="ds-c-label" htmlFor={i === 0 ? `field-${q.id}` : `field-${q.id}-${i}`}>
                    {choice}
                  </label>
                </div>
              ))}
            </fieldset>
          ))}
          <Button disabled={busy}>{COPY.submitAnswers}</Button>
        </Form>
      ) : null}

      {loaded.step === "result" ? (
        loaded.verified ? (
          <>
            <Alert variant="success" heading={COPY.verifiedHeading} role="status">
              <p>{COPY.verifiedText}</p>
            </Alert>
            <LinkButton to="/enrollment/mfa">{COPY.toMfa}</LinkButton>
          </>
        ) : (
          <>
            {loaded.lastStatus === "failed" ? (
              <Alert variant="error" heading={NOT_VERIFIED_MESSAGE} role="alert">
                <p>{COPY.failedText}</p>
              </Alert>
            ) : null}
            {loaded.attemptsLeft > 0 ? (
              <>
                <p>{COPY.attemptsLeft(loaded.attemptsLeft)}</p>
                <LinkButton to="/enrollment/step/consent">{COPY.tryAgain}</LinkButton>
              </>
            ) : loaded.manualRequest === "open" ? (
              <Alert variant="info" role="status">
                <p>{COPY.manualOpen}</p>
              </Alert>
            ) : (
              <section aria-labelledby="manual-heading">
                <h2 id="manual-heading">{COPY.manualHeading}</h2>
                <p>{COPY.manualText}</p>
                <Form method="post">
                  <input type="hidden" name="intent" value="manual" />
                  <TextField label={COPY.manualNote} name="note" maxLength={500} />
                  <Button disabled={busy}>{COPY.manualSubmit}</Button>
                </Form>
              </section>
            )}
          </>
        )
      ) : null}
    </div>
  );
}
