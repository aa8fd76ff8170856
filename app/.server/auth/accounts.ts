import { eq, like } from "drizzle-orm";
import type { z } from "zod";
import type { RegistrationSchema } from "~/lib/schemas";
import { auditInsert } from "../audit/record";
import { passwordCredentials, users } from "../db/schema";
import type { Deps } from "../deps";
import { drainAfterWrite, outboxEmail, outboxInsert } from "../mail/outbox";
import { ok, type Result } from "../result";
import { hashPassword } from "./password";
import { hitRateLimit, hitRecipientLimit, ipKey, LIMITS, throttled } from "./rate-limit";

/** SPEC 2.3: temporary passwords expire after 7 days. */
export const TEMPORARY_PASSWORD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const letters = (value: string) =>
  value
    .normalize("NFKD")
    .replace(/[^A-Za-z]/g, "")
    .toUpperCase();

/**
 * The original portal's User ID: four letters and two letters of the name, then
 * two digits, upper case. The worked example is authoritative: first name
 * Thomas, last name Tyler gives THOMTY## (see docs/decisions). Short names are
 * padded with X so every prefix has six letters (Al Ng -> ALXXNG).
 */
export function loginIdPrefix(firstName: string, lastName: string): string {
  return letters(firstName).slice(0, 4).padEnd(4, "X") + letters(lastName).slice(0, 2).padEnd(2, "X");
}

function randomInt(max: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] % max;
}

/** A free User ID: two random digits; three only once all hundred are taken. */
export async function allocateLoginId(deps: Pick<Deps, "db">, firstName: string, lastName: string): Promise<string> {
  const prefix = loginIdPrefix(firstName, lastName);
  const taken = new Set(
    (
      await deps.db
        .select({ loginId: users.loginId })
        .from(users)
        .where(like(users.loginId, `${prefix}%`))
    ).map((r) => r.loginId),
  );
  for (const digits of [2, 3]) {
    const free: string[] = [];
    for (let n = 0; n < 10 ** digits; n++) {
      const id = `${prefix}${String(n).padStart(digits, "0")}`;
      if (!taken.has(id)) free.push(id);
    }
    if (free.length > 0) return free[randomInt(free.length)];
  }
  throw new Error(`No User ID left for prefix ${prefix}`);
}

const TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** 16 characters from an alphabet without look-alikes (about 93 bits). */
export function generateTemporaryPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => TEMP_ALPHABET[b % TEMP_ALPHABET.length]).join("");
}

const formatDate = (d: Date) =>
  d.toLocaleDateString("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });

/**
 * "New user registration". The answer is the same whether or not the email is
 * already registered; its owner is emailed instead, so a stranger learns nothing.
 * The same answer again when the address has had its share of emails.
 */
export async function registerUser(
  deps: Deps,
  input: z.infer<typeof RegistrationSchema>,
  client: { ip: string | null; userAgent: string | null },
): Promise<Result<{ email: string }, "throttled">> {
  const throttle = await hitRateLimit(deps, ipKey("register", client.ip), LIMITS.registrationPerIp);
  if (!throttle.allowed) {
    return throttled(throttle.retryAfterSeconds);
  }
  // The password is hashed before the address is looked up: a taken address
  // must cost the same time as a new one, or the answer's timing tells.
  const temporaryPassword = generateTemporaryPassword();
  const hash = await hashPassword(temporaryPassword);
  // Over the address's email cap (3 an hour, 10 a day, whoever asks) nothing is
  // created or sent, and the answer is the one every registration gets: an
  // account whose temporary password never arrived would be no use to anyone.
  if (!(await hitRecipientLimit(deps, input.email))) return ok({ email: input.email });
  const existing = await deps.db.select().from(users).where(eq(users.email, input.email)).get();
  if (existing) {
    // The owner is told, and the event recorded, in one write.
    const email = await outboxEmail(deps, {
      template: "account_exists",
      to: existing.email,
      data: { firstName: existing.firstName },
    });
    await deps.db.batch([
      auditInsert(deps, {
        eventType: "user.register_existing_email",
        outcome: "info",
        subjectUserId: existing.id,
        ip: client.ip,
        userAgent: client.userAgent,
      }),
      outboxInsert(deps, email),
    ]);
    await drainAfterWrite(deps, [email]);
    return ok({ email: input.email });
  }

  const now = deps.now();
  const expiresAt = new Date(now.getTime() + TEMPORARY_PASSWORD_TTL_MS);
  const id = crypto.randomUUID();
  // Two people with the same prefix may race for the same digits: try again.
  for (let attempt = 0; ; attempt++) {
    const loginId = await allocateLoginId(deps, input.firstName, input.lastName);
    // The email carries the User ID just drawn, so it is sealed for each draw.
    const email = await outboxEmail(deps, {
      template: "registration",
      to: input.email,
      idempotencyKey: `registration:${id}`,
      data: { firstName: input.firstName, loginId, temporaryPassword, expiresOn: formatDate(expiresAt) },
    });
    try {
      // The account, its audit event and its email: all or nothing (a conflict writes none of them).
      await deps.db.batch([
        deps.db.insert(users).values({
          id,
          loginId,
          firstName: input.firstName,
          lastName: input.lastName,
          email: input.email,
          phone: input.phone,
          createdAt: now,
          updatedAt: now,
        }),
        deps.db.insert(passwordCredentials).values({ userId: id, hash, isTemporary: true, expiresAt, changedAt: now }),
        auditInsert(deps, {
          eventType: "user.registered",
          outcome: "success",
          subjectUserId: id,
          actorUserId: id,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { loginId },
        }),
        outboxInsert(deps, email),
      ]);
    } catch (error) {
      if (attempt < 3 && String(error).includes("UNIQUE")) {
        // The email may have been taken in the meantime too.
        if (await deps.db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get())
          return ok({ email: input.email });
        continue;
      }
      throw error;
    }
    await drainAfterWrite(deps, [email]);
    return ok({ email: input.email });
  }
}
