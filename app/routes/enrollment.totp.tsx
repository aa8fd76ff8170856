import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { renderSVG } from "uqr";
import { beginTotpEnrollment, confirmTotpEnrollment, pendingTotp } from "~/.server/auth/mfa";
import { rotateSession } from "~/.server/auth/session";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, PasswordField, TextField } from "~/components/fields";
import { Button } from "~/components/ui";
import { TotpBeginSchema, TotpConfirmSchema } from "~/lib/enrollment-schemas";
import { type FailureCopy, failureErrors } from "~/lib/failure-words";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireEnrollee } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Set up an authenticator app - CMS.gov | QualityNet",
  heading: "Set up an authenticator app",
  nameLabel: "Device name",
  nameHint: 'So you can tell your devices apart, for example "Work phone".',
  start: "Continue",
  scan: "1. Scan this QR code with your authenticator app.",
  manual: "Cannot scan it? Add an account by hand with this key (time-based, 6 digits):",
  secretKey: "Secret key",
  credentialId: "Credential ID",
  prove: "2. Enter the Security Code your app now shows.",
  code: "Security Code",
  verify: "Verify and Add Device",
  qrAlt: "QR code for your authenticator app. The same key is shown as text below.",
  failures: {
    not_found: "That set-up has expired. Start again.",
    invalid: "That code is not right. Check the time on your phone and enter the code now shown.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof confirmTotpEnrollment>>>>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const { user } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const url = new URL(request.url);
  const deviceId = url.searchParams.get("device");
  const from = url.searchParams.get("from") === "profile" ? "profile" : "enrollment";
  if (!deviceId) return { from, pending: null };
  const pending = await pendingTotp(context.deps, user, deviceId);
  if (!pending) throw redirect(from === "profile" ? "/profile/devices" : "/enrollment/mfa");
  return {
    from,
    pending: {
      deviceId,
      name: pending.device.name,
      credentialLabel: pending.device.credentialLabel,
      // Grouped in fours, as authenticator apps show keys.
      secret: pending.secretBase32.replace(/(.{4})/g, "$1 ").trim(),
      // Rendered on the server: no script needed to see it.
      qrSvg: renderSVG(pending.uri, { border: 2, pixelSize: 6 }),
    },
  };
}

const BEGIN_FORM = "totp-begin";
const CONFIRM_FORM = "totp-confirm";

export async function action({ request, context }: ActionArgs) {
  const { user, session } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const formData = await request.formData();
  if (formData.get("intent") === "begin") {
    const submission = parseWithZod(formData, { schema: TotpBeginSchema });
    if (submission.status !== "success") return formFailure(BEGIN_FORM, submission);
    const { name, from } = submission.value;
    const deviceId = await beginTotpEnrollment(context.deps, user.id, name);
    throw redirect(`/enrollment/totp?device=${deviceId}${from === "profile" ? "&from=profile" : ""}`);
  }
  const submission = parseWithZod(formData, { schema: TotpConfirmSchema });
  if (submission.status !== "success") return formFailure(CONFIRM_FORM, submission);
  const from = submission.value.from;
  const result = await confirmTotpEnrollment(context.deps, user, submission.value, await getClient(context, request));
  if (!result.ok) {
    // The set-up expired: start again.
    if (result.code === "not_found") throw redirect("/enrollment/totp");
    if (result.code === "refused") return refuse(result.refusal, request);
    return formFailure(CONFIRM_FORM, submission, failureErrors(COPY.failures, result));
  }
  // A new session id; proving an authenticator app makes this session strong, and it bound a device.
  const rotated = await rotateSession(context.deps, session, { strong: true, deviceBound: true });
  throw redirect(
    from === "profile" ? "/profile/devices?added=1" : "/enrollment/finish",
    rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined,
  );
}

export default function TotpSetup() {
  const { pending, from } = useLoaderData<typeof loader>();
  return (
    <div className="form-page">
      {!pending ? <BeginForm from={from} /> : <ConfirmForm pending={pending} from={from} />}
    </div>
  );
}

function BeginForm({ from }: { from: string }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: BEGIN_FORM,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.TotpBeginSchema),
    actionData,
    defaultValue: { name: "Authenticator app" },
  });
  return (
    <>
      <h1>{COPY.heading}</h1>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="begin" />
        <input type="hidden" name="from" value={from} />
        <TextField label={COPY.nameLabel} field={fields.name} maxLength={40} hint={COPY.nameHint} />
        <Button disabled={busy}>{COPY.start}</Button>
      </Form>
    </>
  );
}

function ConfirmForm({
  pending,
  from,
}: {
  pending: NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["pending"]>;
  from: string;
}) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: CONFIRM_FORM,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.TotpConfirmSchema),
    actionData,
  });
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p>{COPY.scan}</p>
      <figure className="qr">
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: the SVG is drawn on the server by uqr from our own otpauth URI; no user text. */}
        <div role="img" aria-label={COPY.qrAlt} dangerouslySetInnerHTML={{ __html: pending.qrSvg }} />
      </figure>
      <p>{COPY.manual}</p>
      <dl className="details-list">
        <dt>{COPY.secretKey}</dt>
        <dd>
          <code className="secret">{pending.secret}</code>
        </dd>
        <dt>{COPY.credentialId}</dt>
        <dd>{pending.credentialLabel}</dd>
      </dl>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="deviceId" value={pending.deviceId} />
        <input type="hidden" name="from" value={from} />
        <p>{COPY.prove}</p>
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
    </>
  );
}
