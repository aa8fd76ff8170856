import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { listDestinationPrograms } from "~/.server/programs";
import type { RouteHandle } from "~/root";
import type { LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Choose Your QualityNet Destination - CMS.gov | QualityNet",
  heading: "Choose Your QualityNet Destination",
  intro: "Please select your primary quality program to reach the correct login screen for your QualityNet portal.",
  sft: "Secure File Transfer",
  select: "Select your primary quality program:",
};

/** Links and plain forms: no JavaScript (see `RouteHandle` in root.tsx). */
export const handle: RouteHandle = { scripts: false };

export const meta: MetaFunction = () => [{ title: COPY.title }];

/**
 * A program whose application registered an Initiate Login URI links there (the
 * application starts the sign-in, OIDC Core §4); any other program links to the
 * Terms. The page is kept in memory for anonymous visitors for a minute
 * (worker/page-cache.ts): an application registered, changed or disabled shows
 * here within that minute, like a program's own changes.
 */
export async function loader({ context }: LoaderArgs) {
  return { programs: await listDestinationPrograms(context.deps) };
}

export default function Destination() {
  const { programs } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.intro}</p>
      <p>
        <Link to="/secure-file-transfer" className="sft-link">
          {COPY.sft}
        </Link>
      </p>
      <h2 id="programs-heading">{COPY.select}</h2>
      <ul className="destination-list" aria-labelledby="programs-heading">
        {programs.map((p) => (
          <li key={p.code}>
            {p.href.startsWith("/") ? <Link to={p.href}>{p.name}</Link> : <a href={p.href}>{p.name}</a>}
          </li>
        ))}
      </ul>
    </>
  );
}
