import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { and, eq } from "drizzle-orm";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { beginEmailDevice, confirmDevice, verifyEmailCode } from "~/.server/auth/mfa";
import { rotateSession } from "~/.server/auth/session";
import { mfaDevices } from "~/.server/db/schema";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, PasswordField } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { EMAIL_CODE_LIMITS } from "~/lib/auth-copy";
import { EmailSendSchema, EmailVerifySchema } from "~/lib/enrollment-schemas";
import { type FailureCopy, wordsFor } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireEnrollee } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Use email for security codes - CMS.gov | QualityNet",
  heading: "Use email for security codes",
  intro: (email: string) =>
    `Each time you log in, choose MFA Device Type "Email" and select Send: we email a 6-digit code to ${email}.`,
  send: "Send Me a Code",
  sent: (email: string) => `We sent a 6-digit code to ${email}. It works for 10 minutes.`,
  code: "Security Code",
  verify: "Verify and Add Device",
  wrong: "That code is not right, or it has expired. Send a new one if you need to.",
  sendFailures: EMAIL_CODE_LIMITS satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof beginEmailDevice>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const { user } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const url = new URL(request.url);
  return {
    email: user.email,
    from: url.searchParams.get("from") === "profile" ? "profile" : "enrollment",
    sent: url.searchParams.has("sent"),
  };
}

const SEND_FORM = "email-send";
const VERIFY_FORM = "email-verify";

export async function action({ request, context }: ActionArgs) {
  const { user, session } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const formData = await request.formData();
  if (formData.get("intent") === "send") {
    const submission = parseWithZod(formData, { schema: EmailSendSchema });
    if (submission.status !== "success") return formFailure(SEND_FORM, submission);
    const begun = await beginEmailDevice(context.deps, user);
    if (!begun.ok) {
      if (begun.code === "refused") return refuse(begun.refusal, request);
      return formFailure(SEND_FORM, submission, { formErrors: [wordsFor(COPY.sendFailures, begun)] }, 429);
    }
    throw redirect(`/enrollment/email?sent=1${submission.value.from === "profile" ? "&from=profile" : ""}`);
  }
  const submission = parseWithZod(formData, { schema: EmailVerifySchema });
  if (submission.status !== "success") return formFailure(VERIFY_FORM, submission);
  const { from, code } = submission.value;
  const device = await context.deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.userId, user.id), eq(mfaDevices.kind, "email")))
    .get();
  if (!device || !(await verifyEmailCode(context.deps, user.id, "email_enrollment", code))) {
    return formFailure(VERIFY_FORM, submission, { fieldErrors: { code: [COPY.wrong] } });
  }
  if (!device.confirmedAt)
    await confirmDevice(context.deps, user, device.id, "email", await getClient(context, request));
  // A new session id; email is recovery, not a strong factor, so the strength stays as it was. Binding it
  // is still recorded: `device.add` let this session bind a device (the first, in the enrollment session,
  // or with a fresh strong factor), which is what recovery codes at enrollment's end need.
  const rotated = await rotateSession(context.deps, session, { deviceBound: !device.confirmedAt });
  throw redirect(
    from === "profile" ? "/profile/devices?added=1" : "/enrollment/finish",
    rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined,
  );
}

export default function EmailSetup() {
  const { email, from, sent } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [sendForm] = useSchemaForm({
    id: SEND_FORM,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.EmailSendSchema),
    actionData,
  });
  const [verifyForm, fields] = useSchemaForm({
    id: VERIFY_FORM,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.EmailVerifySchema),
    actionData,
  });
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro(email)}</p>
      <ErrorSummary form={sendForm} />
      <ErrorSummary form={verifyForm} />
      {sent && !actionData ? (
        <Alert variant="success" role="status">
          <p>{COPY.sent(email)}</p>
        </Alert>
      ) : null}
      <Form method="post" {...getFormProps(sendForm)}>
        <input type="hidden" name="from" value={from} />
        <input type="hidden" name="intent" value="send" />
        <Button disabled={busy} variant={sent ? "secondary" : "primary"}>
          {COPY.send}
        </Button>
      </Form>
      {sent ? (
        <Form method="post" {...getFormProps(verifyForm)}>
          <input type="hidden" name="from" value={from} />
          <input type="hidden" name="intent" value="verify" />
          <PasswordField
            label={COPY.code}
            field={fields.code}
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            maxLength={7}
          />
          <Button disabled={busy}>{COPY.verify}</Button>
        </Form>
      ) : null}
    </div>
  );
}
