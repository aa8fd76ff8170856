import { Form, type MetaFunction, redirect, useLoaderData } from "react-router";
import { clearSessionCookie, getSession } from "~/.server/auth/session";
import {
  decideLogout,
  type LogoutDecision,
  type LogoutParams,
  logoutParamsFrom,
  SIGNED_OUT_PATH,
  signOutForApplication,
} from "~/.server/oidc/logout";
import { Alert, Button, LinkButton } from "~/components/ui";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * /oidc/logout, the end_session_endpoint (OpenID Connect RP-Initiated Logout
 * 1.0): an application signs its user out of the portal too. The decision is
 * app/.server/oidc/logout.ts.
 *
 * Rule: anyone. A signed-in user is signed out only with proof: an
 * id_token_hint the portal signed for this very session, or their own press of
 * "Sign Out" on this page (a same-origin POST, the door's CSRF check). They can
 * only end their own session. The post-logout redirect goes only to a URI
 * registered for the application.
 */

const COPY = {
  title: "Sign out - CMS.gov | QualityNet",
  heading: "Sign out of the portal?",
  intro: (app: string | null) =>
    app
      ? `${app} asked to sign you out. Signing out ends your portal session and your sessions at the applications you reached through it.`
      : "Signing out ends your portal session and your sessions at the applications you reached through it.",
  hintRejected: "This sign-out request could not be verified. You can still sign out here.",
  signOut: "Sign Out",
  stay: "Stay signed in",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

/** Carries out a decision that ends or skips the session; null when the user must be asked. */
async function carryOut(
  decision: LogoutDecision,
  args: LoaderArgs | ActionArgs,
  session: Awaited<ReturnType<typeof getSession>>,
) {
  if (decision.kind === "confirm") return null;
  if (decision.kind === "sign-out" && session)
    await signOutForApplication(args.context.deps, session, args.context.clientIp);
  return redirect(decision.redirectTo ?? SIGNED_OUT_PATH, {
    headers: session ? { "Set-Cookie": clearSessionCookie() } : undefined,
  });
}

function hiddenFields(params: LogoutParams) {
  return {
    id_token_hint: params.idTokenHint,
    client_id: params.clientId,
    post_logout_redirect_uri: params.postLogoutRedirectUri,
    state: params.state,
  };
}

export async function loader(args: LoaderArgs) {
  const { request, context } = args;
  const params = logoutParamsFrom(new URL(request.url).searchParams);
  const session = await getSession(context.deps, request);
  const decision = await decideLogout(context.deps, params, session, { confirmed: false });
  const done = await carryOut(decision, args, session);
  if (done) return done;
  if (decision.kind !== "confirm") throw new Error("unreachable");
  return { clientName: decision.clientName, hintRejected: decision.hintRejected, fields: hiddenFields(params) };
}

export async function action(args: ActionArgs) {
  const { request, context } = args;
  const form = await request.formData();
  const params = logoutParamsFrom(form);
  const session = await getSession(context.deps, request);
  // Only the page's own button confirms; an application's POST is read as its GET would be.
  const confirmed = form.get("intent") === "sign-out";
  const decision = await decideLogout(context.deps, params, session, { confirmed });
  const done = await carryOut(decision, args, session);
  if (done) return done;
  if (decision.kind !== "confirm") throw new Error("unreachable");
  return { clientName: decision.clientName, hintRejected: decision.hintRejected, fields: hiddenFields(params) };
}

export default function OidcLogout() {
  const { clientName, hintRejected, fields } = useLoaderData<typeof loader>();
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      {hintRejected ? (
        <Alert variant="warning">
          <p>{COPY.hintRejected}</p>
        </Alert>
      ) : null}
      <p>{COPY.intro(clientName)}</p>
      <Form method="post" id="logout-confirm">
        {Object.entries(fields).map(([name, value]) =>
          value === null ? null : <input key={name} type="hidden" name={name} value={value} />,
        )}
        <Button name="intent" value="sign-out">
          {COPY.signOut}
        </Button>
      </Form>
      <p>
        <LinkButton to="/" variant="secondary">
          {COPY.stay}
        </LinkButton>
      </p>
    </div>
  );
}
