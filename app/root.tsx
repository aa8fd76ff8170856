import { type KeyboardEvent, type ReactNode, useEffect, useRef } from "react";
import type { LinksFunction, MetaFunction } from "react-router";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLocation,
  useMatches,
  useRouteError,
  useRouteLoaderData,
} from "react-router";
import type { LoaderArgs } from "~/web/.server/route-args";
import { can } from "./.server/access/authorize";
import { approvesRequests } from "./.server/access/decisions";
import { getSession } from "./.server/auth/session";
import { useNonce } from "./components/nonce";
import { SessionTimeoutWarning } from "./components/session-timeout";
import { SiteShell } from "./components/site-shell";
import { useErrorReference } from "./components/trace-id";
import { LinkButton } from "./components/ui";
import appCss from "./styles/app.css?url";
import cmsDesignSystemCss from "./styles/cms-design-system.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: cmsDesignSystemCss },
  { rel: "stylesheet", href: appCss },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "CMS.gov | QualityNet" }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await getSession(context.deps, request);
  // Approvers see how many requests wait for them in the top menu ("Role Requests").
  const pendingRequests = session && approvesRequests(session.actor) ? session.pendingRequests : null;
  // The Help Desk Administrator's way in to Administration, with the failed email waiting (counted in the
  // session's batch). Shown to whoever `can()` lets read it, now or after stepping up.
  const admin = session ? can(session.actor, "admin.read", {}, context.deps.now()) : null;
  const failedEmails = admin && (admin.ok || admin.reason === "step_up") ? (session?.failedEmails ?? 0) : null;
  return {
    user: session ? { firstName: session.user.firstName, loginId: session.user.loginId } : null,
    pendingRequests,
    failedEmails,
    // A duration, not a time: the browser's clock may differ from ours.
    idleRemainingMs: session ? session.idleExpiresAt.getTime() - context.deps.now().getTime() : null,
  };
}

const NAV = {
  menu: "User Profile",
  account: "My Account",
  signOut: "Sign Out",
  roleRequests: "Role Requests",
  waiting: (n: number) => (n === 1 ? "1 request waiting" : `${n} requests waiting`),
  administration: "Administration",
  failedEmail: (n: number) => (n === 1 ? "1 failed email" : `${n} failed emails`),
};

/** A number for a top-menu badge: two digits at most, so the menu keeps its width. */
function badgeNumber(n: number): string {
  return n > 99 ? "99+" : String(n);
}

/** "Role Requests" with the number of requests waiting, for those who approve them. */
function RoleRequestsLink() {
  const root = useRouteLoaderData<typeof loader>("root");
  if (root?.pendingRequests == null) return null;
  const n = root.pendingRequests;
  return (
    <Link to="/role-requests" className="role-requests-link">
      {NAV.roleRequests}{" "}
      <span className="count-badge" aria-hidden="true">
        {badgeNumber(n)}
      </span>
      <span className="ds-u-visibility--screen-reader">{` (${NAV.waiting(n)})`}</span>
    </Link>
  );
}

/** "Administration" for the Help Desk Administrator, with the failed email waiting to be resent. */
function AdministrationLink() {
  const root = useRouteLoaderData<typeof loader>("root");
  if (root?.failedEmails == null) return null;
  const n = root.failedEmails;
  return (
    <Link to="/admin" className="role-requests-link">
      {NAV.administration}{" "}
      <span className="count-badge" aria-hidden="true">
        {badgeNumber(n)}
      </span>
      <span className="ds-u-visibility--screen-reader">{` (${NAV.failedEmail(n)})`}</span>
    </Link>
  );
}

/**
 * The signed-in menu; <details> opens it without JavaScript, and its summary
 * tells a screen reader whether it is expanded. With JavaScript, Escape closes
 * it (focus back on its button) and so does a click or tap outside it.
 */
function UserMenu() {
  const root = useRouteLoaderData<typeof loader>("root");
  // A new page closes the menu (a fresh <details>), as a full page load would.
  const { key } = useLocation();
  const menu = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const closeOutside = (event: Event) => {
      const details = menu.current;
      if (details?.open && !details.contains(event.target as Node)) details.open = false;
    };
    document.addEventListener("click", closeOutside);
    return () => document.removeEventListener("click", closeOutside);
  }, []);
  if (!root?.user) return null;
  const closeOnEscape = (event: KeyboardEvent<HTMLDetailsElement>) => {
    const details = event.currentTarget;
    if (event.key !== "Escape" || !details.open) return;
    details.open = false;
    details.querySelector("summary")?.focus();
  };
  return (
    <nav aria-label="Account" className="site-nav">
      <RoleRequestsLink />
      <AdministrationLink />
      <details className="user-menu" key={key} ref={menu} onKeyDown={closeOnEscape}>
        <summary>{NAV.menu}</summary>
        <ul>
          <li>
            <Link to="/my-account">{NAV.account}</Link>
          </li>
          <li>
            <Form method="post" action="/logout">
              <button type="submit" className="link-button">
                {NAV.signOut}
              </button>
            </Form>
          </li>
        </ul>
      </details>
    </nav>
  );
}

function TimeoutWarning() {
  const root = useRouteLoaderData<typeof loader>("root");
  return root?.idleRemainingMs ? <SessionTimeoutWarning idleRemainingMs={root.idleRemainingMs} /> : null;
}

/**
 * A route whose page is links and plain forms says so with
 * `export const handle = { scripts: false }`: its page then ships no JavaScript
 * (no `<Scripts/>`, no inline script, so no nonce in the HTML), unless someone
 * is signed in, for whom the idle-timeout warning needs it.
 */
export type RouteHandle = { scripts?: boolean };

/** Whether a page ships JavaScript: its leaf route's handle and whether someone is signed in. */
export function shipsScripts(leaf: RouteHandle | undefined, signedIn: boolean): boolean {
  return leaf?.scripts !== false || signedIn;
}

function useScripts(): boolean {
  const matches = useMatches();
  const root = useRouteLoaderData<typeof loader>("root");
  return shipsScripts(matches[matches.length - 1]?.handle as RouteHandle | undefined, Boolean(root?.user));
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const scripts = useScripts();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <SiteShell nav={<UserMenu />}>
          {children}
          {/* After the page's content: a closed dialog first in <main> would push the heading down. */}
          <TimeoutWarning />
        </SiteShell>
        {scripts ? (
          <>
            <ScrollRestoration nonce={nonce} />
            <Scripts nonce={nonce} />
          </>
        ) : null}
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

const ERROR_COPY = {
  notFoundTitle: "Page not found",
  notFoundText: "We could not find the page you asked for. Check the address, or start again from the home page.",
  errorTitle: "Something went wrong",
  errorText:
    "The portal could not complete your request. Please try again. If this keeps happening, contact the help desk and quote this reference:",
  home: "Return to the home page",
};

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  const title = notFound ? ERROR_COPY.notFoundTitle : ERROR_COPY.errorTitle;
  // Not in the root loader's data: pages that must be the same bytes for everyone (no enumeration) stay so.
  const reference = useErrorReference();
  return (
    <>
      <title>{`${title} - CMS.gov | QualityNet`}</title>
      <h1>{title}</h1>
      <p>{notFound ? ERROR_COPY.notFoundText : ERROR_COPY.errorText}</p>
      {notFound || !reference ? null : (
        <p>
          <code id="error-reference">{reference}</code>
        </p>
      )}
      <p>
        <LinkButton to="/">{ERROR_COPY.home}</LinkButton>
      </p>
    </>
  );
}
