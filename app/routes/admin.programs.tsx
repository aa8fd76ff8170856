import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { listProgramRoleRules, type RoleRulesCode, updateRoleRules } from "~/.server/access/role-rules";
import { InlineError } from "~/components/ds";
import { CheckboxField, ErrorSummary, firstError, RadioGroup } from "~/components/fields";
import { Alert, Button } from "~/components/ui";
import { APPROVER_RULES, RoleRulesSchema } from "~/lib/admin-schemas";
import { useSchemaForm } from "~/lib/forms";
import { formFailure } from "~/web/.server/forms";
import { refuse, requireCapability } from "~/web/.server/guards";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * Administration, Programs and roles (SPEC 2.8): per program, the roles it
 * offers; per role, the organization types it is for, whether a request needs
 * an End Date, and who approves it. A change applies to the next request form
 * at once (`loadRequestForm`, `checkRequest`) and is audited with the rules
 * before and after (`role.rules_changed`).
 * Rule: the page, `can(actor, "admin.read")` (Help Desk Administrator, strong
 * session); a change, `can(actor, "admin.manage")` (a strong factor from the
 * last 15 minutes). Others get a 404.
 */

const COPY = {
  title: "Programs and roles - Administration - CMS.gov | QualityNet",
  heading: "Programs and roles",
  intro:
    "The roles each program offers and the rules a request for each must meet. Changes apply to the next request at once; requests already submitted keep the rules they were made under.",
  everyProgram: "Every program",
  none: "No roles.",
  orgTypes: "Organization types it is for",
  endDate: "A request must give an End Date",
  approver: "Who approves a request",
  save: "Save rules",
  saved: "Saved.",
  unchanged: "Nothing changed.",
  /** Why saving did nothing (`updateRoleRules`'s failures). */
  problem: {
    not_found: "No such role.",
    unknown_org_type: "Choose organization types from the list.",
  } satisfies Record<RoleRulesCode, string>,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  // Rule: admin.read.
  await requireCapability(context.deps, request, "admin.read");
  const url = new URL(request.url);
  return {
    ...(await listProgramRoleRules(context.deps)),
    saved: url.searchParams.get("saved"),
    // The role just saved: its notice goes in its card, where the address's #role-… scrolls to.
    savedRole: Number(url.searchParams.get("role")) || null,
  };
}

export async function action({ request, context }: ActionArgs) {
  // Rule: admin.manage (asked again by the service).
  const session = await requireCapability(context.deps, request, "admin.manage", {}, { returnTo: "/admin/programs" });
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: RoleRulesSchema });
  const formId = roleFormId(String(formData.get("roleId") ?? ""));
  if (submission.status !== "success") return formFailure(formId, submission);
  const result = await updateRoleRules(context.deps, session.actor, submission.value);
  if (!result.ok) {
    switch (result.code) {
      case "refused":
        return refuse(result.refusal, request, "/admin/programs");
      case "not_found":
        return formFailure(formId, submission, { formErrors: [COPY.problem.not_found] }, 409);
      case "unknown_org_type":
        return formFailure(formId, submission, { fieldErrors: { orgTypeIds: [COPY.problem.unknown_org_type] } });
    }
  }
  const { roleId } = submission.value;
  throw redirect(`/admin/programs?saved=${result.value.changed ? "1" : "0"}&role=${roleId}#role-${roleId}`);
}

const roleFormId = (roleId: string) => `role-rules-${roleId}`;

type Data = ReturnType<typeof useLoaderData<typeof loader>>;
type Role = Data["programs"][number]["roles"][number];

function RoleRulesForm({ role, orgTypes }: { role: Role; orgTypes: Data["orgTypes"] }) {
  const busy = useNavigation().state === "submitting";
  const actionData = useActionData<typeof action>();
  const [form, fields] = useSchemaForm({
    id: roleFormId(String(role.id)),
    schema: () => import("~/lib/admin-schemas").then((m) => m.RoleRulesSchema),
    actionData,
    defaultValue: { approverRule: role.approverRule, requiresEndDate: role.requiresEndDate ? "on" : "" },
  });
  const typesError = firstError(fields.orgTypeIds);
  return (
    <>
      <ErrorSummary form={form} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="roleId" value={role.id} />
        <fieldset className="ds-c-fieldset" aria-describedby={typesError ? fields.orgTypeIds.errorId : undefined}>
          <legend className="ds-c-label">{COPY.orgTypes}</legend>
          {typesError ? <InlineError id={fields.orgTypeIds.errorId}>{typesError}</InlineError> : null}
          {orgTypes.map((t, i) => {
            const id = i === 0 ? fields.orgTypeIds.id : `${fields.orgTypeIds.id}-${t.id}`;
            return (
              <div className="ds-c-choice-wrapper" key={t.id}>
                <input
                  type="checkbox"
                  id={id}
                  className="ds-c-choice"
                  name={fields.orgTypeIds.name}
                  value={t.id}
                  defaultChecked={role.orgTypeIds.includes(t.id)}
                />
                <label className="ds-c-label" htmlFor={id}>
                  {t.name}
                </label>
              </div>
            );
          })}
        </fieldset>
        <CheckboxField field={fields.requiresEndDate} label={COPY.endDate} required={false} />
        <RadioGroup
          field={fields.approverRule}
          legend={COPY.approver}
          options={APPROVER_RULES.map((r) => ({ value: r.value, label: r.label }))}
        />
        <div className="actions">
          <Button disabled={busy}>{COPY.save}</Button>
        </div>
      </Form>
    </>
  );
}

export default function ProgramsAndRoles() {
  const { programs, orgTypes, saved, savedRole } = useLoaderData<typeof loader>();
  const notice = saved ? (
    <Alert variant="success" role="status">
      <p>{saved === "1" ? COPY.saved : COPY.unchanged}</p>
    </Alert>
  ) : null;
  const inCard = savedRole !== null && programs.some((p) => p.roles.some((r) => r.id === savedRole));
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p>{COPY.intro}</p>
      {inCard ? null : notice}
      {programs.map((p) => (
        <section key={p.program?.id ?? "all"} aria-labelledby={`program-${p.program?.id ?? "all"}`}>
          <h2 id={`program-${p.program?.id ?? "all"}`}>{p.program ? p.program.name : COPY.everyProgram}</h2>
          {p.roles.length === 0 ? <p>{COPY.none}</p> : null}
          <ul className="card-list">
            {p.roles.map((role) => (
              <li key={role.id} id={`role-${role.id}`} className="card">
                <h3 className="card-title">
                  {role.name} ({role.code})
                </h3>
                {inCard && role.id === savedRole ? notice : null}
                <RoleRulesForm role={role} orgTypes={orgTypes} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}
