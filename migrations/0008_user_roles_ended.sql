ALTER TABLE `user_roles` ADD `ended_at` integer;--> statement-breakpoint
ALTER TABLE `user_roles` ADD `ended_by_user_id` text REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `user_roles` ADD `end_reason` text;