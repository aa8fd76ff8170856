import { Form, type MetaFunction, redirect, useLoaderData, useNavigation } from "react-router";
import { can } from "~/.server/access/authorize";
import { sendReenrollmentLink } from "~/.server/auth/reenrollment";
import { Alert, Button } from "~/components/ui";
import { requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * "Use the link we emailed you": where `can(actor, "device.add")` sends a
 * session that proved only the password and wants to bind the account's first
 * device (after Reset MFA, a manual-proofing approval, or a proofing session
 * that ended before a device was added). "Email me a new link" sends a fresh
 * single-use re-enrollment link (24 hours) to the address on file, throttled per
 * client and per account; the answer is the same whether one was sent or not.
 * Rule: any signed-in user; the screen is only about their own account, and the
 * link goes only to its address of record.
 */

const COPY = {
  title: "Register an MFA Device - CMS.gov | QualityNet",
  hint: "New User Enrollment",
  heading: "Register an MFA Device",
  useLink: "To register a new device, use the link we emailed you.",
  why: "For your security, your password alone cannot register the first MFA device of your account. We email a link to the address on your profile when the help desk resets your MFA devices or verifies your identity. Open it, log in if asked, and register your device. It works once, for 24 hours.",
  lost: "Cannot find it, or has it expired? We can email you a new one.",
  send: "Email me a new link",
  sent: "If your account can use one, we emailed a new link to the address on your profile. It works once, for 24 hours. If nothing arrives in a few minutes, check your spam folder or contact the help desk.",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: any signed-in user (their own account only).
  const session = await requireSession(context.deps, request);
  // Nothing to ask for: a device exists, identity is not proven yet, or this session may bind one.
  if (session.actor.hasDevice || !session.user.identityVerifiedAt) throw redirect("/enrollment");
  if (can(session.actor, "device.add", {}, context.deps.now()).ok) throw redirect("/enrollment/mfa");
  return { sent: new URL(request.url).searchParams.get("sent") === "1" };
}

export async function action({ request, context }: ActionArgs) {
  // Rule: any signed-in user; the link goes to their own address of record.
  const session = await requireSession(context.deps, request);
  await sendReenrollmentLink(context.deps, session, await getClient(context, request));
  // Sent or not (throttled, nothing to send): the same answer.
  throw redirect("/enrollment/link?sent=1");
}

export default function ReenrollmentLinkNeeded() {
  const { sent } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page">
      <p className="hint">{COPY.hint}</p>
      <h1>{COPY.heading}</h1>
      {sent ? (
        <Alert variant="success" role="status">
          <p>{COPY.sent}</p>
        </Alert>
      ) : null}
      <Alert variant="warning">
        <p>{COPY.useLink}</p>
      </Alert>
      <p>{COPY.why}</p>
      <p>{COPY.lost}</p>
      <Form method="post" action="/enrollment/link">
        <Button variant={sent ? "secondary" : "primary"} disabled={busy}>
          {COPY.send}
        </Button>
      </Form>
    </div>
  );
}
