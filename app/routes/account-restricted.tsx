import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { Alert } from "~/components/ui";
import { formatTime } from "~/lib/format";
import { requireSession } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Not available yet - CMS.gov | QualityNet",
  heading: "Not available yet",
  restricted: (until: string) =>
    `Your password was recently reset without your MFA device. To protect your account, until ${until} you cannot add MFA devices, change your email address, request or approve access, or administer anything.`,
  notMe:
    'If you did not reset your password, use "This wasn\'t me" in the email we sent about it, or contact the help desk.',
  free: "This is available again. Go back and try once more.",
  back: "Return to Welcome",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: any signed-in user; it only explains their own restriction.
  const session = await requireSession(context.deps, request);
  const until = session.user.restrictedUntil;
  return { until: until && until > context.deps.now() ? formatTime(until) : null };
}

export default function AccountRestricted() {
  const { until } = useLoaderData<typeof loader>();
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      {until ? (
        <Alert variant="warning">
          <p>{COPY.restricted(until)}</p>
          <p>{COPY.notMe}</p>
        </Alert>
      ) : (
        <p>{COPY.free}</p>
      )}
      <p>
        <Link to="/welcome">{COPY.back}</Link>
      </p>
    </div>
  );
}
