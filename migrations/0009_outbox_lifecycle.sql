-- Existing roles and users start the new lifecycle clocks gently (docs/decisions/2026-11-23-outbox-and-approvals.md):
-- a role granted more than 335 days ago counts as recertified 335 days ago, so its approvers get both reminders
-- (30 and 7 days) before it can lapse; a user whose last sign-in is unknown or older than 49 days counts as
-- last seen 49 days ago, so nobody loses roles without the day-50, 55 and 59 warnings.
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`template` text NOT NULL,
	`sealed` blob,
	`trace_id` text,
	`created_at` integer NOT NULL,
	`claimed_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`queued_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_idempotency_key_unique` ON `outbox` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `outbox_unqueued_idx` ON `outbox` (`id`) WHERE queued_at IS NULL;--> statement-breakpoint
CREATE INDEX `outbox_queued_idx` ON `outbox` (`queued_at`);--> statement-breakpoint
ALTER TABLE `access_requests` ADD `decision_reason_code` text;--> statement-breakpoint
ALTER TABLE `user_roles` ADD `recertified_at` integer;--> statement-breakpoint
ALTER TABLE `user_roles` ADD `recertified_by_user_id` text REFERENCES users(id);--> statement-breakpoint
CREATE UNIQUE INDEX `user_roles_access_request_unique` ON `user_roles` (`access_request_id`);--> statement-breakpoint
ALTER TABLE `users` ADD `last_sign_in_at` integer;--> statement-breakpoint
CREATE INDEX `audit_events_program_idx` ON `audit_events` (`program_id`,`occurred_at`);--> statement-breakpoint
UPDATE `user_roles` SET `recertified_at` = max(`granted_at`, (CAST(strftime('%s', 'now') AS INTEGER) - 335 * 86400) * 1000) WHERE `recertified_at` IS NULL;--> statement-breakpoint
UPDATE `users` SET `last_sign_in_at` = max(coalesce((SELECT max(`occurred_at`) FROM `audit_events` WHERE `event_type` = 'signin.success' AND `subject_user_id` = `users`.`id`), (SELECT max(`created_at`) FROM `sessions` WHERE `sessions`.`user_id` = `users`.`id`), `created_at`), (CAST(strftime('%s', 'now') AS INTEGER) - 49 * 86400) * 1000) WHERE `last_sign_in_at` IS NULL;
