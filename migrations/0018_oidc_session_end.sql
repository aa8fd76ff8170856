CREATE INDEX `oidc_authorization_codes_sid_idx` ON `oidc_authorization_codes` (`sid`);--> statement-breakpoint
-- Sessions from before 0017 get a stable id, so their sign-ins to applications can be ended too.
UPDATE `sessions` SET `sid` = lower(hex(randomblob(20))) WHERE `sid` IS NULL;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `sessions_end_oidc_logins`;
--> statement-breakpoint
-- As in 0017, and a session's end also ends the access tokens its sign-ins issued: an
-- application's userinfo stops answering for it at once, not when the token expires.
CREATE TRIGGER `sessions_end_oidc_logins` AFTER DELETE ON `sessions`
WHEN OLD.`sid` IS NOT NULL
BEGIN
  INSERT INTO `oidc_logout_deliveries` (`client_id`, `sub`, `sid`, `created_at`)
    SELECT `client_id`, `sub`, `sid`, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM `oidc_logins` WHERE `sid` = OLD.`sid`;
  DELETE FROM `oidc_logins` WHERE `sid` = OLD.`sid`;
  DELETE FROM `oidc_access_tokens` WHERE `code_hash` IN
    (SELECT `code_hash` FROM `oidc_authorization_codes` WHERE `sid` = OLD.`sid`);
END;
