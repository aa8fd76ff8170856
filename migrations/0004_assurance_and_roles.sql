ALTER TABLE `known_devices` ADD `trusted_at` integer;--> statement-breakpoint
ALTER TABLE `sessions` ADD `assurance` text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `strong_factor_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `restricted_until` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `held_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `held_reason` text;--> statement-breakpoint
ALTER TABLE `roles` ADD `is_help_desk` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `roles` ADD `is_admin` integer DEFAULT false NOT NULL;