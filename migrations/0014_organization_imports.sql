-- CSV imports of organizations run in the background (docs/decisions/2026-11-23-organization-import-queue.md):
-- the preview stages the valid rows in chunks; "Import" queues one message a chunk; each chunk is written in one
-- D1 batch with its audit events and marked done in the same batch, so a redelivered chunk writes nothing.
CREATE TABLE `organization_imports` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_user_id` text NOT NULL REFERENCES users(id),
	`file_name` text NOT NULL,
	`sha256` text NOT NULL,
	`status` text NOT NULL CHECK (`status` IN ('staging', 'previewed', 'running', 'done')),
	`rows` integer DEFAULT 0 NOT NULL,
	`valid_rows` integer DEFAULT 0 NOT NULL,
	`invalid_rows` integer DEFAULT 0 NOT NULL,
	`error_count` integer DEFAULT 0 NOT NULL,
	`errors_json` text DEFAULT '[]' NOT NULL,
	`file_error` text,
	`chunks` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`started_by_user_id` text REFERENCES users(id),
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `organization_imports_status_idx` ON `organization_imports` (`status`, `created_at`);--> statement-breakpoint
CREATE TABLE `organization_import_chunks` (
	`import_id` text NOT NULL REFERENCES organization_imports(id) ON DELETE CASCADE,
	`seq` integer NOT NULL,
	`rows_json` text NOT NULL,
	`row_count` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL CHECK (`status` IN ('pending', 'done')),
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`skipped_json` text DEFAULT '[]' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`enqueued_at` integer,
	`finished_at` integer,
	PRIMARY KEY(`import_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `organization_import_chunks_pending_idx` ON `organization_import_chunks` (`status`, `enqueued_at`);
