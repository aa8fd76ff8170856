import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { recordAuditEvent } from "~/.server/audit/record";
import {
  changeChallengeQuestions,
  changePassword,
  getChallengeQuestionKeys,
  recentSecurityEvents,
} from "~/.server/auth/credentials";
import { endOtherSessions, endSession, listSessions, rotateSession } from "~/.server/auth/session";
import { describeUserAgent } from "~/.server/auth/sign-in";
import { requireSession } from "~/.server/guards";
import { getClient } from "~/.server/http";
import { ChallengeQuestionFields } from "~/components/challenge-fields";
import { flattenErrors } from "~/components/form-bits";
import { Alert, Button, TextField } from "~/components/ui";
import { CHALLENGE_QUESTIONS } from "~/lib/challenge-questions";
import { formatTime } from "~/lib/format";
import { formFields, keepInput } from "~/lib/forms";
import { PASSWORD_HINT } from "~/lib/password-policy";

const COPY = {
  title: "Profile - CMS.gov | QualityNet",
  heading: "Profile",
  passwordHeading: "Change password",
  currentPassword: "Current Password",
  newPassword: "New Password",
  confirmPassword: "Confirm New Password",
  changePassword: "Change Password",
  passwordChanged: "Your password was changed. Your other sessions were signed out.",
  questionsHeading: "Challenge questions",
  questionsCurrent: "Your questions:",
  questionsChanged: "Your challenge questions were changed.",
  saveQuestions: "Save Challenge Questions",
  sessionsHeading: "Active sessions",
  thisSession: "This session",
  started: "Signed in",
  lastActive: "Last active",
  from: "From",
  endSession: "Sign out this session",
  endOthers: "Sign out all other sessions",
  othersEnded: "Your other sessions were signed out.",
  sessionEnded: "That session was signed out.",
  eventsHeading: "Recent security events",
  noEvents: "No events yet.",
};

const EVENT_LABELS: Record<string, string> = {
  "signin.success": "Signed in",
  "signin.failure": "Failed sign-in attempt",
  "signin.throttled": "Sign-in attempts throttled",
  "account.locked": "Account locked",
  signout: "Signed out",
  "password.changed": "Password changed",
  "password.set_at_first_sign_in": "Password set at first sign-in",
  "password.reset": "Password reset",
  "password.reset_requested": "Password reset requested",
  "password.change_failed": "Password change refused (wrong current password)",
  "challenge_questions.set": "Challenge questions set",
  "challenge_questions.changed": "Challenge questions changed",
  "user.registered": "Account created",
  "sessions.ended_others": "Other sessions signed out",
  "session.ended": "A session was signed out",
  "account.reported_not_me": "Reported a sign-in as not yours",
  "user_id.reminder_requested": "User ID reminder requested",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(context.deps, request);
  const [sessions, events, questions] = await Promise.all([
    listSessions(context.deps, session.user.id),
    recentSecurityEvents(context.deps, session.user.id),
    getChallengeQuestionKeys(context.deps, session.user.id),
  ]);
  const url = new URL(request.url);
  return {
    loginId: session.user.loginId,
    notice: url.searchParams.get("done"),
    questions: questions.map((q) => CHALLENGE_QUESTIONS[q] ?? q),
    sessions: sessions.map((s) => ({
      id: s.idHash,
      current: s.idHash === session.idHash,
      device: describeUserAgent(s.userAgent),
      place: s.location ?? s.ip ?? "Unknown",
      started: formatTime(s.createdAt),
      lastActive: formatTime(s.lastSeenAt),
    })),
    events: events.map((e) => {
      const details = JSON.parse(e.detailsJson) as { location?: string };
      return {
        id: e.id,
        what: EVENT_LABELS[e.eventType] ?? e.eventType,
        outcome: e.outcome,
        when: formatTime(e.occurredAt),
        where: details.location ?? e.ip ?? "",
      };
    }),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(context.deps, request);
  const form = await formFields(request);
  const client = await getClient(context, request);
  const deps = context.deps;
  switch (form.intent) {
    case "change-password": {
      const result = await changePassword(deps, session.user, form, client, session);
      if (!result.ok)
        return data(
          { intent: form.intent, fieldErrors: flattenErrors(result.fieldErrors), values: keepInput(form) },
          { status: 400 },
        );
      return redirect("/profile?done=password#password", { headers: { "Set-Cookie": result.value.setCookie } });
    }
    case "change-questions": {
      const result = await changeChallengeQuestions(deps, session.user, form, client);
      if (!result.ok)
        return data(
          { intent: form.intent, fieldErrors: flattenErrors(result.fieldErrors), values: keepInput(form) },
          { status: 400 },
        );
      // The questions are a way back in: a new session id after changing them (ASVS 3.3.x).
      const rotated = await rotateSession(deps, session);
      return redirect(
        "/profile?done=questions#questions",
        rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined,
      );
    }
    case "end-others":
      await endOtherSessions(deps, session.user.id, session.idHash);
      await recordAuditEvent(deps, {
        eventType: "sessions.ended_others",
        outcome: "success",
        subjectUserId: session.user.id,
        actorUserId: session.user.id,
        ip: client.ip,
      });
      return redirect("/profile?done=others#sessions");
    case "end-session":
      await endSession(deps, session.user.id, form.sessionId ?? "");
      await recordAuditEvent(deps, {
        eventType: "session.ended",
        outcome: "success",
        subjectUserId: session.user.id,
        actorUserId: session.user.id,
        ip: client.ip,
      });
      return redirect(form.sessionId === session.idHash ? "/login?signedOut=1" : "/profile?done=session#sessions");
    default:
      return data(
        {
          intent: "unknown",
          fieldErrors: { form: "Choose an action." } as Record<string, string>,
          values: {} as Record<string, string>,
        },
        { status: 400 },
      );
  }
}

const NOTICES: Record<string, string> = {
  password: COPY.passwordChanged,
  questions: COPY.questionsChanged,
  others: COPY.othersEnded,
  session: COPY.sessionEnded,
};

export default function Profile() {
  const { loginId, notice, questions, sessions, events } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errorsFor = (intent: string) => (result?.intent === intent ? result.fieldErrors : undefined);
  return (
    <>
      <h1>{COPY.heading}</h1>
      {notice && NOTICES[notice] ? (
        <Alert variant="success" role="status">
          <p>{NOTICES[notice]}</p>
        </Alert>
      ) : null}

      <section id="password" aria-labelledby="password-heading" className="profile-section">
        <h2 id="password-heading">{COPY.passwordHeading}</h2>
        <Form method="post">
          <input type="hidden" name="intent" value="change-password" />
          <input type="hidden" name="username" autoComplete="username" value={loginId} />
          <TextField
            label={COPY.currentPassword}
            name="currentPassword"
            id="field-currentPassword"
            type="password"
            autoComplete="current-password"
            required
            error={errorsFor("change-password")?.currentPassword}
          />
          <TextField
            label={COPY.newPassword}
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            maxLength={128}
            hint={PASSWORD_HINT}
            error={errorsFor("change-password")?.newPassword}
          />
          <TextField
            label={COPY.confirmPassword}
            name="confirmPassword"
            type="password"
            autoComplete="new-password"
            required
            error={errorsFor("change-password")?.confirmPassword}
          />
          <Button disabled={busy}>{COPY.changePassword}</Button>
        </Form>
      </section>

      <section id="questions" aria-labelledby="questions-heading" className="profile-section">
        <h2 id="questions-heading">{COPY.questionsHeading}</h2>
        <p>{COPY.questionsCurrent}</p>
        <ul>
          {questions.map((q) => (
            <li key={q}>{q}</li>
          ))}
        </ul>
        <Form method="post">
          <input type="hidden" name="intent" value="change-questions" />
          <ChallengeQuestionFields
            errors={errorsFor("change-questions")}
            values={result?.intent === "change-questions" ? result.values : undefined}
          />
          <TextField
            label={COPY.currentPassword}
            name="currentPassword"
            id="field-questions-currentPassword"
            type="password"
            autoComplete="current-password"
            required
            error={errorsFor("change-questions")?.currentPassword}
          />
          <Button disabled={busy}>{COPY.saveQuestions}</Button>
        </Form>
      </section>

      <section id="sessions" aria-labelledby="sessions-heading" className="profile-section">
        <h2 id="sessions-heading">{COPY.sessionsHeading}</h2>
        <ul className="card-list">
          {sessions.map((s) => (
            <li key={s.id} className="card">
              <p>
                <strong>{s.device}</strong> {s.current ? <span className="tag">{COPY.thisSession}</span> : null}
              </p>
              <p className="hint">
                {COPY.from} {s.place} · {COPY.started} {s.started} · {COPY.lastActive} {s.lastActive}
              </p>
              {!s.current ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="end-session" />
                  <input type="hidden" name="sessionId" value={s.id} />
                  <Button variant="secondary">{COPY.endSession}</Button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
        {sessions.length > 1 ? (
          <Form method="post">
            <input type="hidden" name="intent" value="end-others" />
            <Button variant="secondary">{COPY.endOthers}</Button>
          </Form>
        ) : null}
      </section>

      <section id="events" aria-labelledby="events-heading" className="profile-section">
        <h2 id="events-heading">{COPY.eventsHeading}</h2>
        {events.length === 0 ? (
          <p>{COPY.noEvents}</p>
        ) : (
          <ul className="card-list">
            {events.map((e) => (
              <li key={e.id} className={`card event-${e.outcome}`}>
                <strong>{e.what}</strong>
                <span className="hint">
                  {" "}
                  · {e.when}
                  {e.where ? ` · ${e.where}` : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
