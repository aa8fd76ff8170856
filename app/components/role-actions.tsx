import { getFormProps } from "@conform-to/react";
import { Form, useActionData } from "react-router";
import { ErrorSummary, TextArea } from "~/components/fields";
import { Alert } from "~/components/ui";
import { DECISION_DETAILS_MAX, RevokeSchema } from "~/lib/decisions";
import { type FormActionData, useSchemaForm } from "~/lib/forms";

/**
 * What an approver may do with a role someone holds at their organization:
 * "Recertify" (it is still needed: a new year starts) and "Revoke" with a
 * reason, behind a <details> that states the consequence. Used by "Users at My
 * Organizations" and by the request page that granted the role; both routes
 * answer these forms with `handleRoleAction` (app/web/.server/role-actions.ts).
 */

const COPY = {
  recertify: (role: string, name: string) => `Recertify: ${name} still needs ${role}`,
  revokeSummary: (role: string, name: string) => `Revoke ${role} from ${name}`,
  revokeText: (role: string, name: string) =>
    `${name} loses the ${role} role at once and is emailed your reason. To get it back they must request it again.`,
  reason: "Reason for revoking",
  reasonHint: "The user reads this in the email.",
  revokeYes: "Revoke role",
};

export interface RoleActionTarget {
  userRoleId: string;
  roleName: string;
  holderName: string;
  mayRecertify: boolean;
  mayRevoke: boolean;
}

export function RoleActions({ target }: { target: RoleActionTarget }) {
  if (!target.mayRecertify && !target.mayRevoke) return null;
  return (
    <div className="role-actions">
      {target.mayRecertify ? (
        <Form method="post">
          <input type="hidden" name="intent" value="recertify" />
          <input type="hidden" name="userRoleId" value={target.userRoleId} />
          <button type="submit" className="ds-c-button ds-c-button--small">
            {COPY.recertify(target.roleName, target.holderName)}
          </button>
        </Form>
      ) : null}
      {target.mayRevoke ? <RevokeForm target={target} /> : null}
    </div>
  );
}

function RevokeForm({ target: t }: { target: RoleActionTarget }) {
  const actionData = useActionData<FormActionData<unknown>>();
  const formId = `revoke-${t.userRoleId}`;
  const [form, fields] = useSchemaForm({ id: formId, schema: RevokeSchema, actionData });
  const failed = actionData?.formId === formId && actionData.result.status === "error";
  return (
    <details className="confirm" open={failed || undefined}>
      <summary className="ds-c-button ds-c-button--small">{COPY.revokeSummary(t.roleName, t.holderName)}</summary>
      <p>{COPY.revokeText(t.roleName, t.holderName)}</p>
      <Form method="post" {...getFormProps(form)}>
        <ErrorSummary form={form} />
        <input type="hidden" name="intent" value="revoke" />
        <input type="hidden" name="userRoleId" value={t.userRoleId} />
        <TextArea field={fields.reason} label={COPY.reason} hint={COPY.reasonHint} max={DECISION_DETAILS_MAX} />
        <div className="actions">
          <button type="submit" className="ds-c-button ds-c-button--danger">
            {COPY.revokeYes}
          </button>
        </div>
      </Form>
    </details>
  );
}

/** What the last "Recertify" or "Revoke" did (`handleRoleAction`'s `notice`), or why it did nothing (`problem`). */
export function RoleActionOutcome() {
  const actionData = useActionData<{ notice?: string; problem?: string }>();
  if (actionData?.notice)
    return (
      <Alert variant="success" role="status">
        <p>{actionData.notice}</p>
      </Alert>
    );
  if (actionData?.problem)
    return (
      <Alert variant="warning" role="alert">
        <p>{actionData.problem}</p>
      </Alert>
    );
  return null;
}
