import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { rotateSession } from "~/.server/auth/session";
import {
  requestManualProofing,
  saveStep,
  startAttempt,
  submitAnswers,
  submitApplicant,
} from "~/.server/proofing/enrollment";
import type { CodeOf } from "~/.server/result";
import { CheckboxField, ErrorSummary, PasswordField, RadioGroup, SelectField, TextField } from "~/components/fields";
import { Alert, Button, LinkButton } from "~/components/ui";
import { MAX_ATTEMPTS, NOT_VERIFIED_MESSAGE, STEPS, type StepName } from "~/lib/enrollment";
import {
  AddressSchema,
  ConsentSchema,
  IdentitySchema,
  kbaAnswersSchema,
  ManualProofingSchema,
  PhoneSsnSchema,
} from "~/lib/enrollment-schemas";
import { type FailureCopy, factNumber, wordsFor } from "~/lib/failure-words";
import { type AnySubmission, useSchemaForm } from "~/lib/forms";
import { STATES } from "~/lib/states";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireEnrollee } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

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
  /** Told to every request but the one that claimed the attempt. */
  alreadyChecking: "Your information is already being checked. Wait a moment, then continue.",
  chooseAnswer: "Choose an answer.",
  manualFailures: {
    not_eligible: (facts) => `Manual proofing is offered after ${factNumber(facts, "after")} unsuccessful attempts.`,
    already_open: "Your request is already with the help desk.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof requestManualProofing>>>>,
};

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: COPY.title(data ? COPY.names[data.step] : "") },
];

function stepOf(param: string | undefined): StepName {
  const step = STEPS.find((s) => s === param);
  if (!step) throw new Response("Not Found", { status: 404 });
  return step;
}

export async function loader({ request, context, params }: LoaderArgs) {
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

/** The form each step shows; a step's answer goes back to its form only. */
const FORM_IDS = {
  consent: "consent",
  identity: "identity",
  address: "address",
  phone: "phone",
  questions: "questions",
  result: "manual",
} as const satisfies Record<StepName, string>;

export async function action({ request, context, params }: ActionArgs) {
  const step = stepOf(params.step);
  const formId = FORM_IDS[step];
  const { user, state, session } = await requireEnrollee(context.deps, request);
  // Identity is proven once: nothing here runs again for a verified account (its proofing
  // session may bind a first device, so a second proofing would sidestep Reset MFA's link).
  if (state.identityVerified) throw redirect("/enrollment");
  const deps = context.deps;
  const client = await getClient(context, request);
  const formData = await request.formData();
  const attemptId = state.attempt?.status === "in_progress" ? state.attempt.id : null;
  /** 409: the attempt is being checked by another request; nothing was sent to the provider. */
  const busy = (submission: AnySubmission) =>
    formFailure(formId, submission, { formErrors: [COPY.alreadyChecking] }, 409);

  if (step === "consent") {
    const submission = parseWithZod(formData, { schema: ConsentSchema });
    if (submission.status !== "success") return formFailure(formId, submission);
    const started = await startAttempt(deps, user, client);
    if (!started.ok) throw redirect("/enrollment/step/result");
    // A second consent post while an attempt is open resumes it.
    throw redirect(started.value.started ? "/enrollment/step/identity" : "/enrollment");
  }
  if (step === "result") {
    if (formData.get("intent") === "manual") {
      const submission = parseWithZod(formData, { schema: ManualProofingSchema });
      if (submission.status !== "success") return formFailure(formId, submission);
      const requested = await requestManualProofing(deps, user, submission.value);
      if (!requested.ok) {
        if (requested.code === "refused") return refuse(requested.refusal, request);
        return formFailure(formId, submission, { formErrors: [wordsFor(COPY.manualFailures, requested)] });
      }
    }
    throw redirect("/enrollment/step/result");
  }

  if (step === "identity") {
    const submission = parseWithZod(formData, { schema: IdentitySchema });
    if (!attemptId) throw redirect("/enrollment");
    if (submission.status !== "success") return formFailure(formId, submission);
    await saveStep(deps, user, attemptId, 2, submission.value);
    throw redirect("/enrollment/step/address");
  }
  if (step === "address") {
    const submission = parseWithZod(formData, { schema: AddressSchema });
    if (!attemptId) throw redirect("/enrollment");
    if (submission.status !== "success") return formFailure(formId, submission);
    await saveStep(deps, user, attemptId, 3, { address: submission.value });
    throw redirect("/enrollment/step/phone");
  }
  if (step === "phone") {
    const submission = parseWithZod(formData, { schema: PhoneSsnSchema });
    // Another request holds the attempt while the provider checks it.
    if (state.attempt?.status === "checking") return busy(submission);
    if (!attemptId) throw redirect("/enrollment");
    if (submission.status !== "success") return formFailure(formId, submission);
    const result = await submitApplicant(deps, user, attemptId, submission.value, client);
    if (!result.ok && result.code === "already_checking") return busy(submission);
    if (!result.ok) throw redirect("/enrollment");
    throw redirect(result.value.found ? "/enrollment/step/questions" : "/enrollment/step/result");
  }
  // questions
  const submission = parseWithZod(formData, { schema: kbaAnswersSchema(state.attempt?.data.questions ?? []) });
  if (state.attempt?.status === "checking") return busy(submission);
  if (!attemptId) throw redirect("/enrollment");
  // The choices are the provider's, shown on this page: not secrets, so they are kept.
  if (submission.status !== "success") return formFailure(formId, submission);
  const result = await submitAnswers(deps, user, attemptId, submission.value, client);
  if (!result.ok && result.code === "unanswered") {
    const unanswered: string[] = JSON.parse(String(result.detail?.questions ?? "[]"));
    return formFailure(formId, submission, {
      fieldErrors: Object.fromEntries(unanswered.map((id) => [id, [COPY.chooseAnswer]])),
    });
  }
  if (!result.ok && result.code === "already_checking") return busy(submission);
  if (!result.ok) throw redirect("/enrollment");
  if (!result.value.verified) throw redirect("/enrollment/step/result");
  // Identity verified: a new session id (ASVS 3.2.1); the old one stops working. This session
  // proved who the person is, so it may bind the first device (NIST SP 800-63B §6.1.2.3).
  const rotated = await rotateSession(deps, session, { firstDeviceProof: "identity_proofing" });
  throw redirect("/enrollment/step/result", rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined);
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function EnrollmentStep() {
  const loaded = useLoaderData<typeof loader>();
  return (
    <div className="form-page">
      <p className="hint">
        {COPY.heading} · {COPY.progress(loaded.index)}
      </p>
      <h1>{COPY.names[loaded.step]}</h1>
      {loaded.step === "consent" ? <ConsentForm loaded={loaded} /> : null}
      {loaded.step === "identity" ? <IdentityForm loaded={loaded} /> : null}
      {loaded.step === "address" ? <AddressForm loaded={loaded} /> : null}
      {loaded.step === "phone" ? <PhoneForm loaded={loaded} /> : null}
      {loaded.step === "questions" ? <QuestionsForm loaded={loaded} /> : null}
      {loaded.step === "result" ? <Result loaded={loaded} /> : null}
    </div>
  );
}

function ConsentForm({ loaded }: { loaded: Loaded }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_IDS.consent,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.ConsentSchema),
    actionData,
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <p>{COPY.consentText}</p>
        <p className="hint">{COPY.attemptsLeft(loaded.attemptsLeft)}</p>
        <CheckboxField field={fields.consent} label={COPY.consentBox} value="yes" required />
        <Button disabled={busy}>{COPY.continue}</Button>
      </Form>
    </>
  );
}

function IdentityForm({ loaded }: { loaded: Loaded }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const d = loaded.data;
  const [form, fields] = useSchemaForm({
    id: FORM_IDS.identity,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.IdentitySchema),
    actionData,
    defaultValue: {
      firstName: d.firstName ?? loaded.profile.firstName,
      middleName: d.middleName ?? "",
      lastName: d.lastName ?? loaded.profile.lastName,
      dateOfBirth: d.dateOfBirth ?? "",
    },
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <TextField label={COPY.firstName} field={fields.firstName} autoComplete="given-name" required />
        <TextField label={COPY.middleName} field={fields.middleName} autoComplete="additional-name" />
        <TextField label={COPY.lastName} field={fields.lastName} autoComplete="family-name" required />
        <TextField
          label={COPY.dob}
          field={fields.dateOfBirth}
          type="date"
          autoComplete="bday"
          required
          hint={COPY.dobHint}
        />
        <Button disabled={busy}>{COPY.continue}</Button>
      </Form>
    </>
  );
}

function AddressForm({ loaded }: { loaded: Loaded }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const address = loaded.data.address;
  const [form, fields] = useSchemaForm({
    id: FORM_IDS.address,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.AddressSchema),
    actionData,
    defaultValue: {
      line1: address?.line1 ?? "",
      line2: address?.line2 ?? "",
      city: address?.city ?? "",
      state: address?.state ?? "",
      zip: address?.zip ?? "",
    },
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <TextField label={COPY.line1} field={fields.line1} autoComplete="address-line1" required />
        <TextField label={COPY.line2} field={fields.line2} autoComplete="address-line2" />
        <TextField label={COPY.city} field={fields.city} autoComplete="address-level2" required />
        <SelectField
          label={COPY.state}
          field={fields.state}
          autoComplete="address-level1"
          required
          placeholder="Select a state"
          options={STATES.map(([code, name]) => ({
            value: code,
            label: `${name.charAt(0)}${name.slice(1).toLowerCase()}`,
          }))}
        />
        <TextField
          label={COPY.zip}
          field={fields.zip}
          autoComplete="postal-code"
          inputMode="numeric"
          required
          maxLength={10}
        />
        <Button disabled={busy}>{COPY.continue}</Button>
      </Form>
    </>
  );
}

function PhoneForm({ loaded }: { loaded: Loaded }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_IDS.phone,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.PhoneSsnSchema),
    actionData,
    defaultValue: { phone: loaded.data.phone ?? loaded.profile.phone },
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <TextField label={COPY.phone} field={fields.phone} type="tel" autoComplete="tel" required />
        <PasswordField
          label={COPY.ssn}
          field={fields.ssnLast4}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          required
          maxLength={4}
          pattern="[0-9]{4}"
          hint={COPY.ssnHint}
        />
        <Button disabled={busy}>{COPY.continue}</Button>
      </Form>
    </>
  );
}

function QuestionsForm({ loaded }: { loaded: Loaded }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const questions = loaded.data.questions ?? [];
  const [form, fields] = useSchemaForm({
    id: FORM_IDS.questions,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.kbaAnswersSchema(questions)),
    actionData,
  });
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <p>{COPY.questionsIntro}</p>
        {questions.map((q) => (
          <RadioGroup
            key={q.id}
            field={fields[q.id]}
            legend={q.text}
            className="kba"
            required
            options={q.choices.map((choice) => ({ value: choice, label: choice }))}
          />
        ))}
        <Button disabled={busy}>{COPY.submitAnswers}</Button>
      </Form>
    </>
  );
}

function Result({ loaded }: { loaded: Loaded }) {
  if (loaded.verified)
    return (
      <>
        <Alert variant="success" heading={COPY.verifiedHeading} role="status">
          <p>{COPY.verifiedText}</p>
        </Alert>
        <LinkButton to="/enrollment/mfa">{COPY.toMfa}</LinkButton>
      </>
    );
  return (
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
        <ManualProofingForm />
      )}
    </>
  );
}

function ManualProofingForm() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: FORM_IDS.result,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.ManualProofingSchema),
    actionData,
  });
  return (
    <section aria-labelledby="manual-heading">
      <h2 id="manual-heading">{COPY.manualHeading}</h2>
      <p>{COPY.manualText}</p>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="manual" />
        <TextField label={COPY.manualNote} field={fields.note} maxLength={500} />
        <Button disabled={busy}>{COPY.manualSubmit}</Button>
      </Form>
    </section>
  );
}
