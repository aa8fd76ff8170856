CREATE TABLE `oidc_access_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`grant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`user_id` text NOT NULL,
	`sub` text NOT NULL,
	`scope` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `oidc_clients`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oidc_access_tokens_code_idx` ON `oidc_access_tokens` (`code_hash`);--> statement-breakpoint
CREATE INDEX `oidc_access_tokens_grant_idx` ON `oidc_access_tokens` (`grant_id`);--> statement-breakpoint
CREATE INDEX `oidc_access_tokens_expires_idx` ON `oidc_access_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `oidc_authorization_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`user_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`sid` text NOT NULL,
	`sub` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`code_challenge` text NOT NULL,
	`nonce` text NOT NULL,
	`scope` text NOT NULL,
	`auth_time` integer NOT NULL,
	`acr` text NOT NULL,
	`amr` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`redeemed_at` integer,
	`redeemed_by` text,
	FOREIGN KEY (`client_id`) REFERENCES `oidc_clients`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oidc_authorization_codes_expires_idx` ON `oidc_authorization_codes` (`expires_at`);--> statement-breakpoint
CREATE TABLE `oidc_client_assertions` (
	`client_id` text NOT NULL,
	`jti` text NOT NULL,
	`expires_at` integer NOT NULL,
	`claimed_by` text NOT NULL,
	PRIMARY KEY(`client_id`, `jti`)
);
--> statement-breakpoint
CREATE INDEX `oidc_client_assertions_expires_idx` ON `oidc_client_assertions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `oidc_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`program_id` integer NOT NULL,
	`redirect_uris` text NOT NULL,
	`post_logout_redirect_uris` text NOT NULL,
	`backchannel_logout_uri` text,
	`initiate_login_uri` text,
	`jwks` text NOT NULL,
	`required_assurance` text DEFAULT 'aal2' NOT NULL,
	`id_token_signed_response_alg` text DEFAULT 'ES256' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`created_by_user_id` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`program_id`) REFERENCES `programs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `oidc_clients_program_idx` ON `oidc_clients` (`program_id`,`status`);--> statement-breakpoint
CREATE TABLE `oidc_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`client_id` text NOT NULL,
	`scope` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `oidc_clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oidc_grants_user_client_unique` ON `oidc_grants` (`user_id`,`client_id`);--> statement-breakpoint
CREATE TABLE `oidc_logins` (
	`sid` text NOT NULL,
	`client_id` text NOT NULL,
	`user_id` text NOT NULL,
	`sub` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`sid`, `client_id`),
	FOREIGN KEY (`client_id`) REFERENCES `oidc_clients`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oidc_logins_user_idx` ON `oidc_logins` (`user_id`);--> statement-breakpoint
CREATE TABLE `oidc_logout_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_id` text NOT NULL,
	`sub` text NOT NULL,
	`sid` text NOT NULL,
	`created_at` integer NOT NULL,
	`claimed_at` integer,
	`queued_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`delivered_at` integer,
	`failed_at` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `oidc_logout_deliveries_unqueued_idx` ON `oidc_logout_deliveries` (`id`) WHERE queued_at IS NULL;--> statement-breakpoint
CREATE TABLE `oidc_signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`sealed_private_key` blob NOT NULL,
	`created_at` integer NOT NULL,
	`signs_from` integer NOT NULL,
	`retired_at` integer,
	`remove_after` integer
);
--> statement-breakpoint
CREATE INDEX `oidc_signing_keys_alg_idx` ON `oidc_signing_keys` (`alg`,`signs_from`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `sid` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `amr` text;--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_sid_unique` ON `sessions` (`sid`);--> statement-breakpoint
-- Every way a portal session ends (Sign Out, "sign out everywhere", deactivation, Reset MFA,
-- a password change, expiry) deletes its row: the applications it signed in to are then
-- told by back-channel logout. The deliveries are written by the same statement that ends
-- the session, so none can be forgotten (docs/decisions/2026-12-08-openid-provider.md).
CREATE TRIGGER `sessions_end_oidc_logins` AFTER DELETE ON `sessions`
WHEN OLD.`sid` IS NOT NULL
BEGIN
  INSERT INTO `oidc_logout_deliveries` (`client_id`, `sub`, `sid`, `created_at`)
    SELECT `client_id`, `sub`, `sid`, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM `oidc_logins` WHERE `sid` = OLD.`sid`;
  DELETE FROM `oidc_logins` WHERE `sid` = OLD.`sid`;
END;
