import { APPLICATION_LIMITS, ASSURANCE_OPTIONS, ID_TOKEN_ALGS } from "~/lib/application-admin";
import { useSchemaForm } from "~/lib/forms";
import { SelectField, TextArea, TextField } from "./fields";

/** Administration › Applications: the register and edit form's fields (SPEC 2.9). */

export const APPLICATION_COPY = {
  name: "Application Name",
  program: "Program",
  choose: "Choose",
  redirectUris: "Redirect URIs",
  redirectUrisHint:
    "One per line, compared exactly. All on one host (the application's users get identifiers for that host).",
  postLogoutRedirectUris: "Post-Logout Redirect URIs",
  postLogoutRedirectUrisHint: "One per line, compared exactly. Optional.",
  backchannelLogoutUri: "Back-Channel Logout URI",
  backchannelLogoutUriHint: "Where the portal posts a logout token when a user's session ends. Optional.",
  initiateLoginUri: "Initiate Login URI",
  initiateLoginUriHint:
    'Where "Choose Your QualityNet Destination" sends this program\'s users to start signing in. Optional.',
  jwks: "Public Keys (JWKS)",
  jwksHint:
    'The application\'s public keys as a JWK Set, {"keys": [...]}: 1 to 5 EC P-256 or RSA (2048 bits or more) signing keys. Never a private key.',
  requiredAssurance: "Required Assurance",
  signingAlg: "ID Token Signing Algorithm",
  uriHint: "https:// addresses (http://localhost only outside production).",
};

export const APPLICATION_FORM_ID = "application";

type FormValues = {
  name: string;
  programId: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
  initiateLoginUri: string;
  jwks: string;
  requiredAssurance: string;
  signingAlg: string;
};

export function useApplicationForm(actionData: unknown, defaultValue?: Partial<FormValues>) {
  return useSchemaForm({
    id: APPLICATION_FORM_ID,
    schema: () => import("~/lib/application-admin").then((m) => m.ApplicationFormSchema),
    actionData,
    defaultValue: { requiredAssurance: "aal2", signingAlg: "ES256", ...defaultValue },
  });
}

type Fields = ReturnType<typeof useApplicationForm>[1];

export function ApplicationFields({ fields, programs }: { fields: Fields; programs: { id: number; name: string }[] }) {
  const c = APPLICATION_COPY;
  return (
    <>
      <TextField field={fields.name} label={c.name} autoComplete="off" required maxLength={APPLICATION_LIMITS.name} />
      <SelectField
        field={fields.programId}
        label={c.program}
        placeholder={c.choose}
        options={programs.map((p) => ({ value: String(p.id), label: p.name }))}
        required
      />
      <TextArea
        verbatim
        field={fields.redirectUris}
        label={c.redirectUris}
        hint={`${c.redirectUrisHint} ${c.uriHint}`}
        max={APPLICATION_LIMITS.uris}
        rows={3}
      />
      <TextArea
        verbatim
        field={fields.postLogoutRedirectUris}
        label={c.postLogoutRedirectUris}
        hint={c.postLogoutRedirectUrisHint}
        max={APPLICATION_LIMITS.uris}
        rows={2}
      />
      <TextField
        field={fields.backchannelLogoutUri}
        label={c.backchannelLogoutUri}
        hint={c.backchannelLogoutUriHint}
        type="url"
        autoComplete="off"
        maxLength={APPLICATION_LIMITS.uri}
      />
      <TextField
        field={fields.initiateLoginUri}
        label={c.initiateLoginUri}
        hint={c.initiateLoginUriHint}
        type="url"
        autoComplete="off"
        maxLength={APPLICATION_LIMITS.uri}
      />
      <TextArea verbatim field={fields.jwks} label={c.jwks} hint={c.jwksHint} max={APPLICATION_LIMITS.jwks} rows={8} />
      <SelectField
        field={fields.requiredAssurance}
        label={c.requiredAssurance}
        options={ASSURANCE_OPTIONS.map((o) => ({ value: o.value, label: o.label }))}
      />
      <SelectField
        field={fields.signingAlg}
        label={c.signingAlg}
        options={ID_TOKEN_ALGS.map((a) => ({ value: a, label: a }))}
      />
    </>
  );
}
