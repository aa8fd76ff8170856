import { useSchemaForm } from "~/lib/forms";
import { STATES } from "~/lib/states";
import { SelectField, TextField } from "./fields";

/** Administration › Organizations: the create and edit form's fields (SPEC 2.8). */

export const ORGANIZATION_COPY = {
  name: "Org Name",
  orgType: "Org Type",
  address1: "Org Address 1",
  address2: "Org Address 2",
  city: "Org City",
  state: "Org State",
  zip: "Org Zip Code",
  zipHint: "5 or 9 digits, like 43215 or 43215-1234.",
  country: "Org Country",
  countryHint: "Blank means US.",
  ccn: "CCN",
  ccnHint: "CMS Certification Number: exactly 6 letters or digits.",
  npi: "NPI",
  npiHint: "National Provider Identifier: 10 digits.",
  tin: "TIN",
  tinHint: "Taxpayer Identification Number: 9 digits, like 12-3456789.",
  choose: "Choose",
};

export const ORGANIZATION_FORM_ID = "organization";

export function useOrganizationForm(actionData: unknown, defaultValue?: Partial<Record<string, string>>) {
  return useSchemaForm({
    id: ORGANIZATION_FORM_ID,
    schema: () => import("~/lib/organization-admin").then((m) => m.OrganizationSchema),
    actionData,
    defaultValue,
  });
}

type Fields = ReturnType<typeof useOrganizationForm>[1];

export function OrganizationFields({ fields, orgTypes }: { fields: Fields; orgTypes: string[] }) {
  const c = ORGANIZATION_COPY;
  return (
    <div className="search-grid">
      <TextField field={fields.name} label={c.name} autoComplete="off" required maxLength={200} />
      <SelectField
        field={fields.orgType}
        label={c.orgType}
        placeholder={c.choose}
        options={orgTypes.map((t) => ({ value: t, label: t }))}
        required
      />
      <TextField field={fields.address1} label={c.address1} autoComplete="off" maxLength={200} />
      <TextField field={fields.address2} label={c.address2} autoComplete="off" maxLength={200} />
      <TextField field={fields.city} label={c.city} autoComplete="off" required maxLength={60} />
      <SelectField
        field={fields.state}
        label={c.state}
        placeholder={c.choose}
        options={STATES.map(([code, name]) => ({ value: code, label: `${code} - ${name}` }))}
        required
      />
      <TextField
        field={fields.zip}
        label={c.zip}
        hint={c.zipHint}
        inputMode="numeric"
        autoComplete="off"
        required
        maxLength={10}
      />
      <TextField field={fields.country} label={c.country} hint={c.countryHint} autoComplete="off" maxLength={60} />
      <TextField field={fields.ccn} label={c.ccn} hint={c.ccnHint} autoComplete="off" maxLength={6} />
      <TextField
        field={fields.npi}
        label={c.npi}
        hint={c.npiHint}
        inputMode="numeric"
        autoComplete="off"
        maxLength={10}
      />
      <TextField
        field={fields.tin}
        label={c.tin}
        hint={c.tinHint}
        inputMode="numeric"
        autoComplete="off"
        maxLength={10}
      />
    </div>
  );
}
