import { data, Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { peekReenrollmentLink, redeemReenrollmentLink } from "~/.server/auth/reenrollment";
import { Alert, Button } from "~/components/ui";
import { refuse, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * The re-enrollment link emailed by Reset MFA, a manual-proofing approval or
 * "Email me a new link" (docs/decisions/2026-12-07-recovery-model.md). The
 * person signs in first, with User ID and password as usual (a signed-out GET
 * goes to the log-in screen and comes back here); the GET only shows a button,
 * so mail scanners and prefetching use nothing up. The POST uses the link once
 * (one conditional UPDATE; parallel posts: one wins) and gives this session a
 * new id marked `reenrollment_link`, which may bind the first device.
 * Rule: a signed-in session of the account the link was sent to; a link of
 * another account, used or expired, is refused alike.
 */

const COPY = {
  title: "Register a new MFA device - CMS.gov | QualityNet",
  hint: "New User Enrollment",
  heading: "Register a new MFA device",
  intro:
    "You opened the link we emailed to the address on your profile. Continue to register a new MFA device, then save new recovery codes.",
  go: "Continue to Register a Device",
  expired: "This link has expired, was already used, or was sent for another account. Links work once, for 24 hours.",
  again: "Email me a new link",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

const tokenOf = (value: FormDataEntryValue | string | null) => (typeof value === "string" ? value.slice(0, 64) : "");

export async function loader({ request, context }: LoaderArgs) {
  // Rule: signed in (else log in and come back); the link must be this account's. Nothing is used up here.
  const session = await requireSession(context.deps, request);
  const token = tokenOf(new URL(request.url).searchParams.get("token"));
  const usable = await peekReenrollmentLink(context.deps, token, session.user.id);
  return { token: usable ? token : null };
}

export async function action({ request, context }: ActionArgs) {
  // Rule: a signed-in session of the account the link was sent to.
  const session = await requireSession(context.deps, request);
  // Not while a password reset proven by the emailed link alone holds the account (24 hours): the
  // inbox that reset the password must not also bind the first device (the owner can say "This wasn't me").
  const restricted = session.actor.restrictedUntil;
  if (restricted && restricted > context.deps.now())
    refuse({ ok: false, reason: "restricted", until: restricted }, request);
  const token = tokenOf((await request.formData().catch(() => null))?.get("token") ?? null);
  const used = await redeemReenrollmentLink(context.deps, session, token, await getClient(context, request));
  if (!used.ok) return data({ expired: true }, 410);
  throw redirect("/enrollment", { headers: { "Set-Cookie": used.value.setCookie } });
}

export default function Reenroll() {
  const { token } = useLoaderData<typeof loader>();
  const expired = useActionData<typeof action>()?.expired || !token;
  const busy = useNavigation().state === "submitting";
  return (
    <div className="form-page">
      <p className="hint">{COPY.hint}</p>
      <h1>{COPY.heading}</h1>
      {expired ? (
        <>
          <Alert variant="warning">
            <p>{COPY.expired}</p>
          </Alert>
          <Form method="post" action="/enrollment/link">
            <Button>{COPY.again}</Button>
          </Form>
        </>
      ) : (
        <Form method="post">
          <p>{COPY.intro}</p>
          <input type="hidden" name="token" value={token ?? ""} />
          <Button disabled={busy}>{COPY.go}</Button>
        </Form>
      )}
    </div>
  );
}
