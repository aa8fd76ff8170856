import { desc, eq, ne } from "drizzle-orm";
import { devMailbox, emailLog } from "../db/schema";
import type { Deps } from "../deps";

export interface MailboxEntry {
  id: number | null;
  idempotencyKey: string;
  recipient: string;
  subject: string;
  at: Date;
  status: "sent" | "sending" | "retrying" | "failed";
  bodyText: string | null;
  lastError: string | null;
}

/**
 * The development mailbox: what the sandbox mailer delivered, plus every message
 * that has not been delivered (retrying or dead-lettered), newest first.
 */
export async function listMailbox(deps: Pick<Deps, "db">, limit = 100): Promise<MailboxEntry[]> {
  const [delivered, undelivered] = await deps.db.batch([
    deps.db.select().from(devMailbox).orderBy(desc(devMailbox.id)).limit(limit),
    deps.db.select().from(emailLog).where(ne(emailLog.status, "sent")).orderBy(desc(emailLog.updatedAt)).limit(limit),
  ]);
  const entries: MailboxEntry[] = [
    ...delivered.map((m) => ({
      id: m.id,
      idempotencyKey: m.idempotencyKey,
      recipient: m.recipient,
      subject: m.subject,
      at: m.deliveredAt,
      status: "sent" as const,
      bodyText: m.bodyText,
      lastError: null,
    })),
    ...undelivered.map((m) => ({
      id: null,
      idempotencyKey: m.idempotencyKey,
      recipient: m.recipient,
      subject: m.subject,
      at: m.updatedAt,
      status: m.status,
      bodyText: null,
      lastError: m.lastError,
    })),
  ];
  return entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
}

export async function getMailboxHtml(deps: Pick<Deps, "db">, id: number): Promise<string | null> {
  const row = await deps.db.select({ html: devMailbox.bodyHtml }).from(devMailbox).where(eq(devMailbox.id, id)).get();
  return row?.html ?? null;
}
