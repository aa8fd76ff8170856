-- Sign-in lockout moved to per-client counters in rate_limits (docs/decisions: assurance model); these columns were no longer read or written.
ALTER TABLE `users` DROP COLUMN `failed_sign_ins`;--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `locked_until`;