import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { holdsApprovingRole } from "~/.server/access/authorize";
import {
  issueRecoveryCodes,
  listDevices,
  remainingRecoveryCodes,
  removeDevice,
  renameDevice,
} from "~/.server/auth/mfa";
import { requireCapability, requireSession } from "~/.server/guards";
import { getClient } from "~/.server/http";
import { RecoveryCodes } from "~/components/recovery-codes";
import { Alert, Button, TextField } from "~/components/ui";
import { formatTime } from "~/lib/format";
import { formFields } from "~/lib/forms";
import { MFA_DEVICE_TYPES, type MfaKind } from "~/lib/mfa";

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

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireSession(context.deps, request);
  const [devices, codesLeft] = await Promise.all([
    listDevices(context.deps, user.id),
    remainingRecoveryCodes(context.deps, user.id),
  ]);
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

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await formFields(request);
  const client = await getClient(context, request);
  const back = { returnTo: "/profile/devices" };
  switch (form.intent) {
    case "rename": {
      // Rule: own devices; a name changes nothing about security.
      const { user } = await requireCapability(context.deps, request, "device.rename", {}, back);
      const result = await renameDevice(context.deps, user, form.deviceId ?? "", form.name ?? "");
      if (!result.ok)
        return data(
          { target: form.deviceId, error: result.fieldErrors?.name?.[0] ?? "", codes: null },
          { status: 400 },
        );
      throw redirect("/profile/devices?renamed=1");
    }
    case "remove": {
      // Rule: own devices, a strong factor in the last 15 minutes.
      const { user, actor } = await requireCapability(context.deps, request, "device.remove", {}, back);
      const result = await removeDevice(context.deps, user, form.deviceId ?? "", client, {
        keepStrongDevice: holdsApprovingRole(actor),
      });
      if (!result.ok) return data({ target: form.deviceId, error: result.message ?? "", codes: null }, { status: 400 });
      throw redirect("/profile/devices?removed=1");
    }
    case "regenerate": {
      // Rule: a strong factor in the last 15 minutes (new codes are a new way in).
      const { user } = await requireCapability(context.deps, request, "recovery_codes.issue", {}, back);
      return {
        target: "codes",
        error: null,
        codes: await issueRecoveryCodes(context.deps, user, client),
        loginId: user.loginId,
      };
    }
    default:
      await requireSession(context.deps, request);
      return data({ target: null, error: "Choose an action.", codes: null }, { status: 400 });
  }
}

export default function Devices() {
  const { devices, notice, codesLeft } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
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
            {result?.target === d.id && result.error ? (
              <Alert variant="error" role="alert">
                <p>{result.error}</p>
              </Alert>
            ) : null}
            <details>
              <summary>{COPY.rename}</summary>
              <Form method="post">
                <input type="hidden" name="intent" value="rename" />
                <input type="hidden" name="deviceId" value={d.id} />
                <TextField
                  label={COPY.newName}
                  name="name"
                  id={`rename-${d.id}`}
                  required
                  maxLength={40}
                  defaultValue={d.name}
                />
                <Button variant="secondary" disabled={busy}>
                  {COPY.rename}
                </Button>
              </Form>
            </details>
            {devices.length > 1 ? (
              <details>
                <summary>{COPY.remove}</summary>
                <Form method="post">
                  <p className="hint">{COPY.removeHint}</p>
                  <input type="hidden" name="intent" value="remove" />
                  <input type="hidden" name="deviceId" value={d.id} />
                  <Button variant="secondary" disabled={busy}>
                    {COPY.remove}
                  </Button>
                </Form>
              </details>
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
        {result?.codes && "loginId" in result ? (
          <RecoveryCodes codes={result.codes} loginId={result.loginId} />
        ) : (
          <>
            <p>{COPY.codesLeft(codesLeft)}</p>
            {result?.target === "codes" && result.error ? (
              <Alert variant="error" role="alert">
                <p>{result.error}</p>
              </Alert>
            ) : null}
            <Form method="post">
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
