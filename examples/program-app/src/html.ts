/**
 * The sample's pages: plain server-rendered HTML, one stylesheet (/style.css),
 * no scripts, readable at 360 px. Everything here is pure so the unit tests
 * can render it.
 */

export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

export const STYLESHEET = `
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; background: #f7f7f7; }
header { background: #12284c; color: #fff; padding: 12px 16px; }
header p { margin: 0; font-weight: 700; }
main { max-width: 48rem; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 12px; }
h2 { font-size: 1.2rem; margin: 24px 0 8px; }
.button { display: inline-block; background: #0071bc; color: #fff; border: 0; border-radius: 4px; padding: 10px 16px;
  font: inherit; font-weight: 700; text-decoration: none; cursor: pointer; }
.button:focus, .button:hover { background: #205493; outline: 3px solid #fad980; }
dl { display: grid; grid-template-columns: minmax(6rem, max-content) 1fr; gap: 4px 12px; margin: 0; }
dt { font-weight: 700; }
dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #d6d7d9; padding: 6px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
@media (max-width: 40rem) {
  dl { grid-template-columns: 1fr; gap: 0; }
  dd { margin-bottom: 8px; }
  /* The roles table as one card a role: each cell says which column it is. */
  table, caption, tbody, tr, td { display: block; }
  table { background: none; }
  tr { background: #fff; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  tr { border: 1px solid #d6d7d9; margin-bottom: 8px; }
  td { border: 0; padding: 4px 8px; }
  td::before { content: attr(data-label); display: block; font-weight: 700; }
}
.alert { border-left: 6px solid #e31c3d; background: #f9dede; padding: 8px 12px; }
.note { color: #5b616b; }
caption { text-align: left; padding-bottom: 4px; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - Sample Program Application</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><p>Sample Program Application</p></header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function signedOutPage(options: { notice?: string } = {}): string {
  return page(
    "Signed out",
    `<h1>Sample Program Application</h1>
${options.notice ? `<p class="alert" role="status">${escapeHtml(options.notice)}</p>` : ""}
<p>You are not signed in.</p>
<p><a class="button" href="/login">Sign in with Secure Portal</a></p>`,
  );
}

export function errorPage(message: string): string {
  return page(
    "Sign-in failed",
    `<h1>Sign-in failed</h1>
<p class="alert" role="alert">${escapeHtml(message)}</p>
<p><a class="button" href="/login">Sign in with Secure Portal</a></p>`,
  );
}

/** One row of the `roles` claim, read leniently (the names the portal uses, and a flat form). */
export interface RoleRow {
  program: string;
  organizationName: string;
  organizationType: string;
  organizationId: string;
  role: string;
  endDate: string;
}

type Loose = Record<string, unknown>;
const text = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "object" ? "" : String(value);

export function roleRows(roles: unknown): RoleRow[] {
  if (!Array.isArray(roles)) return [];
  return roles
    .filter((r): r is Loose => typeof r === "object" && r !== null)
    .map((r) => {
      const org = (typeof r.organization === "object" && r.organization !== null ? r.organization : {}) as Loose;
      const program = (typeof r.program === "object" && r.program !== null ? r.program : null) as Loose | null;
      const role = (typeof r.role === "object" && r.role !== null ? r.role : null) as Loose | null;
      return {
        program: program ? text(program.name ?? program.code) : text(r.program),
        organizationName: text(
          org.name ?? r.organization_name ?? (typeof r.organization === "string" ? r.organization : ""),
        ),
        organizationType: text(org.type ?? r.organization_type),
        organizationId: text(org.id ?? r.organization_id),
        role: role ? text(role.name ?? role.code) : text(r.role ?? r.role_name),
        endDate: text(r.end_date ?? r.endDate ?? r.expires_at ?? r.ends_at) || "None",
      };
    });
}

/** `auth_time` (seconds since the epoch) as an ISO date and time. */
export function formatEpoch(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? new Date(value * 1000).toISOString() : text(value);
}

const ROLE_COLUMNS: [keyof RoleRow, string][] = [
  ["program", "Program"],
  ["organizationName", "Organization"],
  ["organizationType", "Organization Type"],
  ["organizationId", "Organization ID"],
  ["role", "Role"],
  ["endDate", "End Date"],
];

export interface SignedInView {
  claims: Record<string, unknown>;
  roles: unknown;
  /** The CSRF token the sign-out form carries (bound to the session). */
  csrf: string;
}

export function signedInPage({ claims, roles, csrf }: SignedInView): string {
  const name = [claims.given_name, claims.family_name].filter((v) => typeof v === "string").join(" ");
  const amr = Array.isArray(claims.amr) ? claims.amr.join(" ") : text(claims.amr);
  const shown: [string, string, string][] = [
    ["sub", "Subject (sub)", text(claims.sub)],
    ["acr", "Assurance (acr)", text(claims.acr)],
    ["amr", "Methods (amr)", amr],
    ["auth_time", "Signed in at (auth_time)", formatEpoch(claims.auth_time)],
    ["email", "Email", text(claims.email)],
    ["email_verified", "Email verified", text(claims.email_verified)],
    ["given_name", "Given name", text(claims.given_name)],
    ["family_name", "Family name", text(claims.family_name)],
  ];
  const rows = roleRows(roles);
  const table = rows.length
    ? `<div class="table-wrap"><table>
<caption class="note">Your roles in this program (the <code>roles</code> claim)</caption>
<thead><tr>${ROLE_COLUMNS.map(([, label]) => `<th scope="col">${label}</th>`).join("")}</tr></thead>
<tbody>
${rows
  .map(
    (r) =>
      `<tr>${ROLE_COLUMNS.map(([key, label]) => `<td data-label="${label}">${escapeHtml(r[key])}</td>`).join("")}</tr>`,
  )
  .join("\n")}
</tbody>
</table></div>`
    : `<p>You have no roles in this program.</p>`;
  return page(
    "Signed in",
    `<h1>${name ? `Welcome, ${escapeHtml(name)}` : "Signed in"}</h1>
<p>You signed in with Secure Portal. These are the claims of your ID token.</p>
<h2>Your sign-in</h2>
<dl>
${shown
  .filter(([, , value]) => value !== "")
  .map(([key, label, value]) => `<dt>${escapeHtml(label)}</dt><dd data-claim="${key}">${escapeHtml(value)}</dd>`)
  .join("\n")}
</dl>
<h2>Roles</h2>
${table}
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<p><button class="button" type="submit">Sign out</button></p>
</form>`,
  );
}
