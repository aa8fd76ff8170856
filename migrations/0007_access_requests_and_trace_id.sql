-- Names that say one thing: "request" is an access request, the help desk's manual
-- identity check is a proofing review, and the per-request id is a trace id.
-- Renames only (no table rebuilds): SQLite updates the foreign keys that point
-- at a renamed table (user_roles.request_id → access_requests).

-- role_requests → access_requests. The Request ID is the row id (QR-XXXXXXXX),
-- so request_number goes. SQLite adds a NOT NULL column only with a default;
-- the application always writes approver_kind.
DROP INDEX IF EXISTS `role_requests_number_unique`;--> statement-breakpoint
DROP INDEX IF EXISTS `role_requests_submission_key_unique`;--> statement-breakpoint
DROP INDEX IF EXISTS `role_requests_one_open_unique`;--> statement-breakpoint
DROP INDEX IF EXISTS `role_requests_status_created_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `role_requests_org_idx`;--> statement-breakpoint
ALTER TABLE `role_requests` RENAME TO `access_requests`;--> statement-breakpoint
ALTER TABLE `access_requests` DROP COLUMN `request_number`;--> statement-breakpoint
ALTER TABLE `access_requests` ADD `approver_kind` text DEFAULT 'security_official' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `access_requests_submission_key_unique` ON `access_requests` (`submission_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `access_requests_one_open_unique` ON `access_requests` (`user_id`,`program_id`,`organization_id`,`role_id`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `access_requests_user_idx` ON `access_requests` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `access_requests_status_created_idx` ON `access_requests` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `access_requests_org_idx` ON `access_requests` (`organization_id`,`status`);--> statement-breakpoint
ALTER TABLE `user_roles` RENAME COLUMN `request_id` TO `access_request_id`;--> statement-breakpoint

-- manual_proofing_requests → proofing_reviews
DROP INDEX IF EXISTS `manual_proofing_status_idx`;--> statement-breakpoint
ALTER TABLE `manual_proofing_requests` RENAME TO `proofing_reviews`;--> statement-breakpoint
CREATE INDEX `proofing_reviews_status_idx` ON `proofing_reviews` (`status`,`created_at`);--> statement-breakpoint

-- audit_events: request_id → trace_id, and the access request an event concerns.
ALTER TABLE `audit_events` RENAME COLUMN `request_id` TO `trace_id`;--> statement-breakpoint
ALTER TABLE `audit_events` ADD `access_request_id` text;--> statement-breakpoint
CREATE INDEX `audit_events_access_request_idx` ON `audit_events` (`access_request_id`);
