import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { and, eq } from "drizzle-orm";
import { beginEmailDevice, confirmDevice, verifyEmailCode } from "~/.server/auth/mfa";
import { rotateSession } from "~/.server/auth/session";
import { mfaDevices } from "~/.server/db/schema";
import { requireEnrollee } from "~/.server/guards";
import { getClient } from "~/.server/http";
import { Alert, Button, TextField } from "~/components/ui";

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
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const url = new URL(request.url);
  return {
    email: user.email,
    from: url.searchParams.get("from") === "profile" ? "profile" : "enrollment",
    sent: url.searchParams.has("sent"),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireEnrollee(context.deps, request, { verified: true, addsDevice: true });
  const form = await request.formData();
  const from = form.get("from") === "profile" ? "profile" : "enrollment";
  const suffix = from === "profile" ? "&from=profile" : "";
  if (form.get("intent") === "send") {
    const begun = await beginEmailDevice(context.deps, user);
    if (!begun.sent.ok) return data({ error: begun.sent.message ?? "" }, { status: 429 });
    throw redirect(`/enrollment/email?sent=1${suffix}`);
  }
  const device = await context.deps.db
    .select()
    .from(mfaDevices)
    .where(and(eq(mfaDevices.userId, user.id), eq(mfaDevices.kind, "email")))
    .get();
  if (!device || !(await verifyEmailCode(context.deps, user.id, "email_enrollment", String(form.get("code") ?? "")))) {
    return data({ error: COPY.wrong }, { status: 400 });
  }
  if (!device.confirmedAt)
    await confirmDevice(context.deps, user, device.id, "email", await getClient(context, request));
  // A new session id; email is recovery, not a strong factor, so the strength stays as it was.
  const rotated = await rotateSession(context.deps, session);
  throw redirect(
    from === "profile" ? "/profile/devices?added=1" : "/enrollment/finish",
    rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined,
  );
}

export default function EmailSetup() {
  const { email, from, sent } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro(email)}</p>
      {result?.error ? (
        <Alert variant="error" role="alert">
          <p>{result.error}</p>
        </Alert>
      ) : sent ? (
        <Alert variant="success" role="status">
          <p>{COPY.sent(email)}</p>
        </Alert>
      ) : null}
      <Form method="post">
        <input type="hidden" name="from" value={from} />
        <input type="hidden" name="intent" value="send" />
        <Button disabled={busy} variant={sent ? "secondary" : "primary"}>
          {COPY.send}
        </Button>
      </Form>
      {sent ? (
        <Form method="post">
          <input type="hidden" name="from" value={from} />
          <input type="hidden" name="intent" value="verify" />
          <TextField
            label={COPY.code}
            name="code"
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
