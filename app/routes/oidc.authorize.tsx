import { data, Form, type HeadersFunction, Link, type MetaFunction, redirect, useLoaderData } from "react-router";
import { getSession } from "~/.server/auth/session";
import {
  type AuthorizationRequest,
  type ClientOfRequest,
  carriedPath,
  checkClient,
  type Decision,
  decideAuthorization,
  errorRedirect,
  issueCode,
  parseAuthorizationRequest,
  REAUTH_PARAM,
  REQUEST_PARAMS,
  refuseConsent,
  requestParams,
} from "~/.server/oidc/authorize";
import { Alert, Button } from "~/components/ui";
import type { RouteHandle } from "~/root";
import { refuse } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * The authorization endpoint of the portal's OpenID provider (SPEC 2.9, OIDC Core §3.1.2):
 * GET (and an application's form POST, turned into this GET by the Worker's door) is the
 * authorization request; POST with `intent` is the consent form.
 *
 * Rule: anyone may start here (a request from an unknown client or to an unregistered
 * redirect URI is a page, never a redirect). Signing in to the application is
 * `can(actor, "application.connect")` for one's own account (enrollment finished), with the
 * assurance the application and `acr_values` ask for, proven by "Confirm it is you".
 * Nothing here is cached (no-store).
 */

const COPY = {
  title: "Sign in to an application - CMS.gov | QualityNet",
  badRequestHeading: "This sign-in link cannot be used",
  badRequest: {
    unknown_client:
      "The application that sent you here is not registered with the portal, or it has been disabled. Contact the application's help desk.",
    invalid_redirect_uri:
      "The application that sent you here did not say where to return, or asked to return to an address that is not registered for it. Contact the application's help desk.",
  },
  home: "Return to the home page",
  consentHeading: (application: string) => `Allow ${application} to know who you are?`,
  consentIntro: (application: string) =>
    `${application} asks to sign you in with your portal account. If you allow it, the portal shares with ${application}:`,
  shares: {
    who: (application: string) => `Who you are: an identifier for you that only ${application} receives`,
    how: "How and when you signed in (for example, with an authenticator app)",
    roles: (program: string) => `Your ${program} roles: role, organization and end date`,
    email: "Your email address",
    name: "Your name",
  },
  consentLater: "You can disconnect it at any time in Profile, Connected Applications.",
  allow: "Allow",
  cancel: "Cancel",
  keyHeading: "This application needs a security key or passkey",
  keyText: (application: string) =>
    `${application} accepts only a sign-in confirmed with a security key or a passkey. A code from an authenticator app, or a recovery code, is not enough for it.`,
  keyTryAgain: "Confirm it is you with a security key or passkey",
  keyAdd: "Add a security key or passkey to your account",
  keyBack: (application: string) => `Return to ${application} without signing in`,
};

/** Plain links and forms: the consent screen works without JavaScript. */
export const handle: RouteHandle = { scripts: false };

export const meta: MetaFunction = () => [{ title: COPY.title }];

const NO_STORE = { "Cache-Control": "no-store" };
export const headers: HeadersFunction = () => NO_STORE;

const go = (location: string): never => {
  throw redirect(location, { headers: NO_STORE });
};

export async function loader({ request, context }: LoaderArgs) {
  return authorize({ request, context }, new URL(request.url).searchParams, null);
}

export async function action({ request, context }: ActionArgs) {
  const form = await request.formData().catch(() => null);
  const intent = form?.get("intent");
  if (!form || (intent !== "allow" && intent !== "cancel")) throw new Response("Bad Request", { status: 400 });
  const params = new URLSearchParams();
  for (const name of [...REQUEST_PARAMS, REAUTH_PARAM])
    for (const value of form.getAll(name)) if (typeof value === "string") params.append(name, value);
  return authorize({ request, context }, params, intent);
}

/** Both doors: the request is checked again, in full, when the consent form comes back. */
async function authorize(
  { request, context }: Pick<LoaderArgs, "request" | "context">,
  params: URLSearchParams,
  intent: "allow" | "cancel" | null,
) {
  const deps = context.deps;
  const checked = await checkClient(deps, params);
  if (!checked.ok)
    return data({ view: "bad_request" as const, reason: checked.code }, { status: 400, headers: NO_STORE });
  const parsed = parseAuthorizationRequest(params, checked);
  if (!parsed.ok) return go(errorRedirect(deps.env, checked.redirectUri, parsed.error, parsed.state));
  const { client } = checked;
  const authRequest = parsed.request;
  const session = await getSession(deps, request);
  const decision = await decideAuthorization(deps, session, client, authRequest, { consenting: intent !== null });
  const requester = await getClient(context, request);
  if (decision.next === "allow" && intent === "cancel")
    return go(await refuseConsent(deps, { session: decision.session, client, request: authRequest, requester }));
  if (decision.next === "allow" || decision.next === "issue") {
    const location = await issueCode(deps, {
      session: decision.session,
      client,
      request: authRequest,
      grant: decision.grant,
      consent: decision.next === "allow",
      requester,
    });
    // The grant was disconnected meanwhile: the request starts again (and asks for consent).
    return go(location ?? carriedPath(authRequest));
  }
  return respond(deps.env, request, client, authRequest, decision);
}

function respond(
  env: LoaderArgs["context"]["deps"]["env"],
  request: Request,
  client: ClientOfRequest,
  authRequest: AuthorizationRequest,
  decision: Exclude<Decision, { next: "allow" | "issue" }>,
) {
  switch (decision.next) {
    case "sign_in": {
      // Terms (for the application's program), sign-in, and back here (login.tsx keeps redirectTo).
      const next = new URLSearchParams({ program: client.programCode, redirectTo: decision.path });
      return go(`/terms?${next}`);
    }
    case "first_sign_in":
      return go("/first-sign-in");
    case "refused":
      return refuse(decision.refusal, request, carriedPath(authRequest));
    case "step_up":
      return go(`/step-up?${new URLSearchParams({ redirectTo: decision.path })}`);
    case "error":
      return go(errorRedirect(env, authRequest.redirectUri, decision.error, authRequest.state));
    case "phishing_resistant_needed":
      return data(
        {
          view: "security_key" as const,
          application: client.name,
          // The user chooses to try again: a new marker, so coming back short once more shows this page again.
          tryAgain: `/step-up?${new URLSearchParams({ redirectTo: decision.retryPath })}`,
          back: errorRedirect(
            env,
            authRequest.redirectUri,
            { error: "access_denied", description: "a security key or passkey is required" },
            authRequest.state,
          ),
        },
        { headers: NO_STORE },
      );
    case "consent":
      return data(
        {
          view: "consent" as const,
          application: client.name,
          program: client.programName,
          scope: authRequest.scope,
          fields: [...requestParams(authRequest).entries()],
        },
        { headers: NO_STORE },
      );
  }
}

export default function Authorize() {
  const page = useLoaderData<typeof loader>();
  if (page.view === "bad_request")
    return (
      <>
        <h1>{COPY.badRequestHeading}</h1>
        <Alert variant="error">
          <p>{COPY.badRequest[page.reason]}</p>
        </Alert>
        <p>
          <Link to="/">{COPY.home}</Link>
        </p>
      </>
    );
  if (page.view === "security_key")
    return (
      <>
        <h1>{COPY.keyHeading}</h1>
        <p className="lead">{COPY.keyText(page.application)}</p>
        <ul className="plain-links">
          <li>
            <Link to={page.tryAgain}>{COPY.keyTryAgain}</Link>
          </li>
          <li>
            <Link to="/profile/devices">{COPY.keyAdd}</Link>
          </li>
          <li>
            <a href={page.back}>{COPY.keyBack(page.application)}</a>
          </li>
        </ul>
      </>
    );
  const shares = [
    COPY.shares.who(page.application),
    COPY.shares.how,
    COPY.shares.roles(page.program),
    ...(page.scope.includes("email") ? [COPY.shares.email] : []),
    ...(page.scope.includes("profile") ? [COPY.shares.name] : []),
  ];
  return (
    <div className="form-page">
      <h1>{COPY.consentHeading(page.application)}</h1>
      <p className="lead">{COPY.consentIntro(page.application)}</p>
      <ul>
        {shares.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      <p>{COPY.consentLater}</p>
      <Form method="post" action="/oidc/authorize">
        {page.fields.map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <div className="actions">
          <Button name="intent" value="allow">
            {COPY.allow}
          </Button>
          <Button name="intent" value="cancel" variant="secondary">
            {COPY.cancel}
          </Button>
        </div>
      </Form>
    </div>
  );
}
