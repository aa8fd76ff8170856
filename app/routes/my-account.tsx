import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { requireSession } from "~/.server/guards";

const COPY = {
  title: "My Account - CMS.gov | QualityNet",
  heading: "My Account",
  details: "Account details",
  userId: "User ID",
  name: "Name",
  email: "Email",
  phone: "Phone",
  profileHeading: "Profile and security",
  links: [
    { to: "/profile/devices", label: "MFA devices and recovery codes" },
    { to: "/profile#password", label: "Change password" },
    { to: "/profile#questions", label: "Change challenge questions" },
    { to: "/profile#sessions", label: "Active sessions" },
    { to: "/profile#events", label: "Recent security events" },
  ],
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireSession(context.deps, request);
  return {
    loginId: user.loginId,
    name: `${user.firstName} ${user.lastName}`,
    email: user.email,
    phone: user.phone ?? "",
  };
}

export default function MyAccount() {
  const account = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      <section aria-labelledby="details-heading">
        <h2 id="details-heading">{COPY.details}</h2>
        <dl className="details-list">
          <dt>{COPY.userId}</dt>
          <dd>{account.loginId}</dd>
          <dt>{COPY.name}</dt>
          <dd>{account.name}</dd>
          <dt>{COPY.email}</dt>
          <dd>{account.email}</dd>
          <dt>{COPY.phone}</dt>
          <dd>{account.phone}</dd>
        </dl>
      </section>
      <section aria-labelledby="profile-heading">
        <h2 id="profile-heading">{COPY.profileHeading}</h2>
        <ul>
          {COPY.links.map((l) => (
            <li key={l.to}>
              <Link to={l.to}>{l.label}</Link>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
