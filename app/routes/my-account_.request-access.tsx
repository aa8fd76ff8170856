import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useEffect, useRef, useState } from "react";
import {
  data,
  Form,
  Link,
  type MetaFunction,
  redirect,
  useActionData,
  useFetcher,
  useLoaderData,
  useNavigation,
} from "react-router";
import {
  checkRequest,
  loadRequestForm,
  type RequestProblemCode,
  type RequestProblems,
  submitAccessRequest,
} from "~/.server/access/requests";
import { Dialog } from "~/components/ds";
import { ErrorSummary, SelectField, TextArea, TextField } from "~/components/fields";
import { OrganizationSearchDialog } from "~/components/organization-search";
import { Alert } from "~/components/ui";
import { AccessRequestSchema, ADDITIONAL_INFO_MAX, COMMENTS_MAX, formatDateUS, QBIC_NOTE } from "~/lib/access-request";
import { todayEastern } from "~/lib/format";
import { type FormReply, type ReplyErrors, replyWithoutSecrets, useSchemaForm } from "~/lib/forms";
import { useHydrated } from "~/lib/use-hydrated";
import { refuse as refuseScreen, requireCapability } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

/**
 * "Request User Access" (SPEC 2.5). One route, one form, four intents:
 * - `refresh`: re-render with what was entered (the dependent selects without JavaScript;
 *   also the return from the organization search page and "Cancel" on the confirmation);
 * - `review`: check everything on the server, then ask "Submit Request Confirmation"
 *   (a dialog with JavaScript, a page without);
 * - `confirm`: submit; the same submission key always yields the same request;
 * - the organization search posts the draft to its own page and back (no JavaScript).
 * With JavaScript, Program and Organization changes reload the options in place.
 */

const COPY = {
  title: "Request User Access - CMS.gov | QualityNet",
  heading: "Request User Access",
  userInfo: "User Information",
  userId: "User ID",
  name: "Name",
  email: "Email",
  requestInfo: "User Request Information",
  program: "Program",
  programPlaceholder: "Select a program",
  organization: "Organization",
  noOrganization: "No organization selected.",
  search: "Search Organizations",
  role: "User Role",
  rolePlaceholder: "Select a role",
  roleHintNoOrg: "Choose a program and an organization to see the roles they allow.",
  roleNotAllowed: (role: string | undefined, where: string) =>
    `${role ?? "The User Role you chose"} is not available for ${where}. Choose another User Role.`,
  startDate: "Start Date",
  endDate: "End Date",
  dateHint: "mm/dd/yyyy",
  endDateRequired: (roles: string) => `mm/dd/yyyy. Required for ${roles}.`,
  notApplicable: "Not Applicable",
  approvers: "Approvers",
  approverPlaceholder: "Select an approver",
  approverHintSo: "The organization's Security Officials decide this request.",
  approverHintHelpDesk:
    "This organization has no Security Official for this program yet, so the program's help desk decides this request.",
  additional: "User Request Additional Information",
  additionalHint: "Anything that helps the approver, such as your job title or why you need this role.",
  comments: "Comments",
  commentsHint: `Up to ${COMMENTS_MAX.toLocaleString("en-US")} characters.`,
  update: "Update roles and approvers",
  submit: "Submit Request",
  cancel: "Cancel",
  confirmHeading: "Submit Request Confirmation",
  confirmLead: "Submit this request? You can cancel it from My Requests while it is pending.",
  ok: "OK",
  duplicate: "You already have an open request for this program, organization and role:",
  expiredForm: "This form has expired. Open Request My Access again.",
  /** What is wrong with a request given the data (`checkRequest`, `submitAccessRequest`), by field. */
  problem: {
    program_missing: () => "Select a Program.",
    organization_missing: () => "Search for and select an Organization.",
    organization_not_active: (f) =>
      `${f.organization} is ${f.organizationStatus.toLowerCase()} and cannot be requested. Choose another organization.`,
    role_not_offered: (f) =>
      `That role is not available for ${f.orgType} organizations under this program. Choose one of the roles listed.`,
    role_held: (f) =>
      `You already hold the ${f.role} role for ${f.program} at ${f.organization}. Choose another role, or see My Roles.`,
    start_date_past: () => "The Start Date cannot be in the past.",
    end_date_past: () => "The End Date cannot be in the past.",
    end_date_required: (f) => `A ${f.role} role needs an End Date. Enter one.`,
    no_approver: () => "No approver is available for this organization and program. Contact the help desk.",
    approver_not_listed: () => "Select one of the approvers listed for this request.",
  } satisfies Record<RequestProblemCode, (facts: ProblemFacts) => string>,
  throttled: (hours: number) =>
    `You have submitted many requests today. Try again in ${hours} hour${hours === 1 ? "" : "s"}, or contact the help desk.`,
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

const FORM_ID = "request-access";
const RETURN_TO = "/my-account/request-access";

const positive = (value: FormDataEntryValue | string | null): number | null => {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
};

function submissionKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_");
}

async function gate(context: LoaderArgs["context"], request: Request) {
  return requireCapability(context.deps, request, "request.create", {}, { returnTo: RETURN_TO });
}

export async function loader({ request, context }: LoaderArgs) {
  const { user } = await gate(context, request);
  const url = new URL(request.url);
  const chosen = {
    programId: positive(url.searchParams.get("program")),
    organizationId: positive(url.searchParams.get("organization")),
  };
  const options = await loadRequestForm(context.deps, user.id, chosen);
  return {
    user: { loginId: user.loginId, name: `${user.firstName} ${user.lastName}`, email: user.email },
    options,
    defaults: {
      submissionKey: submissionKey(),
      programId: chosen.programId ? String(chosen.programId) : "",
      organizationId: chosen.organizationId ? String(chosen.organizationId) : "",
      startDate: formatDateUS(todayEastern(context.deps.now())),
      endDateNotApplicable: "on",
    },
  };
}

const DRAFT_FIELDS = new Set(Object.keys(AccessRequestSchema.shape));

/**
 * The draft as the browser sent it, to render again exactly (no secrets on this
 * form). The search page sends the draft back as one JSON field, with the
 * organization picked there as its own field.
 */
function draftOf(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  const carried = form.get("draft");
  if (typeof carried === "string") {
    try {
      const parsed: unknown = JSON.parse(carried);
      if (parsed && typeof parsed === "object")
        for (const [key, value] of Object.entries(parsed)) if (typeof value === "string") out[key] = value;
    } catch {
      // A damaged draft: the form starts from what this post carries.
    }
  }
  for (const [key, value] of form.entries()) if (typeof value === "string") out[key] = value;
  // Only the form's own fields, each no longer than any of them may be, travel on.
  return Object.fromEntries(
    Object.entries(out)
      .filter(([key]) => DRAFT_FIELDS.has(key))
      .map(([key, value]) => [key, value.slice(0, COMMENTS_MAX + 100)]),
  );
}

export async function action({ request, context }: ActionArgs) {
  const { user } = await gate(context, request);
  const form = await request.formData().catch(() => null);
  if (!form) throw new Response("Bad Request", { status: 400 });
  const intent = String(form.get("intent") ?? "refresh");
  const draft = draftOf(form);
  const chosen = {
    programId: positive(draft.programId ?? null),
    organizationId: positive(draft.organizationId ?? null),
    // The role's approver rule can change who approves.
    roleId: positive(draft.roleId ?? null),
  };
  const options = await loadRequestForm(context.deps, user.id, chosen);

  if (intent !== "review" && intent !== "confirm") {
    // Nothing is checked yet: the form comes back with everything kept and new options.
    return { formId: FORM_ID, result: { initialValue: draft } satisfies FormReply, options, view: "form" as const };
  }

  const submission = parseWithZod(form, { schema: AccessRequestSchema });
  const refuse = (errors: ReplyErrors, status = 400, duplicateOf?: string) =>
    data(
      { formId: FORM_ID, result: replyWithoutSecrets(submission, errors), options, view: "form" as const, duplicateOf },
      { status },
    );
  if (submission.status !== "success") return refuse({});

  const wordProblems = (problems: RequestProblems) => problemErrors(problems, options, submission.value.roleId);
  if (intent === "review") {
    const problems = checkRequest(options, submission.value, todayEastern(context.deps.now()));
    if (problems) return refuse({ fieldErrors: wordProblems(problems) });
    return { formId: FORM_ID, result: { initialValue: draft } satisfies FormReply, options, view: "confirm" as const };
  }

  const client = await getClient(context, request);
  const result = await submitAccessRequest(context.deps, user, submission.value, client);
  if (result.ok)
    throw redirect(`/my-account/requests/${result.value.requestId}${result.value.created ? "?submitted=1" : ""}`);
  const detail = result.detail ?? {};
  switch (result.code) {
    case "invalid":
      return refuse({ fieldErrors: wordProblems(detail as RequestProblems) });
    case "duplicate":
      return refuse({ formErrors: [COPY.duplicate] }, 409, String(detail.existingId));
    case "throttled":
      return refuse({ formErrors: [COPY.throttled(Math.ceil(Number(detail.retryAfterSeconds) / 3600))] }, 429);
    case "expired_form":
      return refuse({ formErrors: [COPY.expiredForm] }, 409);
    case "refused":
      return refuseScreen(result.refusal, request);
  }
}

/** The facts a problem's words name, from the options the screen shows with it. */
interface ProblemFacts {
  organization: string;
  organizationStatus: string;
  orgType: string;
  role: string;
  program: string;
}

/** Each field's problem in the screen's words. */
function problemErrors(
  problems: RequestProblems,
  options: Awaited<ReturnType<typeof loadRequestForm>>,
  roleId: number,
): Record<string, string[]> {
  const facts: ProblemFacts = {
    organization: options.organization?.name ?? "",
    organizationStatus: options.organization?.status ?? "",
    orgType: options.organization?.orgType ?? "",
    role: options.roles.find((r) => r.id === roleId)?.name ?? "",
    program: options.program?.name ?? "",
  };
  const errors: Record<string, string[]> = {};
  for (const [field, code] of Object.entries(problems) as [keyof RequestProblems, RequestProblemCode][])
    errors[field] = [COPY.problem[code](facts)];
  return errors;
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;
type Options = LoaderData["options"];

export default function RequestUserAccess() {
  const { user, options: loaded, defaults } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const hydrated = useHydrated();
  const busy = useNavigation().state !== "idle";
  const optionsFetcher = useFetcher<typeof loader>();
  const [form, fields] = useSchemaForm({
    id: FORM_ID,
    schema: AccessRequestSchema,
    actionData,
    defaultValue: defaults,
  });
  const options: Options = optionsFetcher.data?.options ?? actionData?.options ?? loaded;
  const draft = (actionData?.result?.initialValue ?? defaults) as Record<string, string>;
  const [organizationId, setOrganizationId] = useState(String(draft.organizationId ?? ""));
  const [programId, setProgramId] = useState(String(draft.programId ?? ""));
  const [notApplicable, setNotApplicable] = useState(draft.endDateNotApplicable === "on");
  // The User Role is the screen's own state, not the select's: the roles are loaded again whenever the program or
  // the organization changes, and a role chosen meanwhile stays chosen as long as the new list still has it.
  const [roleId, setRoleId] = useState(String(draft.roleId ?? ""));
  const roleNames = useRef(new Map<string, string>());
  for (const r of options.roles) roleNames.current.set(String(r.id), r.name);
  const formRef = useRef<HTMLFormElement>(null);

  // A new answer from the server (a refresh or a failed check) is the new truth.
  useEffect(() => {
    const next = (actionData?.result?.initialValue ?? null) as Record<string, string> | null;
    if (!next) return;
    setOrganizationId(String(next.organizationId ?? ""));
    setProgramId(String(next.programId ?? ""));
    setRoleId(String(next.roleId ?? ""));
    setNotApplicable(next.endDateNotApplicable === "on");
  }, [actionData]);

  function reloadOptions(program: string, organization: string) {
    optionsFetcher.load(
      `${RETURN_TO}?program=${encodeURIComponent(program)}&organization=${encodeURIComponent(organization)}`,
    );
  }

  const confirming = actionData?.view === "confirm";
  const [dialogFor, setDialogFor] = useState<unknown>(null);
  useEffect(() => {
    if (actionData?.view === "confirm") setDialogFor(actionData);
  }, [actionData]);
  if (confirming && !hydrated) return <ConfirmPage draft={draft} options={options} user={user} />;

  // A role the newly chosen program or organization does not offer is not sent (the select shows its placeholder),
  // and the screen says why; choosing the program and organization back brings it back.
  const roleAllowed = roleId === "" || options.roles.some((r) => String(r.id) === roleId);
  const roleWhere = options.organization?.name ?? options.program?.name;
  const roleNotAllowed =
    !roleAllowed && options.program && roleWhere ? COPY.roleNotAllowed(roleNames.current.get(roleId), roleWhere) : null;
  const qbicNote = options.roles.some((r) => r.isSecurityOfficial) && options.program !== null;
  // Roles whose rules (Administration) need an End Date.
  const needEndDate = options.roles.filter((r) => r.requiresEndDate).map((r) => r.name);
  const approverHint =
    options.program && options.organization
      ? options.approverKind === "security_official"
        ? COPY.approverHintSo
        : COPY.approverHintHelpDesk
      : undefined;

  return (
    <div className="form-page form-page--wide">
      <h1>{COPY.heading}</h1>
      {actionData && "duplicateOf" in actionData && actionData.duplicateOf ? (
        <Alert variant="warning" heading={COPY.duplicate}>
          <p>
            <Link to={`/my-account/requests/${actionData.duplicateOf}`}>{actionData.duplicateOf}</Link>
          </p>
        </Alert>
      ) : (
        <ErrorSummary form={form} />
      )}
      <section aria-labelledby="user-info-heading">
        <h2 id="user-info-heading">{COPY.userInfo}</h2>
        <dl className="details-list">
          <dt>{COPY.userId}</dt>
          <dd>{user.loginId}</dd>
          <dt>{COPY.name}</dt>
          <dd>{user.name}</dd>
          <dt>{COPY.email}</dt>
          <dd>{user.email}</dd>
        </dl>
      </section>
      <Form method="post" action={RETURN_TO} ref={formRef} {...getFormProps(form)}>
        <h2>{COPY.requestInfo}</h2>
        <input type="hidden" name="submissionKey" value={String(draft.submissionKey ?? defaults.submissionKey)} />
        <input type="hidden" name="organizationId" value={organizationId} />
        <SelectField
          field={fields.programId}
          label={COPY.program}
          placeholder={COPY.programPlaceholder}
          options={options.programs.map((p) => ({ value: String(p.id), label: p.name }))}
          onChange={(e) => {
            setProgramId(e.currentTarget.value);
            if (hydrated) reloadOptions(e.currentTarget.value, organizationId);
          }}
        />
        <fieldset
          className="ds-c-fieldset organization-picker"
          aria-describedby={fields.organizationId.errors?.[0] ? fields.organizationId.errorId : undefined}
        >
          <legend>{COPY.organization}</legend>
          {fields.organizationId.errors?.[0] ? (
            <p className="ds-c-inline-error" id={fields.organizationId.errorId}>
              {fields.organizationId.errors[0]}
            </p>
          ) : null}
          <p id={fields.organizationId.id} tabIndex={-1} aria-live="polite">
            {options.organization ? (
              <>
                <strong>{options.organization.name}</strong>
                <br />
                {options.organization.orgType} · {options.organization.city}, {options.organization.state}
                {options.organization.status !== "Active" ? ` · ${options.organization.status}` : ""}
              </>
            ) : (
              COPY.noOrganization
            )}
          </p>
          {hydrated ? (
            <OrganizationSearchDialog
              label={COPY.search}
              onChoose={(org) => {
                setOrganizationId(String(org.id));
                reloadOptions(programId, String(org.id));
              }}
            />
          ) : (
            <button
              type="submit"
              name="intent"
              value="open"
              formAction="/my-account/request-access/organizations"
              formNoValidate
              className="ds-c-button"
            >
              {COPY.search}
            </button>
          )}
        </fieldset>
        <SelectField
          field={fields.roleId}
          label={COPY.role}
          placeholder={COPY.rolePlaceholder}
          hint={roleNotAllowed ?? (options.organization ? undefined : COPY.roleHintNoOrg)}
          options={options.roles.map((r) => ({ value: String(r.id), label: r.name }))}
          value={roleAllowed ? roleId : ""}
          onChange={(e) => setRoleId(e.currentTarget.value)}
        />
        <p className="ds-u-visibility--screen-reader" role="status">
          {roleNotAllowed}
        </p>
        {qbicNote ? (
          <Alert variant="info">
            <p>{QBIC_NOTE}</p>
          </Alert>
        ) : null}
        <div className="date-pair">
          <TextField field={fields.startDate} label={COPY.startDate} hint={COPY.dateHint} inputMode="numeric" />
          <TextField
            field={fields.endDate}
            label={COPY.endDate}
            hint={needEndDate.length > 0 ? COPY.endDateRequired(needEndDate.join(", ")) : COPY.dateHint}
            inputMode="numeric"
            disabled={hydrated && notApplicable}
          />
        </div>
        <div className="ds-c-choice-wrapper">
          <input
            type="checkbox"
            id={fields.endDateNotApplicable.id}
            name={fields.endDateNotApplicable.name}
            value="on"
            className="ds-c-choice"
            checked={notApplicable}
            onChange={(e) => setNotApplicable(e.currentTarget.checked)}
          />
          <label htmlFor={fields.endDateNotApplicable.id}>
            {COPY.endDate}: {COPY.notApplicable}
          </label>
        </div>
        <SelectField
          key={`approvers-${options.program?.id ?? 0}-${options.organization?.id ?? 0}-${options.approverKind}`}
          field={fields.approverUserId}
          label={COPY.approvers}
          placeholder={COPY.approverPlaceholder}
          hint={approverHint}
          options={options.approvers.map((a) => ({ value: a.userId, label: a.name }))}
        />
        <TextArea
          field={fields.additionalInfo}
          label={COPY.additional}
          hint={COPY.additionalHint}
          max={ADDITIONAL_INFO_MAX}
        />
        <TextArea field={fields.comments} label={COPY.comments} hint={COPY.commentsHint} max={COMMENTS_MAX} />
        {hydrated ? null : (
          <p>
            <button type="submit" name="intent" value="refresh" formNoValidate className="ds-c-button">
              {COPY.update}
            </button>
          </p>
        )}
        <div className="actions">
          <button type="submit" name="intent" value="review" className="ds-c-button ds-c-button--solid" disabled={busy}>
            {COPY.submit}
          </button>
          <Link to="/my-account" className="ds-c-button ds-c-button--ghost">
            {COPY.cancel}
          </Link>
        </div>
      </Form>
      {confirming && dialogFor === actionData ? (
        <ConfirmDialog formId={FORM_ID} draft={draft} options={options} onClose={() => setDialogFor(null)} />
      ) : null}
    </div>
  );
}

function Summary({ draft, options }: { draft: Record<string, string>; options: Options }) {
  const role = options.roles.find((r) => String(r.id) === draft.roleId);
  const approver = options.approvers.find((a) => a.userId === draft.approverUserId);
  return (
    <dl className="details-list">
      <dt>{COPY.program}</dt>
      <dd>{options.program?.name}</dd>
      <dt>{COPY.organization}</dt>
      <dd>{options.organization?.name}</dd>
      <dt>{COPY.role}</dt>
      <dd>{role?.name}</dd>
      <dt>{COPY.startDate}</dt>
      <dd>{draft.startDate}</dd>
      <dt>{COPY.endDate}</dt>
      <dd>{draft.endDateNotApplicable === "on" ? COPY.notApplicable : draft.endDate}</dd>
      <dt>{COPY.approvers}</dt>
      <dd>{approver?.name}</dd>
    </dl>
  );
}

/** Every field of the draft as hidden inputs, so "OK" and "Cancel" carry it on. */
function HiddenDraft({ draft }: { draft: Record<string, string> }) {
  return (
    <>
      {Object.entries(draft).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
    </>
  );
}

/** Without JavaScript: the confirmation is its own page. */
function ConfirmPage({
  draft,
  options,
  user,
}: {
  draft: Record<string, string>;
  options: Options;
  user: LoaderData["user"];
}) {
  return (
    <div className="form-page">
      <h1>{COPY.confirmHeading}</h1>
      <p className="lead">{COPY.confirmLead}</p>
      <dl className="details-list">
        <dt>{COPY.userId}</dt>
        <dd>{user.loginId}</dd>
      </dl>
      <Summary draft={draft} options={options} />
      <Form method="post" action={RETURN_TO}>
        <HiddenDraft draft={draft} />
        <div className="actions">
          <button type="submit" name="intent" value="confirm" className="ds-c-button ds-c-button--solid">
            {COPY.ok}
          </button>
          <button type="submit" name="intent" value="refresh" className="ds-c-button ds-c-button--ghost">
            {COPY.cancel}
          </button>
        </div>
      </Form>
    </div>
  );
}

/** With JavaScript: the same question as a modal dialog over the form; focus returns on close. */
function ConfirmDialog({
  formId,
  draft,
  options,
  onClose,
}: {
  formId: string;
  draft: Record<string, string>;
  options: Options;
  onClose: () => void;
}) {
  const busy = useNavigation().state !== "idle";
  // Mounted when asked for; the design system's modal dialog, whose Cancel closes it like its Close button.
  return (
    <Dialog
      id="confirm"
      heading={COPY.confirmHeading}
      isOpen
      onExit={onClose}
      actions={
        <>
          <button
            type="submit"
            form={formId}
            name="intent"
            value="confirm"
            className="ds-c-button ds-c-button--solid"
            disabled={busy}
          >
            {COPY.ok}
          </button>
          <button type="submit" form="confirm__close" className="ds-c-button">
            {COPY.cancel}
          </button>
        </>
      }
    >
      <p>{COPY.confirmLead}</p>
      <Summary draft={draft} options={options} />
    </Dialog>
  );
}
