import { Fragment } from "react";
import type { MetaFunction } from "react-router";
import { Link, useLoaderData } from "react-router";
import { loadDashboard } from "~/.server/admin/dashboard";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration → Dashboard (SPEC 2.8): what waits for someone and what went
 * wrong, as numbers from D1 (one batch): pending requests by program and by
 * age, sign-ins and failures in the last 24 hours, locked accounts, email that
 * was not delivered, proofing reviews waiting. Cards, so a 360 px phone reads it.
 * Rule: `can(actor, "admin.read")` — the Help Desk Administrator role with a
 * strong session (a weak one steps up and comes back); anyone else gets the
 * 404 of an unknown page.
 */

const COPY = {
  title: "Administration - CMS.gov | QualityNet",
  heading: "Dashboard",
  pending: "Pending requests",
  byProgram: "By program",
  noPending: "No requests are waiting.",
  byAge: "By age",
  underThree: "Under 3 days",
  threeToSeven: "3 to 7 days",
  sevenToThirty: "7 to 30 days",
  total: "All pending",
  queue: "Open Pending Requests",
  signIns: "Sign-ins, last 24 hours",
  success: "Successful",
  failure: "Failed",
  locked: "Locked accounts",
  lockedAccounts: "MFA locked or held",
  signInLocks: "Sign-in locks (User IDs typed)",
  users: "Find a user",
  email: "Failed email",
  emailFailed: "Delivery failed",
  emailStuck: "Not handed to the queue after 10 tries",
  emailLink: "See failed email",
  proofing: "Manual proofing",
  reviews: "Reviews waiting",
  proofingLink: "Open the proofing queue",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read (Help Desk Administrator, strong session).
  await requireCapability(context.deps, request, "admin.read");
  return loadDashboard(context.deps);
}

export default function AdminDashboard() {
  const d = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{COPY.heading}</h1>
      <ul className="request-cards admin-stats">
        <li className="request-card">
          <h2 className="request-card__title">{COPY.pending}</h2>
          <h3 className="admin-stats__sub">{COPY.byAge}</h3>
          <dl className="details-list admin-counts" data-testid="pending-by-age">
            <dt>{COPY.underThree}</dt>
            <dd>{d.pendingByAge.underThreeDays}</dd>
            <dt>{COPY.threeToSeven}</dt>
            <dd>{d.pendingByAge.threeToSeven}</dd>
            <dt>{COPY.sevenToThirty}</dt>
            <dd>{d.pendingByAge.sevenToThirty}</dd>
            <dt>{COPY.total}</dt>
            <dd>{d.pendingByAge.total}</dd>
          </dl>
          <h3 className="admin-stats__sub">{COPY.byProgram}</h3>
          {d.pendingByProgram.length === 0 ? (
            <p>{COPY.noPending}</p>
          ) : (
            <dl className="details-list admin-counts" data-testid="pending-by-program">
              {d.pendingByProgram.map((p) => (
                <Fragment key={p.programName}>
                  <dt>{p.programName}</dt>
                  <dd>{p.n}</dd>
                </Fragment>
              ))}
            </dl>
          )}
          <p>
            <Link to="/role-requests">{COPY.queue}</Link>
          </p>
        </li>
        <li className="request-card">
          <h2 className="request-card__title">{COPY.signIns}</h2>
          <dl className="details-list admin-counts" data-testid="sign-ins">
            <dt>{COPY.success}</dt>
            <dd>{d.signIns.success}</dd>
            <dt>{COPY.failure}</dt>
            <dd>{d.signIns.failure}</dd>
          </dl>
        </li>
        <li className="request-card">
          <h2 className="request-card__title">{COPY.locked}</h2>
          <dl className="details-list admin-counts" data-testid="locked">
            <dt>{COPY.lockedAccounts}</dt>
            <dd>{d.locked.accounts}</dd>
            <dt>{COPY.signInLocks}</dt>
            <dd>{d.locked.signInLocks}</dd>
          </dl>
          <p>
            <Link to="/admin/users">{COPY.users}</Link>
          </p>
        </li>
        <li className="request-card">
          <h2 className="request-card__title">{COPY.email}</h2>
          <dl className="details-list admin-counts" data-testid="failed-email">
            <dt>{COPY.emailFailed}</dt>
            <dd>{d.failedEmail.failed}</dd>
            <dt>{COPY.emailStuck}</dt>
            <dd>{d.failedEmail.unqueued}</dd>
          </dl>
          <p>
            <Link to="/admin/failed-email">{COPY.emailLink}</Link>
          </p>
        </li>
        <li className="request-card">
          <h2 className="request-card__title">{COPY.proofing}</h2>
          <dl className="details-list admin-counts" data-testid="proofing">
            <dt>{COPY.reviews}</dt>
            <dd>{d.proofingReviewsWaiting}</dd>
          </dl>
          <p>
            <Link to="/help-desk/proofing">{COPY.proofingLink}</Link>
          </p>
        </li>
      </ul>
    </>
  );
}
