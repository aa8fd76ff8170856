import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import type { Action } from "~/.server/access/authorize";
import { recordAuditEvent } from "~/.server/audit/record";
import {
  challengeQuestionKeysQuery,
  changeChallengeQuestions,
  changePassword,
  recentSecurityEvents,
} from "~/.server/auth/credentials";
import { endOtherSessions, endSession, listSessions, rotateSession } from "~/.server/auth/session";
import { describeUserAgent } from "~/.server/auth/sign-in";
import type { CodeOf } from "~/.server/result";
import { ChallengeQuestionFields } from "~/components/challenge-fields";
import { ErrorSummary, NewPasswordFields, PasswordField } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import {
  ChangePasswordSchema,
  ChangeQuestionsSchema,
  EndOthersSchema,
  EndSessionSchema,
  ProfileIntentSchema,
} from "~/lib/account-schemas";
import { lockedMessage } from "~/lib/auth-copy";
import { CHALLENGE_QUESTIONS, type ChallengeQuestionKey } from "~/lib/challenge-questions";
import { type FailureCopy, factDate, factNumber, failureErrors } from "~/lib/failure-words";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { PASSWORD_PROBLEMS } from "~/lib/password-policy";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "Profile - CMS.gov | QualityNet",
  heading: "Profile",
  passwordHeading: "Change password",
  currentPassword: "Current Password",
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
  applications: "Connected Applications",
  applicationsHint: "The programs' applications you allowed to sign you in, and Disconnect.",
  noEvents: "No events yet.",
};

/** Next to Current Password (both forms ask for it), or next to the new password. */
const CURRENT_PASSWORD_FAILURES = {
  throttled: (facts) =>
    `Too many tries. Try again in ${Math.ceil(factNumber(facts, "retryAfterSeconds") / 60)} minutes.`,
  locked: (facts) => lockedMessage(factDate(facts, "until")),
  wrong_password: "Your current password is not correct.",
} satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof changeChallengeQuestions>>>>;

const PASSWORD_FAILURES = {
  ...CURRENT_PASSWORD_FAILURES,
  ...PASSWORD_PROBLEMS,
} satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof changePassword>>>>;

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
  "oidc.consent_granted": "Allowed an application to know who you are",
  "oidc.disconnected": "Disconnected an application",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const session = await requireSession(context.deps, request);
  // One round trip for the screen's data.
  const [sessions, events, answers] = await context.deps.db.batch([
    listSessions(context.deps, session.user.id),
    recentSecurityEvents(context.deps, session.user.id),
    challengeQuestionKeysQuery(context.deps, session.user.id),
  ]);
  const questions = answers.map((a) => a.key as ChallengeQuestionKey);
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

const PASSWORD_FORM = "change-password";
const QUESTIONS_FORM = "change-questions";
const OTHERS_FORM = "end-others";
const sessionFormId = (sessionId: string) => `end-session-${sessionId}`;

/**
 * Changing a credential (the password, the challenge questions): own account, not
 * restricted, a strong factor from the last 15 minutes (else step up and back).
 * The other forms: any session of the owner.
 */
const CREDENTIAL_RULES: Record<string, { action: Action; returnTo: string }> = {
  "change-password": { action: "password.change", returnTo: "/profile#password" },
  "change-questions": { action: "challenge_questions.change", returnTo: "/profile#questions" },
};

export async function action({ request, context }: ActionArgs) {
  const deps = context.deps;
  const formData = await request.formData();
  const rule = CREDENTIAL_RULES[String(formData.get("intent"))];
  const session = rule
    ? await requireCapability(deps, request, rule.action, {}, { returnTo: rule.returnTo })
    : await requireSession(deps, request);
  const client = await getClient(context, request);
  switch (formData.get("intent")) {
    case "change-password": {
      const submission = parseWithZod(formData, { schema: ChangePasswordSchema });
      if (submission.status !== "success") return formFailure(PASSWORD_FORM, submission);
      const result = await changePassword(deps, session.actor, session.user, submission.value, client, session);
      if (!result.ok) {
        if (result.code === "refused") refuse(result.refusal, request, "/profile#password");
        return formFailure(PASSWORD_FORM, submission, failureErrors(PASSWORD_FAILURES, result));
      }
      return redirect("/profile?done=password#password", { headers: { "Set-Cookie": result.value.setCookie } });
    }
    case "change-questions": {
      const submission = parseWithZod(formData, { schema: ChangeQuestionsSchema });
      if (submission.status !== "success") return formFailure(QUESTIONS_FORM, submission);
      const result = await changeChallengeQuestions(deps, session.actor, session.user, submission.value, client);
      if (!result.ok) {
        if (result.code === "refused") refuse(result.refusal, request, "/profile#questions");
        return formFailure(QUESTIONS_FORM, submission, failureErrors(CURRENT_PASSWORD_FAILURES, result));
      }
      // The questions are a way back in: a new session id after changing them (ASVS 3.3.x).
      const rotated = await rotateSession(deps, session);
      return redirect(
        "/profile?done=questions#questions",
        rotated ? { headers: { "Set-Cookie": rotated.setCookie } } : undefined,
      );
    }
    case "end-others": {
      const submission = parseWithZod(formData, { schema: EndOthersSchema });
      if (submission.status !== "success") return formFailure(OTHERS_FORM, submission);
      await endOtherSessions(deps, session.user.id, session.idHash);
      await recordAuditEvent(deps, {
        eventType: "sessions.ended_others",
        outcome: "success",
        subjectUserId: session.user.id,
        actorUserId: session.user.id,
        ip: client.ip,
      });
      return redirect("/profile?done=others#sessions");
    }
    case "end-session": {
      const submission = parseWithZod(formData, { schema: EndSessionSchema });
      if (submission.status !== "success") return formFailure(sessionFormId(""), submission);
      const { sessionId } = submission.value;
      await endSession(deps, session.user.id, sessionId);
      await recordAuditEvent(deps, {
        eventType: "session.ended",
        outcome: "success",
        subjectUserId: session.user.id,
        actorUserId: session.user.id,
        ip: client.ip,
      });
      return redirect(sessionId === session.idHash ? "/login?signedOut=1" : "/profile?done=session#sessions");
    }
    default: {
      // No form on this screen posts anything else.
      const submission = parseWithZod(formData, { schema: ProfileIntentSchema });
      return formFailure("profile", submission);
    }
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
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [passwordForm, password] = useSchemaForm({
    id: PASSWORD_FORM,
    schema: () => import("~/lib/account-schemas").then((m) => m.ChangePasswordSchema),
    actionData,
  });
  const [questionsForm, questionFields] = useSchemaForm({
    id: QUESTIONS_FORM,
    schema: () => import("~/lib/account-schemas").then((m) => m.ChangeQuestionsSchema),
    actionData,
  });
  const [othersForm] = useSchemaForm({
    id: OTHERS_FORM,
    schema: () => import("~/lib/account-schemas").then((m) => m.EndOthersSchema),
    actionData,
  });
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
        <ErrorSummary form={passwordForm} />
        <Form method="post" {...getFormProps(passwordForm)}>
          <input type="hidden" name="intent" value="change-password" />
          <input type="hidden" name="username" autoComplete="username" value={loginId} />
          <PasswordField
            label={COPY.currentPassword}
            field={password.currentPassword}
            autoComplete="current-password"
            required
          />
          <NewPasswordFields newPassword={password.newPassword} confirmPassword={password.confirmPassword} />
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
        <ErrorSummary form={questionsForm} />
        <Form method="post" {...getFormProps(questionsForm)}>
          <input type="hidden" name="intent" value="change-questions" />
          <ChallengeQuestionFields fields={questionFields} />
          <PasswordField
            label={COPY.currentPassword}
            field={questionFields.currentPassword}
            autoComplete="current-password"
            required
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
              {!s.current ? <EndSessionForm sessionId={s.id} actionData={actionData} /> : null}
            </li>
          ))}
        </ul>
        {sessions.length > 1 ? (
          <Form method="post" {...getFormProps(othersForm)}>
            <input type="hidden" name="intent" value="end-others" />
            <Button variant="secondary">{COPY.endOthers}</Button>
          </Form>
        ) : null}
      </section>

      <section id="applications" aria-labelledby="applications-heading" className="profile-section">
        <h2 id="applications-heading">{COPY.applications}</h2>
        <p>
          <Link to="/profile/applications">{COPY.applications}</Link>: {COPY.applicationsHint}
        </p>
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

/** "Sign out this session", for one of the other sessions in the list. */
function EndSessionForm({ sessionId, actionData }: { sessionId: string; actionData: unknown }) {
  const [form] = useSchemaForm({
    id: sessionFormId(sessionId),
    schema: () => import("~/lib/account-schemas").then((m) => m.EndSessionSchema),
    actionData,
  });
  return (
    <Form method="post" {...getFormProps(form)}>
      <input type="hidden" name="intent" value="end-session" />
      <input type="hidden" name="sessionId" value={sessionId} />
      <Button variant="secondary">{COPY.endSession}</Button>
    </Form>
  );
}
