-- Help-desk and admin powers move from user flags to roles (docs/decisions: authorization).
-- Existing help-desk users keep their power as a Help Desk Approver role for every program.
UPDATE `roles` SET `is_help_desk` = 1 WHERE `code` = 'HELP_DESK_APPROVER';--> statement-breakpoint
INSERT INTO `user_roles` (`id`, `user_id`, `role_id`, `program_id`, `organization_id`, `status`, `granted_at`)
  SELECT u.`id` || ':help-desk', u.`id`, r.`id`, NULL, NULL, 'active', CAST(unixepoch('subsec') * 1000 AS INTEGER)
  FROM `users` u, `roles` r
  WHERE u.`is_help_desk` = 1 AND r.`code` = 'HELP_DESK_APPROVER'
    AND NOT EXISTS (SELECT 1 FROM `user_roles` ur WHERE ur.`user_id` = u.`id` AND ur.`role_id` = r.`id` AND ur.`status` = 'active');--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `is_help_desk`;--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `is_admin`;