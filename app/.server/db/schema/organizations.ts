import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./common";
import { users } from "./users";

export const programs = sqliteTable(
  "programs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    code: text("code").notNull(),
    name: text("name").notNull(),
    /** Listed on "Choose Your QualityNet Destination" when true. */
    isDestination: integer("is_destination", { mode: "boolean" }).notNull().default(true),
    sortOrder: integer("sort_order").notNull().default(0),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
  },
  (t) => [uniqueIndex("programs_code_unique").on(t.code)],
);

export const organizationTypes = sqliteTable(
  "organization_types",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
  },
  (t) => [uniqueIndex("organization_types_name_unique").on(t.name)],
);

/**
 * Integer rowid so the FTS5 index (organizations_fts, see the migration) can use it
 * as its content rowid.
 */
export const organizations = sqliteTable(
  "organizations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Stable key from the seed or an import, so re-seeding updates rather than duplicates. */
    externalKey: text("external_key").notNull(),
    name: text("name").notNull(),
    orgTypeId: integer("org_type_id")
      .notNull()
      .references(() => organizationTypes.id),
    status: text("status", { enum: ["Active", "Inactive"] })
      .notNull()
      .default("Active"),
    address1: text("address1").notNull().default(""),
    address2: text("address2").notNull().default(""),
    city: text("city").notNull(),
    state: text("state").notNull(),
    zip: text("zip").notNull(),
    country: text("country").notNull().default("US"),
    ccn: text("ccn"),
    npi: text("npi"),
    tin: text("tin"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("organizations_external_key_unique").on(t.externalKey),
    index("organizations_type_idx").on(t.orgTypeId),
    index("organizations_zip_idx").on(t.zip),
    index("organizations_ccn_idx").on(t.ccn),
    index("organizations_npi_idx").on(t.npi),
    index("organizations_tin_idx").on(t.tin),
  ],
);

export const roles = sqliteTable(
  "roles",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    code: text("code").notNull(),
    name: text("name").notNull(),
    /** Null: the role may be requested under any program. */
    programId: integer("program_id").references(() => programs.id),
    description: text("description").notNull().default(""),
    /** True for roles that make their holder an approver for the organization. */
    isSecurityOfficial: integer("is_security_official", { mode: "boolean" }).notNull().default(false),
    /** Holders approve for the role's program (or every program) as the help desk: first Security Officials, manual proofing. */
    isHelpDesk: integer("is_help_desk", { mode: "boolean" }).notNull().default(false),
    /** Holders administer organizations, programs, roles and users (SPEC 2.8). */
    isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    /** A request for this role must give an End Date ("not applicable" is not offered). */
    requiresEndDate: integer("requires_end_date", { mode: "boolean" }).notNull().default(false),
    /**
     * Who approves a request: the organization's Security Officials, else the help
     * desk (the first Security Official); or the help desk only.
     */
    approverRule: text("approver_rule", { enum: ["security_official_else_help_desk", "help_desk_only"] })
      .notNull()
      .default("security_official_else_help_desk"),
  },
  (t) => [uniqueIndex("roles_code_unique").on(t.code)],
);

/** A role may be requested only for an organization of one of these types. */
export const roleOrgTypeRules = sqliteTable(
  "role_org_type_rules",
  {
    roleId: integer("role_id")
      .notNull()
      .references(() => roles.id, { onDelete: "cascade" }),
    orgTypeId: integer("org_type_id")
      .notNull()
      .references(() => organizationTypes.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.roleId, t.orgTypeId] })],
);

/**
 * A CSV import of organizations (SPEC 2.8): the preview's counts and first
 * errors; its valid rows wait in `organization_import_chunks` until "Import"
 * queues them. See app/.server/organizations/import.ts.
 */
export const organizationImports = sqliteTable(
  "organization_imports",
  {
    id: text("id").primaryKey(),
    actorUserId: text("actor_user_id")
      .notNull()
      .references(() => users.id),
    fileName: text("file_name").notNull(),
    sha256: text("sha256").notNull(),
    status: text("status", { enum: ["staging", "previewed", "running", "done"] }).notNull(),
    rows: integer("rows").notNull().default(0),
    validRows: integer("valid_rows").notNull().default(0),
    invalidRows: integer("invalid_rows").notNull().default(0),
    errorCount: integer("error_count").notNull().default(0),
    errorsJson: text("errors_json").notNull().default("[]"),
    fileError: text("file_error"),
    chunks: integer("chunks").notNull().default(0),
    createdAt: createdAt(),
    startedAt: timestamp("started_at"),
    startedByUserId: text("started_by_user_id").references(() => users.id),
    finishedAt: timestamp("finished_at"),
  },
  (t) => [index("organization_imports_status_idx").on(t.status, t.createdAt)],
);

/** Up to IMPORT_CHUNK valid rows of an import, written by one queue message in one batch. */
export const organizationImportChunks = sqliteTable(
  "organization_import_chunks",
  {
    importId: text("import_id")
      .notNull()
      .references(() => organizationImports.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    rowsJson: text("rows_json").notNull(),
    rowCount: integer("row_count").notNull(),
    status: text("status", { enum: ["pending", "done"] })
      .notNull()
      .default("pending"),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    skippedJson: text("skipped_json").notNull().default("[]"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    enqueuedAt: timestamp("enqueued_at"),
    finishedAt: timestamp("finished_at"),
  },
  (t) => [
    primaryKey({ columns: [t.importId, t.seq] }),
    index("organization_import_chunks_pending_idx").on(t.status, t.enqueuedAt),
  ],
);
