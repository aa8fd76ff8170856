import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { Alert, LinkButton } from "~/components/ui";
import type { RouteHandle } from "~/root";
import type { LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "CMS.gov | QualityNet",
  heading: "QualityNet Secure Portal",
  lead: "Report and review healthcare quality data for the Centers for Medicare & Medicaid Services quality programs.",
  login: "Log In",
  register: "New user registration",
  registerText: "New to QualityNet?",
  declinedHeading: "Terms and Conditions not accepted",
  declined: "You declined the Terms and Conditions. You need to accept them to log in.",
  whatHeading: "What you can do here",
  what: [
    "Register and prove who you are.",
    "Set up an authenticator app or a security key to protect your account.",
    "Request access to a quality program for your organization.",
    "Approve or reject access requests as a Security Official.",
  ],
};

/** Links and plain forms: no JavaScript (see `RouteHandle` in root.tsx). */
export const handle: RouteHandle = { scripts: false };

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request }: LoaderArgs) {
  return { declined: new URL(request.url).searchParams.get("declined") === "1" };
}

export default function Home() {
  const { declined } = useLoaderData<typeof loader>();
  return (
    <>
      {declined ? (
        <Alert variant="warning" heading={COPY.declinedHeading} role="status">
          <p>{COPY.declined}</p>
        </Alert>
      ) : null}
      <section className="hero">
        <h1>{COPY.heading}</h1>
        <p className="lead">{COPY.lead}</p>
        <p className="actions">
          <LinkButton to="/destination">{COPY.login}</LinkButton>
        </p>
        <p>
          {COPY.registerText} <Link to="/register">{COPY.register}</Link>
        </p>
      </section>
      <section aria-labelledby="what-heading">
        <h2 id="what-heading">{COPY.whatHeading}</h2>
        <ul>
          {COPY.what.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      </section>
    </>
  );
}
