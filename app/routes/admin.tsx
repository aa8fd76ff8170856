import { NavLink, Outlet, useLoaderData } from "react-router";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * The Administration area (SPEC 2.8): its navigation, around every `/admin/*`
 * page. Rule: `can(actor, "admin.read")` — the Help Desk Administrator role with
 * a strong session (a weak one steps up and comes back); anyone else gets the
 * 404 of an unknown page. Each page repeats its own rule, and every change asks
 * `can(actor, "admin.manage")` (a strong factor from the last 15 minutes).
 */

const COPY = {
  section: "Administration",
  nav: "Administration",
  waiting: "waiting",
  links: [
    { to: "/admin", label: "Dashboard", end: true },
    { to: "/admin/organizations", label: "Organizations" },
    { to: "/admin/programs", label: "Programs and roles" },
    { to: "/admin/applications", label: "Applications" },
    { to: "/admin/users", label: "Users" },
    { to: "/admin/proofing", label: "Manual proofing" },
    { to: "/admin/failed-email", label: "Failed email" },
    { to: "/admin/terms", label: "Terms and Conditions" },
  ],
};

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireCapability(context.deps, request, "admin.read");
  // Counted in the session's own batch (no round trip of its own).
  return { failedEmail: session.failedEmails };
}

export default function AdministrationLayout() {
  const { failedEmail } = useLoaderData<typeof loader>();
  return (
    <>
      <p className="eyebrow">{COPY.section}</p>
      <nav aria-label={COPY.nav} className="admin-nav">
        <ul>
          {COPY.links.map((l) => (
            <li key={l.to}>
              <NavLink to={l.to} end={l.end}>
                {l.label}
                {l.to === "/admin/failed-email" && failedEmail > 0 ? (
                  <>
                    {" "}
                    <span className="badge">{failedEmail}</span>
                    <span className="ds-u-visibility--screen-reader"> {COPY.waiting}</span>
                  </>
                ) : null}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </>
  );
}
