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
UPDATE `user_roles` SET `recertified_at` = `granted_at` WHERE `recertified_at` IS NULL;--> statement-breakpoint
UPDATE `users` SET `last_sign_in_at` = coalesce((SELECT max(`created_at`) FROM `sessions` WHERE `sessions`.`user_id` = `users`.`id`), `created_at`) WHERE `last_sign_in_at` IS NULL;
