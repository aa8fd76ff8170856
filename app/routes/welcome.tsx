import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { can, mayEver } from "~/.server/access/authorize";
import { CheckCircleIcon, InfoCircleIcon } from "~/components/ds-icons";
import { LinkButton } from "~/components/ui";
import { requireSession } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Welcome - CMS.gov | QualityNet",
  heading: "Welcome",
  greeting: (name: string) => `Hello, ${name}.`,
  intro: "Use the User Profile menu at the top of the page to open My Account or to sign out.",
  enrollmentHeading: "New User Enrollment",
  enrollmentText:
    "Before you can request access to a program, you need to prove your identity and register an MFA device in New User Enrollment.",
  enrollmentLink: "Start/Complete New User Enrollment",
  enrolled: "New User Enrollment is complete. You can now request access to a program.",
  helpDesk: "Manual identity proofing queue",
  account: "Go to My Account",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireSession(context.deps, request);
  const { user } = session;
  return {
    firstName: user.firstName,
    enrolled: user.enrollmentCompletedAt !== null,
    justEnrolled: new URL(request.url).searchParams.has("enrolled"),
    // Manual proofing is in Administration (SPEC 2.8).
    isHelpDesk: mayEver(can(session.actor, "admin.read")),
  };
}

export default function Welcome() {
  const { firstName, enrolled, justEnrolled, isHelpDesk } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.greeting(firstName)}</p>
      <p>{COPY.intro}</p>
      {!enrolled ? (
        <aside className="ds-c-alert" aria-labelledby="enroll-heading">
          <InfoCircleIcon className="ds-c-alert__icon" />
          <div className="ds-c-alert__body">
            <h2 id="enroll-heading" className="ds-c-alert__heading">
              {COPY.enrollmentHeading}
            </h2>
            <p>{COPY.enrollmentText}</p>
            <p>
              <LinkButton to="/enrollment">{COPY.enrollmentLink}</LinkButton>
            </p>
          </div>
        </aside>
      ) : justEnrolled ? (
        <aside className="ds-c-alert ds-c-alert--success" role="status">
          <CheckCircleIcon className="ds-c-alert__icon" />
          <div className="ds-c-alert__body">
            <p>{COPY.enrolled}</p>
          </div>
        </aside>
      ) : null}
      {isHelpDesk ? (
        <p>
          <Link to="/admin/proofing">{COPY.helpDesk}</Link>
        </p>
      ) : null}
      <p>
        <Link to="/my-account">{COPY.account}</Link>
      </p>
    </>
  );
}
