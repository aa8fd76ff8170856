/**
 * Every email the portal sends, as plain text and HTML. One renderer per
 * template; the HTML is built from the same paragraphs, escaped.
 */

export interface TemplateData {
  test: { note: string };
  request_expired: {
    firstName: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
  };
  role_expired: { firstName: string; roleName: string; endDate: string };
  access_request_submitted: {
    firstName: string;
    loginId: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
  };
  access_request_waiting: {
    firstName: string;
    requesterName: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
  };
  access_request_approved: {
    firstName: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
    approverName: string;
    endDate: string;
  };
  access_request_rejected: {
    firstName: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
    approverName: string;
    reason: string;
    details: string;
  };
  role_revoked: {
    firstName: string;
    roleName: string;
    organizationName: string;
    programName: string;
    revokedBy: string;
    reason: string;
  };
  registration: { firstName: string; loginId: string; temporaryPassword: string; expiresOn: string };
  account_exists: { firstName: string };
  account_locked: { firstName: string; lockedUntil: string; resetUrl: string };
  password_changed: { firstName: string; when: string };
  new_device: { firstName: string; when: string; device: string; place: string; notMeUrl: string };
  user_id_reminder: { firstName: string; loginId: string };
  password_reset: { firstName: string; resetUrl: string };
  mfa_device_changed: { firstName: string; change: "added" | "removed"; device: string; when: string };
  recovery_code_used: { firstName: string; when: string; remaining: string };
  security_code: { firstName: string; code: string; minutes: string; kind: string };
  manual_proofing_requested: { firstName: string; loginId: string; name: string };
  identity_verified: { firstName: string; linkUrl: string };
  mfa_locked: { firstName: string; lockedUntil: string; held: "yes" | "no" };
  weak_reset_notice: { firstName: string; when: string; restrictedUntil: string; notMeUrl: string };
  account_held: { firstName: string };
  access_request_reminder: {
    firstName: string;
    requesterName: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
    daysWaiting: string;
    expiresOn: string;
  };
  role_ending_soon: {
    firstName: string;
    roleName: string;
    organizationName: string;
    programName: string;
    endDate: string;
    /** "in 14 days", "tomorrow" or "today". */
    endsIn: string;
  };
  role_recertification_due: {
    firstName: string;
    holderName: string;
    holderLoginId: string;
    requestId: string;
    roleName: string;
    organizationName: string;
    programName: string;
    dueDate: string;
    daysLeft: string;
  };
  role_recertification_notice: {
    firstName: string;
    roleName: string;
    organizationName: string;
    programName: string;
    dueDate: string;
    daysLeft: string;
  };
  role_not_recertified: {
    firstName: string;
    roleName: string;
    organizationName: string;
    programName: string;
    dueDate: string;
  };
  inactivity_warning: {
    firstName: string;
    loginId: string;
    daysInactive: string;
    removalDate: string;
    daysLeft: string;
  };
  inactivity_roles_removed: { firstName: string; loginId: string; roles: string; lastSignIn: string };
  mfa_reset_by_help_desk: { firstName: string; loginId: string; when: string; linkUrl: string };
  mfa_reenrollment_link: { firstName: string; linkUrl: string };
  account_unlocked_new_password: { firstName: string; when: string; resetUrl: string };
  identity_not_verified: { firstName: string; reason: string };
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
    subject: `Your access request ${d.requestId} has expired`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your request ${d.requestId} for the role ${d.roleName} at ${d.organizationName} (${d.programName}) was not decided within 30 days and has expired.`,
      "If you still need this access, you can submit a new request.",
    ],
    action: { label: "Request access", url: `${origin}/my-account` },
  }),
  access_request_submitted: (d, { origin }) => ({
    subject: `Access request ${d.requestId} received`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `We received your request ${d.requestId} for the role ${d.roleName} at ${d.organizationName} (${d.programName}), submitted under User ID ${d.loginId}.`,
      "An approver will review it. We will email you when it is approved or rejected. Quote the Request ID if you contact the help desk.",
    ],
    action: { label: "My Requests", url: `${origin}/my-account#my-requests` },
  }),
  access_request_waiting: (d, { origin }) => ({
    subject: `Access request ${d.requestId} is waiting for your decision`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.requesterName} requested the role ${d.roleName} at ${d.organizationName} (${d.programName}) and chose you as the approver.`,
      "Sign in to review the request. This email does not approve anything by itself.",
    ],
    action: { label: `Review request ${d.requestId}`, url: `${origin}/role-requests/${d.requestId}` },
  }),
  access_request_approved: (d, { origin }) => ({
    subject: `Access request ${d.requestId} approved`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.approverName} approved your request ${d.requestId} for the role ${d.roleName} at ${d.organizationName} (${d.programName}).`,
      d.endDate ? `The role is active now and ends on ${d.endDate}.` : "The role is active now.",
    ],
    action: { label: "My Roles", url: `${origin}/my-account#my-roles` },
  }),
  access_request_rejected: (d, { origin }) => ({
    subject: `Access request ${d.requestId} rejected`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.approverName} rejected your request ${d.requestId} for the role ${d.roleName} at ${d.organizationName} (${d.programName}).`,
      `Reason: ${d.reason}.`,
      ...(d.details ? [`The approver wrote: ${d.details}`] : []),
      "If you still need this access, correct what the reason describes and submit a new request, or contact your Security Official.",
    ],
    action: { label: "My Requests", url: `${origin}/my-account#my-requests` },
  }),
  role_revoked: (d, { origin }) => ({
    subject: `Your ${d.roleName} role at ${d.organizationName} was revoked`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.revokedBy} revoked your ${d.roleName} role at ${d.organizationName} (${d.programName}).`,
      `Reason: ${d.reason}`,
      "If you believe this is a mistake, contact your Security Official or the help desk.",
    ],
    action: { label: "My Roles", url: `${origin}/my-account#my-roles` },
  }),
  role_expired: (d, { origin }) => ({
    subject: `Your ${d.roleName} role has ended`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your ${d.roleName} role reached its end date (${d.endDate}) and is no longer active.`,
      "If you still need it, you can request it again.",
    ],
    action: { label: "Request access", url: `${origin}/my-account` },
  }),
  registration: (d, { origin }) => ({
    subject: "Your QualityNet User ID and temporary password",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "Your QualityNet account has been created.",
      `User ID: ${d.loginId}`,
      `Temporary password: ${d.temporaryPassword}`,
      `The temporary password works once and expires on ${d.expiresOn}. When you log in, you will choose your own password and your challenge questions.`,
      "If you did not register, you can ignore this email.",
    ],
    action: { label: "Log in", url: `${origin}/login` },
  }),
  account_exists: (d, { origin }) => ({
    subject: "You already have a QualityNet account",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "Someone tried to register a new QualityNet account with this email address, which already has an account. No new account was created.",
      'If it was you, log in with your existing User ID. If you forgot it, use "Forgot User ID?" on the log-in screen. If it was not you, you can ignore this email.',
    ],
    action: { label: "Forgot User ID?", url: `${origin}/forgot-user-id` },
  }),
  account_locked: (d) => ({
    subject: "Your QualityNet account is locked",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `After 5 failed log-in attempts your account is locked until ${d.lockedUntil}.`,
      "To unlock it now, reset your password with the link below (you will also need your second factor). Otherwise wait until the time above.",
      "If these attempts were not yours, reset your password now.",
    ],
    action: { label: "Reset password and unlock", url: d.resetUrl },
  }),
  password_changed: (d, { origin }) => ({
    subject: "Your QualityNet password was changed",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your password was changed on ${d.when}.`,
      "If you did not change it, reset your password now and contact the help desk.",
    ],
    action: { label: "Reset password", url: `${origin}/forgot-password` },
  }),
  new_device: (d) => ({
    subject: "New log-in to your QualityNet account",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your account was used to log in from a device we have not seen before: ${d.device}, near ${d.place}, on ${d.when}.`,
      "If this was you, there is nothing to do. If it was not, use the link below: it signs you out everywhere and starts a password reset.",
    ],
    action: { label: "This wasn't me", url: d.notMeUrl },
  }),
  user_id_reminder: (d, { origin }) => ({
    subject: "Your QualityNet User ID",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [`Your User ID is ${d.loginId}.`, "If you did not ask for this reminder, you can ignore this email."],
    action: { label: "Log in", url: `${origin}/login` },
  }),
  password_reset: (d) => ({
    subject: "Reset your QualityNet password",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "Use the link below to choose a new password. It works once, for one hour.",
      "If you did not ask to reset your password, you can ignore this email; your password stays as it is.",
    ],
    action: { label: "Reset password", url: d.resetUrl },
  }),
  mfa_device_changed: (d, { origin }) => ({
    subject: `An MFA device was ${d.change} on your QualityNet account`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.device} was ${d.change} ${d.change === "added" ? "to" : "from"} your account on ${d.when}.`,
      "If this was not you, reset your password now and contact the help desk.",
    ],
    action: { label: "Review your devices", url: `${origin}/profile/devices` },
  }),
  recovery_code_used: (d, { origin }) => ({
    subject: "A recovery code was used on your QualityNet account",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `One of your recovery codes was used to log in on ${d.when}. You have ${d.remaining} left.`,
      "If this was not you, reset your password now and contact the help desk. You can make a new set of codes in your profile.",
    ],
    action: { label: "Review your devices", url: `${origin}/profile/devices` },
  }),
  security_code: (d) => ({
    subject: `Your QualityNet ${d.kind}`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your ${d.kind} is ${d.code}`,
      `It works once, for ${d.minutes} minutes. Never give it to anyone, including the help desk.`,
      "If you did not ask for it, someone may know your password: change it now.",
    ],
  }),
  manual_proofing_requested: (d, { origin }) => ({
    subject: `Manual identity proofing requested by ${d.loginId}`,
    greeting: "Hello,",
    paragraphs: [
      `${d.name} (${d.loginId}) could not be verified online after 3 attempts and asks for manual identity proofing.`,
    ],
    action: { label: "Open the proofing queue", url: `${origin}/admin/proofing` },
  }),
  identity_verified: (d) => ({
    subject: "Your identity has been verified",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "The help desk verified your identity. Use the link below to finish New User Enrollment by registering an MFA device: log in with your User ID and password when asked.",
      'The link works once, for 24 hours. If it expires, log in and choose "Email me a new link".',
    ],
    action: { label: "Register an MFA device", url: d.linkUrl },
  }),
  mfa_locked: (d, { origin }) => ({
    subject: "Security codes on your QualityNet account are locked",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "Someone entered your correct password and then too many wrong security codes. That means your password is known: if this was not you, change it now.",
      d.held === "yes"
        ? "After 100 wrong codes in a row your account is on hold. Contact the help desk to verify who you are and unlock it."
        : `Security codes are locked until ${d.lockedUntil}. Each further lock lasts longer; after 100 wrong codes in a row only the help desk can unlock the account.`,
    ],
    action: { label: "Change your password", url: `${origin}/forgot-password` },
  }),
  weak_reset_notice: (d) => ({
    subject: "Your QualityNet password was reset without your MFA device",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your password was reset on ${d.when} with an emailed code instead of an authenticator app, security key or recovery code.`,
      `For your protection, until ${d.restrictedUntil} nobody can add MFA devices, change the email address, request or approve access, or administer anything on this account.`,
      "If this was not you, use the link below: it signs out every session, cancels the reset and puts the account on hold until the help desk verifies who you are.",
    ],
    action: { label: "This wasn't me", url: d.notMeUrl },
  }),
  account_held: (d) => ({
    subject: "Your QualityNet account is on hold",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "You reported that a change to your account was not yours. Every session has been signed out and the account is on hold.",
      "Contact the help desk: after they verify who you are, they will unlock the account and help you set up your MFA device again.",
    ],
  }),
  access_request_reminder: (d, { origin }) => ({
    subject: `Reminder: access request ${d.requestId} is waiting for your decision`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.requesterName} requested the role ${d.roleName} at ${d.organizationName} (${d.programName}) ${d.daysWaiting} ago, and the request ${d.requestId} is still waiting for a decision.`,
      `If nobody approves or rejects it, it expires on ${d.expiresOn}. Sign in to review it. This email does not approve anything by itself.`,
    ],
    action: { label: `Review request ${d.requestId}`, url: `${origin}/role-requests/${d.requestId}` },
  }),
  role_ending_soon: (d, { origin }) => ({
    subject: `Your ${roleAt(d)} ends ${d.endsIn === "today" || d.endsIn === "tomorrow" ? d.endsIn : `on ${d.endDate}`}`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your ${d.roleName} role${placeOf(d)} ends ${d.endsIn}, at the end of ${d.endDate}.`,
      "If you still need it after that date, submit a new request for it now so an approver can decide in time.",
    ],
    action: { label: "My Roles", url: `${origin}/my-account#my-roles` },
  }),
  role_recertification_due: (d, { origin }) => ({
    subject: `Recertify ${d.holderName}'s ${d.roleName} role (request ${d.requestId}) by ${d.dueDate}`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `${d.holderName} (${d.holderLoginId}) holds the ${d.roleName} role${placeOf(d)}, granted through request ${d.requestId}. Each year someone who approves for the organization must confirm that the role is still needed.`,
      `Recertify it within ${d.daysLeft}, before ${d.dueDate}. Otherwise the role lapses then and ${d.holderName} would have to request it again. If the role is no longer needed, revoke it instead.`,
    ],
    action: { label: `Review request ${d.requestId}`, url: `${origin}/role-requests/${d.requestId}` },
  }),
  role_recertification_notice: (d, { origin }) => ({
    subject: `Your ${roleAt(d)} must be recertified by ${d.dueDate}`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Each year an approver of your organization must confirm that you still need your ${d.roleName} role${placeOf(d)}. Your role is due for recertification within ${d.daysLeft}, before ${d.dueDate}; the approvers of your organization have been asked to recertify it.`,
      "If it is not recertified by then, the role lapses and you would have to request it again. If you still need it, contact your Security Official.",
    ],
    action: { label: "My Roles", url: `${origin}/my-account#my-roles` },
  }),
  role_not_recertified: (d, { origin }) => ({
    subject: `Your ${roleAt(d)} lapsed: not recertified`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Your ${d.roleName} role${placeOf(d)} was not recertified by ${d.dueDate} and is no longer active.`,
      "If you still need it, you can request it again.",
    ],
    action: { label: "Request access", url: `${origin}/my-account` },
  }),
  inactivity_warning: (d, { origin }) => ({
    subject: `Sign in by ${d.removalDate} to keep your QualityNet roles`,
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Nobody has signed in as ${d.loginId} for ${d.daysInactive} days. Accounts that do not sign in for 60 days lose their roles.`,
      `Sign in within ${d.daysLeft}, before ${d.removalDate}, to keep them. Signing in is all it takes.`,
    ],
    action: { label: "Log in", url: `${origin}/login` },
  }),
  inactivity_roles_removed: (d, { origin }) => ({
    subject: "Your QualityNet roles were removed after 60 days without sign-in",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `Nobody has signed in as ${d.loginId} since ${d.lastSignIn}. After 60 days without a sign-in, these roles were removed: ${d.roles}.`,
      "Your account still works. If you need a role again, sign in and request it.",
    ],
    action: { label: "Request access", url: `${origin}/my-account` },
  }),
  mfa_reset_by_help_desk: (d) => ({
    subject: "Your QualityNet MFA devices were reset by the help desk",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `After verifying your identity, the help desk removed every MFA device and recovery code of ${d.loginId} on ${d.when}, and signed the account out everywhere.`,
      "To register a new MFA device, use the link below: log in with your User ID and password when asked, then register the device and save new recovery codes. Your password alone cannot register a device.",
      'The link works once, for 24 hours. If it expires, log in and choose "Email me a new link".',
      "If you did not contact the help desk, call them at once: someone may be trying to take over your account.",
    ],
    action: { label: "Register a new MFA device", url: d.linkUrl },
  }),
  mfa_reenrollment_link: (d) => ({
    subject: "Your link to register a new QualityNet MFA device",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "Use the link below to register a new MFA device: log in with your User ID and password when asked. It works once, for 24 hours.",
      "If you did not ask for this link, someone knows your password: do not use the link, and contact the help desk.",
    ],
    action: { label: "Register a new MFA device", url: d.linkUrl },
  }),
  account_unlocked_new_password: (d) => ({
    subject: "Your QualityNet account is unlocked: choose a new password",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      `The help desk released the hold on your account on ${d.when}. Someone else knew your password, so it no longer works.`,
      'Use the link below to choose a new password; you will also be asked for your MFA device. The link works once, for 24 hours. If it expires, use "Forgot your password?" on the log-in screen.',
    ],
    action: { label: "Choose a new password", url: d.resetUrl },
  }),
  identity_not_verified: (d, { origin }) => ({
    subject: "The help desk could not verify your identity",
    greeting: `Hello ${d.firstName},`,
    paragraphs: [
      "The help desk reviewed your request for manual identity proofing and could not verify your identity.",
      `The reason: ${d.reason}`,
      "If you can provide what is missing, contact the help desk.",
    ],
    action: { label: "Log in", url: `${origin}/login` },
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
  parts.push(
    `-- \n${PRODUCT}\nCenters for Medicare & Medicaid Services\nThis is an automated message; replies are not read.`,
  );
  return `${parts.join("\n\n")}\n`;
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

/** "End User role at General Hospital" for subjects (the organization may be unknown). */
function roleAt(d: { roleName: string; organizationName: string }): string {
  return `${d.roleName} role${d.organizationName ? ` at ${d.organizationName}` : ""}`;
}

/** " at General Hospital (Inpatient …)" after a role's name, or nothing for what is unknown. */
function placeOf(d: { organizationName: string; programName: string }): string {
  return `${d.organizationName ? ` at ${d.organizationName}` : ""}${d.programName ? ` (${d.programName})` : ""}`;
}
