import { and, eq, gt, isNull, type SQL, sql } from "drizzle-orm";
import { auditInsert } from "../audit/record";
import { auditEvents, emailTokens, sessions, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, type OutboxEntry, outboxEmail, outboxInsert } from "../mail/outbox";
import type { TemplateData } from "../mail/templates";
import { fail, ok, type Result } from "../result";
import { newEmailToken, peekEmailToken } from "./email-tokens";
import { hitRateLimit, ipKey, LIMITS } from "./rate-limit";
import { type CurrentSession, sessionSetCookie } from "./session";
import { hashToken, randomToken } from "./tokens";

/**
 * The re-enrollment link (docs/decisions/2026-12-07-recovery-model.md): the
 * first MFA device of an account is bound only in a session that proved more
 * than the password. Reset MFA, a manual-proofing approval and "Email me a new
 * link" email a single-use link (24 hours, stored as a SHA-256) to the address
 * on file; a signed-in session of that account that posts it is marked
 * `reenrollment_link` and may then register a device (`can(…, "device.add")`).
 * Opening the link (GET) never uses it.
 */

type User = typeof users.$inferSelect;
type Client = { ip: string | null; userAgent: string | null };

export const REENROLLMENT_PATH = "/enrollment/reenroll";

/** "Email me a new link": per account, whoever asks (so a known password cannot flood the owner's inbox). */
export const REENROLLMENT_SENDS_PER_ACCOUNT = { limit: 3, windowMs: 60 * 60 * 1000 } as const;

/**
 * A link's token (stored only if `onlyIf` holds, when given) and its email, for the caller's batch:
 * the change the email announces, its audit event, the token and the email are written together.
 */
export async function reenrollmentLink<
  T extends "mfa_reset_by_help_desk" | "identity_verified" | "mfa_reenrollment_link",
>(
  deps: Pick<Deps, "db" | "now" | "env" | "traceId">,
  user: Pick<User, "id" | "email">,
  email: { template: T; data: Omit<TemplateData[T], "linkUrl">; idempotencyKey?: string },
  onlyIf?: SQL,
): Promise<{ insert: ReturnType<typeof newEmailToken>["insert"]; email: OutboxEntry }> {
  const link = newEmailToken(deps, user.id, "reenrollment", { onlyIf });
  const linkUrl = `${deps.env.PUBLIC_ORIGIN}${REENROLLMENT_PATH}?token=${link.token}`;
  const entry = await outboxEmail(deps, {
    template: email.template,
    to: user.email,
    idempotencyKey: email.idempotencyKey,
    data: { ...email.data, linkUrl } as TemplateData[T],
  });
  return { insert: link.insert, email: entry };
}

/**
 * "Email me a new link": for a signed-in account whose identity is verified and
 * that has no device. Throttled per client and per account; the screen answers
 * the same whether a link was sent or not.
 */
export async function sendReenrollmentLink(deps: Deps, session: CurrentSession, client: Client): Promise<void> {
  const perClient = await hitRateLimit(deps, ipKey("email-send", client.ip), LIMITS.emailSendPerIp);
  if (!perClient.allowed) return;
  const perAccount = await hitRateLimit(deps, `reenroll-send:${session.user.id}`, REENROLLMENT_SENDS_PER_ACCOUNT);
  if (!perAccount.allowed) return;
  if (session.actor.hasDevice || !session.user.identityVerifiedAt) return;
  // Not while a reset proven by the emailed link alone holds the account: that inbox must not bind the first device.
  if (session.actor.restrictedUntil && session.actor.restrictedUntil > deps.now()) return;
  const link = await reenrollmentLink(deps, session.user, {
    template: "mfa_reenrollment_link",
    data: { firstName: session.user.firstName },
  });
  await deps.db.batch([
    link.insert,
    outboxInsert(deps, link.email),
    auditInsert(deps, {
      eventType: "mfa.reenrollment_link_sent",
      outcome: "info",
      actorUserId: session.user.id,
      subjectUserId: session.user.id,
      ip: client.ip,
      userAgent: client.userAgent,
    }),
  ]);
  await drainAfterWrite(deps, [link.email]);
}

/** Whether a link is usable by this session's account (nothing is used up). */
export async function peekReenrollmentLink(deps: Pick<Deps, "db" | "now">, token: string | null, userId: string) {
  const row = await peekEmailToken(deps, token, "reenrollment");
  return row !== null && row.userId === userId;
}

/**
 * Uses the link in this session: one conditional UPDATE takes the token (unused,
 * unexpired, of this account); in the same batch, only if it did, the audit
 * event and the session's new id with its mark. Parallel posts: one wins.
 */
export async function redeemReenrollmentLink(
  deps: Deps,
  session: CurrentSession,
  token: string,
  client: Client,
): Promise<Result<{ setCookie: string }, "expired">> {
  const expired = () => fail("expired");
  if (!/^[a-z2-7]{32}$/.test(token)) return expired();
  const now = deps.now();
  const next = randomToken();
  const usedHere = sql`EXISTS (SELECT 1 FROM ${auditEvents} WHERE ${auditEvents.eventType} = 'mfa.reenrollment_link_used' AND ${auditEvents.traceId} = ${deps.traceId} AND ${auditEvents.subjectUserId} = ${session.user.id})`;
  const [taken, , moved] = await deps.db.batch([
    deps.db
      .update(emailTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(emailTokens.tokenHash, hashToken(token)),
          eq(emailTokens.purpose, "reenrollment"),
          eq(emailTokens.userId, session.user.id),
          isNull(emailTokens.usedAt),
          gt(emailTokens.expiresAt, now),
          // The session is still there to mark (a concurrent rotation must not spend the link for nothing),
          // and no reset proven by the emailed link alone holds the account.
          sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${sessions.idHash} = ${session.idHash})`,
          sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${session.user.id} AND ${users.restrictedUntil} > ${now.getTime()})`,
        ),
      )
      .returning({ userId: emailTokens.userId }),
    auditInsert(
      deps,
      {
        eventType: "mfa.reenrollment_link_used",
        outcome: "success",
        actorUserId: session.user.id,
        subjectUserId: session.user.id,
        ip: client.ip,
        userAgent: client.userAgent,
      },
      sql`changes() > 0`,
    ),
    // A new session id (ASVS 3.2.1), marked: this session proved possession of the address of record.
    deps.db
      .update(sessions)
      .set({ idHash: hashToken(next), lastSeenAt: now, firstDeviceProof: "reenrollment_link" })
      .where(and(eq(sessions.idHash, session.idHash), usedHere))
      .returning({ userId: sessions.userId }),
  ]);
  if (taken.length === 0 || moved.length === 0) return expired();
  return ok({ setCookie: sessionSetCookie(next) });
}
