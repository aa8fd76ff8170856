import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { can } from "~/.server/access/authorize";
import { refuse, requireEnrollee } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Register an MFA Device - CMS.gov | QualityNet",
  heading: "Register an MFA Device",
  intro: "Choose the second factor you will use every time you log in. You can add more later in your profile.",
  options: [
    {
      to: "/enrollment/totp",
      label: "Authenticator app",
      text: "An app such as Google Authenticator, Microsoft Authenticator or Authy shows a new 6-digit Security Code every 30 seconds. Recommended.",
    },
    {
      to: "/enrollment/security-key",
      label: "Security key or passkey",
      text: "A USB or NFC security key, or a passkey on this device. Needs JavaScript.",
    },
    {
      to: "/enrollment/email",
      label: "Email",
      text: "We email a 6-digit code to the address on your profile each time you log in.",
    },
  ],
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const { state, session } = await requireEnrollee(context.deps, request, { verified: true });
  // Rule: the first device is device.add (a session that proved more than the password:
  // identity proofing or the emailed re-enrollment link); otherwise the screen that sends the link.
  if (!state.hasDevice) {
    const decision = can(session.actor, "device.add", {}, context.deps.now());
    if (!decision.ok) refuse(decision, request);
  }
  return { hasDevice: state.hasDevice };
}

export default function ChooseMfa() {
  useLoaderData<typeof loader>();
  return (
    <div className="form-page">
      <p className="hint">New User Enrollment</p>
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <ul className="destination-list">
        {COPY.options.map((o) => (
          <li key={o.to}>
            <Link to={o.to}>
              {o.label}
              <span className="option-text">{o.text}</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
