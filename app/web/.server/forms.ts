import { data } from "react-router";
import { type AnySubmission, type FormActionData, type ReplyErrors, replyWithoutSecrets } from "~/lib/forms";

/**
 * A form that cannot go on (see `app/lib/forms.ts`): the errors and the user's input without
 * its secrets, for the form `formId`, with status 400 unless the failure says otherwise
 * (429 throttled, 401 wrong credentials, 409 busy, 410 gone).
 */
export function formFailure(formId: string, submission: AnySubmission, errors: ReplyErrors = {}, status = 400) {
  return data({ formId, result: replyWithoutSecrets(submission, errors) } satisfies FormActionData, { status });
}

/** A form that succeeded and stays on screen to show `done`; nothing typed is sent back. */
export function formSuccess<Done>(formId: string, submission: AnySubmission, done: Done) {
  return { formId, result: submission.reply({ resetForm: true }), done } satisfies FormActionData<Done>;
}
