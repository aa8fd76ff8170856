import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./common";
import { organizations, programs, roles } from "./organizations";
import { users } from "./users";

/**
 * An access request ("Request User Access", SPEC 2.5). Its id is the Request ID
 * people quote to the help desk, e.g. `QR-7K3M9P2X` (`app/.server/access/request-id.ts`).
 */
export const accessRequests = sqliteTable(
  "access_requests",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    programId: integer("program_id")
      .notNull()
      .references(() => programs.id),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    roleId: integer("role_id")
      .notNull()
      .references(() => roles.id),
    /** The approver the requester chose; anyone allowed by `can()` may still decide. */
    approverUserId: text("approver_user_id").references(() => users.id),
    /** Who decides: the organization's Security Officials, or the program's help desk (first Security Official). */
    approverKind: text("approver_kind", { enum: ["security_official", "help_desk"] }).notNull(),
    /** ISO dates; null means "Not Applicable". */
    startDate: text("start_date"),
    endDate: text("end_date"),
    additionalInfo: text("additional_info").notNull().default(""),
    comments: text("comments").notNull().default(""),
    status: text("status", { enum: ["pending", "approved", "rejected", "cancelled", "expired"] })
      .notNull()
      .default("pending"),
    decidedByUserId: text("decided_by_user_id").references(() => users.id),
    decidedAt: timestamp("decided_at"),
    /** On rejection: one of REJECTION_REASONS (app/lib/decisions.ts); the free text is decisionReason. */
    decisionReasonCode: text("decision_reason_code"),
    decisionReason: text("decision_reason"),
    /** One submission, one request: a double click, a retry or the back button carries the same key. */
    submissionKey: text("submission_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("access_requests_submission_key_unique").on(t.submissionKey),
    // A user cannot hold two open requests for the same program, organization and role.
    uniqueIndex("access_requests_one_open_unique")
      .on(t.userId, t.programId, t.organizationId, t.roleId)
      .where(sql`status = 'pending'`),
    index("access_requests_user_idx").on(t.userId, t.createdAt),
    index("access_requests_status_created_idx").on(t.status, t.createdAt),
    index("access_requests_org_idx").on(t.organizationId, t.status),
  ],
);

export const userRoles = sqliteTable(
  "user_roles",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    roleId: integer("role_id")
      .notNull()
      .references(() => roles.id),
    programId: integer("program_id").references(() => programs.id),
    organizationId: integer("organization_id").references(() => organizations.id),
    accessRequestId: text("access_request_id").references(() => accessRequests.id),
    startDate: text("start_date"),
    /** ISO date; the role ends at the end of this day (scheduled job). */
    endDate: text("end_date"),
    status: text("status", { enum: ["active", "expired", "revoked"] })
      .notNull()
      .default("active"),
    grantedAt: timestamp("granted_at").notNull(),
    /** When the role stopped (expired, revoked by an approver, or removed by its holder), by whom, and why. */
    endedAt: timestamp("ended_at"),
    endedByUserId: text("ended_by_user_id").references(() => users.id),
    endReason: text("end_reason"),
    /** Last (re)certification by an approver; the role lapses a year later unless certified again. */
    recertifiedAt: timestamp("recertified_at"),
    recertifiedByUserId: text("recertified_by_user_id").references(() => users.id),
  },
  (t) => [
    // One grant per approved request, however many times the approval is replayed.
    uniqueIndex("user_roles_access_request_unique").on(t.accessRequestId),
    index("user_roles_user_idx").on(t.userId, t.status),
    index("user_roles_org_idx").on(t.organizationId, t.roleId, t.status),
  ],
);
