import { getFormProps } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, type MetaFunction, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { holdsApprovingRole } from "~/.server/access/authorize";
import {
  issueRecoveryCodes,
  listDevices,
  remainingRecoveryCodesQuery,
  removeDevice,
  renameDevice,
} from "~/.server/auth/mfa";
import type { CodeOf } from "~/.server/result";
import { ErrorSummary, TextField } from "~/components/fields";
import { RecoveryCodes } from "~/components/recovery-codes";
import { Alert, Button } from "~/components/ui";
import {
  DeviceIntentSchema,
  RegenerateCodesSchema,
  RemoveDeviceSchema,
  RenameDeviceSchema,
} from "~/lib/enrollment-schemas";
import { type FailureCopy, failureErrors } from "~/lib/failure-words";
import { formatTime } from "~/lib/format";
import { useSchemaForm } from "~/lib/forms";
import { MFA_DEVICE_TYPES, type MfaKind } from "~/lib/mfa";
import { formFailure, formSuccess } from "~/web/.server/forms";
import { refuse, requireCapability, requireSession } from "~/web/.server/guards";
import { getClient } from "~/web/.server/http";
import type { ActionArgs, LoaderArgs } from "~/web/.server/route-args";

const COPY = {
  title: "MFA devices - CMS.gov | QualityNet",
  heading: "MFA devices",
  added: "Device added.",
  renamed: "Device renamed.",
  removed: "Device removed.",
  credentialId: "Credential ID",
  addedOn: "Added",
  lastUsed: "Last used",
  never: "Not used yet",
  rename: "Rename",
  newName: "New name",
  remove: "Remove",
  removeHint:
    "Removing a device asks for a code from your authenticator app or security key (or a recovery code) if you have not given one in the last 15 minutes.",
  lastDevice: "This is your only device: add another before removing it.",
  renameFailures: {
    not_found: "That device is not on your account.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof renameDevice>>>>,
  removeFailures: {
    not_found: "That device is not on your account.",
    last_device: "You cannot remove your only MFA device. Add another one first.",
    last_strong_device:
      "Approvers must keep an authenticator app or security key. Add another one before removing this one.",
  } satisfies FailureCopy<CodeOf<Awaited<ReturnType<typeof removeDevice>>>>,
  addHeading: "Add a device",
  add: [
    { to: "/enrollment/totp?from=profile", label: "Authenticator app" },
    { to: "/enrollment/security-key?from=profile", label: "Security key or passkey" },
    { to: "/enrollment/email?from=profile", label: "Email" },
  ],
  codesHeading: "Recovery codes",
  codesLeft: (n: number) => `You have ${n} unused recovery codes.`,
  regenerate: "Create New Recovery Codes",
  regenerateHint:
    "New codes replace the old ones. You may be asked for a code from your authenticator app or security key first.",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export async function loader({ request, context }: LoaderArgs) {
  const { user } = await requireSession(context.deps, request);
  // One round trip for the screen's data.
  const [devices, codes] = await context.deps.db.batch([
    listDevices(context.deps, user.id),
    remainingRecoveryCodesQuery(context.deps, user.id),
  ]);
  const codesLeft = codes[0]?.n ?? 0;
  const url = new URL(request.url);
  return {
    notice: url.searchParams.has("added")
      ? COPY.added
      : url.searchParams.has("renamed")
        ? COPY.renamed
        : url.searchParams.has("removed")
          ? COPY.removed
          : null,
    codesLeft,
    devices: devices.map((d) => ({
      id: d.id,
      kind: d.kind as MfaKind,
      name: d.name,
      credentialLabel: d.credentialLabel,
      addedOn: formatTime(d.createdAt),
      lastUsed: d.lastUsedAt ? formatTime(d.lastUsedAt) : null,
    })),
  };
}

const renameFormId = (deviceId: string) => `rename-${deviceId}`;
const removeFormId = (deviceId: string) => `remove-${deviceId}`;
const CODES_FORM = "regenerate";

export async function action({ request, context }: ActionArgs) {
  const formData = await request.formData();
  const client = await getClient(context, request);
  const back = { returnTo: "/profile/devices" };
  const deviceId = String(formData.get("deviceId") ?? "");
  switch (formData.get("intent")) {
    case "rename": {
      // Rule: own devices; a name changes nothing about security.
      const { user } = await requireCapability(context.deps, request, "device.rename", {}, back);
      const submission = parseWithZod(formData, { schema: RenameDeviceSchema });
      if (submission.status !== "success") return formFailure(renameFormId(deviceId), submission);
      const result = await renameDevice(context.deps, user, submission.value);
      if (!result.ok) {
        if (result.code === "refused") return refuse(result.refusal, request, back.returnTo);
        return formFailure(renameFormId(deviceId), submission, failureErrors(COPY.renameFailures, result));
      }
      throw redirect("/profile/devices?renamed=1");
    }
    case "remove": {
      // Rule: own devices, a strong factor in the last 15 minutes.
      const { user, actor } = await requireCapability(context.deps, request, "device.remove", {}, back);
      const submission = parseWithZod(formData, { schema: RemoveDeviceSchema });
      if (submission.status !== "success") return formFailure(removeFormId(deviceId), submission);
      const result = await removeDevice(context.deps, user, submission.value.deviceId, client, {
        keepStrongDevice: holdsApprovingRole(actor),
      });
      if (!result.ok) {
        if (result.code === "refused") return refuse(result.refusal, request, back.returnTo);
        return formFailure(removeFormId(deviceId), submission, failureErrors(COPY.removeFailures, result));
      }
      throw redirect("/profile/devices?removed=1");
    }
    case "regenerate": {
      // Rule: a strong factor in the last 15 minutes (new codes are a new way in).
      const { user, actor } = await requireCapability(context.deps, request, "recovery_codes.issue", {}, back);
      const submission = parseWithZod(formData, { schema: RegenerateCodesSchema });
      if (submission.status !== "success") return formFailure(CODES_FORM, submission);
      const issued = await issueRecoveryCodes(context.deps, actor, user, client);
      if (!issued.ok) return refuse(issued.refusal, request, back.returnTo);
      return formSuccess(CODES_FORM, submission, { codes: issued.value, loginId: user.loginId });
    }
    default: {
      await requireSession(context.deps, request);
      const submission = parseWithZod(formData, { schema: DeviceIntentSchema });
      return formFailure("devices", submission);
    }
  }
}

export default function Devices() {
  const { devices, notice, codesLeft } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [codesForm] = useSchemaForm({
    id: CODES_FORM,
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.RegenerateCodesSchema),
    actionData,
  });
  const issued = actionData && "done" in actionData ? actionData.done : null;
  return (
    <>
      <h1>{COPY.heading}</h1>
      {notice ? (
        <Alert variant="success" role="status">
          <p>{notice}</p>
        </Alert>
      ) : null}
      <ul className="card-list">
        {devices.map((d) => (
          <li key={d.id} className="card">
            <h2 className="card-title">
              {d.name} <span className="tag">{MFA_DEVICE_TYPES[d.kind]}</span>
            </h2>
            <p className="hint">
              {COPY.credentialId} {d.credentialLabel} · {COPY.addedOn} {d.addedOn} ·{" "}
              {d.lastUsed ? `${COPY.lastUsed} ${d.lastUsed}` : COPY.never}
            </p>
            <RenameForm device={d} actionData={actionData} />
            {devices.length > 1 ? (
              <RemoveForm deviceId={d.id} actionData={actionData} />
            ) : (
              <p className="hint">{COPY.lastDevice}</p>
            )}
          </li>
        ))}
      </ul>

      <section aria-labelledby="add-heading">
        <h2 id="add-heading">{COPY.addHeading}</h2>
        <ul>
          {COPY.add.map((a) => (
            <li key={a.to}>
              <Link to={a.to}>{a.label}</Link>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="codes-section-heading" className="profile-section">
        <h2 id="codes-section-heading">{COPY.codesHeading}</h2>
        {issued ? (
          <RecoveryCodes codes={issued.codes} loginId={issued.loginId} />
        ) : (
          <>
            <p>{COPY.codesLeft(codesLeft)}</p>
            <ErrorSummary form={codesForm} />
            <Form method="post" {...getFormProps(codesForm)}>
              <p className="hint">{COPY.regenerateHint}</p>
              <input type="hidden" name="intent" value="regenerate" />
              <Button variant="secondary" disabled={busy}>
                {COPY.regenerate}
              </Button>
            </Form>
          </>
        )}
      </section>
    </>
  );
}

/** "Rename", for one device; opens again on its own error. */
function RenameForm({ device, actionData }: { device: { id: string; name: string }; actionData: unknown }) {
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useSchemaForm({
    id: renameFormId(device.id),
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.RenameDeviceSchema),
    actionData,
    defaultValue: { name: device.name },
  });
  return (
    <>
      <ErrorSummary form={form} />
      <details open={form.status === "error" || undefined}>
        <summary>{COPY.rename}</summary>
        <Form method="post" {...getFormProps(form)}>
          <input type="hidden" name="intent" value="rename" />
          <input type="hidden" name="deviceId" value={device.id} />
          <TextField label={COPY.newName} field={fields.name} required maxLength={40} />
          <Button variant="secondary" disabled={busy}>
            {COPY.rename}
          </Button>
        </Form>
      </details>
    </>
  );
}

/** "Remove", for one device. */
function RemoveForm({ deviceId, actionData }: { deviceId: string; actionData: unknown }) {
  const busy = useNavigation().state === "submitting";
  const [form] = useSchemaForm({
    id: removeFormId(deviceId),
    schema: () => import("~/lib/enrollment-schemas").then((m) => m.RemoveDeviceSchema),
    actionData,
  });
  return (
    <>
      <ErrorSummary form={form} />
      <details>
        <summary>{COPY.remove}</summary>
        <Form method="post" {...getFormProps(form)}>
          <p className="hint">{COPY.removeHint}</p>
          <input type="hidden" name="intent" value="remove" />
          <input type="hidden" name="deviceId" value={deviceId} />
          <Button variant="secondary" disabled={busy}>
            {COPY.remove}
          </Button>
        </Form>
      </details>
    </>
  );
}
