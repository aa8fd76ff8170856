/**
 * Every email the portal sends, as plain text and HTML. One renderer per
 * template; the HTML is built from the same paragraphs, escaped.
 */

export interface TemplateData {
  test: { note: string };
  request_expired: { firstName: string; requestNumber: string; roleName: string; organizationName: string; programName: string };
  role_expired: { firstName: string; roleName: string; endDate: string };
}

export type TemplateName = keyof TemplateData;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface EmailContent {
  subject: string;
  greeting?: string;
  paragraphs: string[];
  action?: { label: string; url: string };
}

type Renderers = { [K in TemplateName]: (data: TemplateData[K], ctx: { origin: string }) => EmailContent };

const PRODUCT = "CMS.gov | QualityNet";

const renderers: Renderers = {
  test: (data, { origin }) => ({
    subject: "QualityNet test email",
    paragraphs: [
      "This is a test email from the Secure Portal's email pipeline.",
      `It was queued, rendered by the queue consumer and delivered. ${data.note}`.trim(),
    ],
    action: { label: "Open the portal", url: `${origin}/` },
  }),
  request_expired: (d, { origin }) => ({
    subject: `Your access request ${d.requestNumber} has expired`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your request ${d.requestNumber} for the role ${d.roleName} at ${d.organizationName} (${d.programName}) was not decided within 30 days and has expired.`,
      "If you still need this access, you can submit a new request.",
    ],
    action: { label: "Request access", url: `${origin}/my-account` },
  }),
  role_expired: (d, { origin }) => ({
    subject: `Your ${d.roleName} role has ended`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [`Your ${d.roleName} role reached its end date (${d.endDate}) and is no longer active.`, "If you still need it, you can request it again."],
    action: { label: "Request access", url: `${origin}/my-account` },
  }),
};

export function renderEmail<T extends TemplateName>(
  template: T,
  data: TemplateData[T],
  ctx: { origin: string },
): RenderedEmail {
  const renderer = renderers[template] as (d: TemplateData[T], c: { origin: string }) => EmailContent;
  if (!renderer) throw new Error(`Unknown email template: ${String(template)}`);
  const content = renderer(data, ctx);
  return { subject: content.subject, text: toText(content), html: toHtml(content) };
}

function toText(c: EmailContent): string {
  const parts = [c.greeting, ...c.paragraphs].filter(Boolean) as string[];
  if (c.action) parts.push(`${c.action.label}: ${c.action.url}`);
  parts.push(`-- \n${PRODUCT}\nCenters for Medicare & Medicaid Services\nThis is an automated message; replies are not read.`);
  return parts.join("\n\n") + "\n";
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function toHtml(c: EmailContent): string {
  const p = (s: string) => `<p style="margin:0 0 16px">${escapeHtml(s)}</p>`;
  const body = [
    c.greeting ? p(c.greeting) : "",
    ...c.paragraphs.map(p),
    c.action
      ? `<p style="margin:0 0 16px"><a href="${escapeHtml(c.action.url)}" style="background:#0071bc;color:#fff;padding:10px 16px;text-decoration:none;border-radius:3px;display:inline-block">${escapeHtml(c.action.label)}</a></p><p style="margin:0 0 16px;font-size:13px;color:#5c5c5c">If the button does not work, copy this address into your browser: ${escapeHtml(c.action.url)}</p>`
      : "",
  ].join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(c.subject)}</title></head><body style="margin:0;font-family:Arial,Helvetica,sans-serif;color:#262626;background:#f1f1f1"><div style="max-width:600px;margin:0 auto;background:#fff"><div style="background:#112e51;color:#fff;padding:12px 20px;font-weight:bold">${escapeHtml(PRODUCT)}</div><div style="padding:20px">${body}</div><div style="padding:12px 20px;font-size:12px;color:#5c5c5c;border-top:1px solid #d6d7d9">Centers for Medicare &amp; Medicaid Services. This is an automated message; replies are not read.</div></div></body></html>`;
}
