import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, type MetaFunction, redirect, useActionData, useLoaderData } from "react-router";
import { reportNotMe } from "~/.server/auth/credentials";
import { peekEmailToken } from "~/.server/auth/email-tokens";
import { clearSessionCookie } from "~/.server/auth/session";
import { Alert, Button, LinkButton } from "~/components/ui";
import { useSchemaForm } from "~/lib/forms";
import { NotMeSchema } from "~/lib/schemas";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "This wasn't me - CMS.gov | QualityNet",
  heading: "This wasn't me",
  intro:
    "We will sign your account out everywhere and take you to choose a new password. You will need your second factor.",
  confirm: "Sign Out Everywhere and Reset Password",
  expired:
    "This link has expired or was already used. If you still think someone else is using your account, reset your password now.",
  reset: "Reset password",
  holdIntro:
    "Your password was reset without your MFA device. If that was not you, we will sign the account out everywhere and put it on hold: the new password stops working until the help desk verifies who you are and unlocks it.",
  hold: "Sign Out Everywhere and Hold My Account",
  held: "Done. Every session was signed out and your account is on hold. Contact the help desk to verify who you are; they will unlock it and help you set up your MFA device again.",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const token = new URL(request.url).searchParams.get("token");
  // A GET changes nothing (mail scanners follow links); the button does.
  if (await peekEmailToken(context.deps, token, "weak_reset_not_me")) return { token, afterWeakReset: true };
  return { token: (await peekEmailToken(context.deps, token, "not_me")) ? token : null, afterWeakReset: false };
}

const FORM_ID = "not-me";

export async function action({ request, context }: ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: NotMeSchema });
  if (submission.status !== "success") return formFailure(FORM_ID, submission, { formErrors: [COPY.expired] }, 410);
  const result = await reportNotMe(context.deps, submission.value, await getClient(context, request));
  if (!result.ok) return formFailure(FORM_ID, submission, { formErrors: [COPY.expired] }, 410);
  if ("held" in result.value)
    return data(formSuccess(FORM_ID, submission, { held: true }), {
      headers: { "Set-Cookie": clearSessionCookie() },
    });
  return redirect(`/reset-password?token=${result.value.resetToken}`, {
    headers: { "Set-Cookie": clearSessionCookie() },
  });
}

export default function ThisWasntMe() {
  const { token, afterWeakReset } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form] = useSchemaForm({
    id: FORM_ID,
    schema: () => import("~/lib/schemas").then((m) => m.NotMeSchema),
    actionData,
  });
  if (actionData && "done" in actionData) {
    return (
      <div className="form-page">
        <h1>{COPY.heading}</h1>
        <Alert variant="success" role="status">
          <p>{COPY.held}</p>
        </Alert>
      </div>
    );
  }
  if (!token || form.status === "error") {
    return (
      <div className="form-page">
        <h1>{COPY.heading}</h1>
        <Alert variant="warning">
          <p>{COPY.expired}</p>
        </Alert>
        <LinkButton to="/forgot-password">{COPY.reset}</LinkButton>
      </div>
    );
  }
  return (
    <div className="form-page">
      <h1>{COPY.heading}</h1>
      <p>{afterWeakReset ? COPY.holdIntro : COPY.intro}</p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="token" value={token} />
        <Button>{afterWeakReset ? COPY.hold : COPY.confirm}</Button>
      </Form>
    </div>
  );
}
