-- Full-text search over organization name and city (SPEC 2.5: case-insensitive
-- matching on words). External-content FTS5 table kept in sync by triggers.
CREATE VIRTUAL TABLE `organizations_fts` USING fts5(
	name,
	city,
	content='organizations',
	content_rowid='id',
	tokenize='unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `organizations_fts_ai` AFTER INSERT ON `organizations` BEGIN
	INSERT INTO organizations_fts(rowid, name, city) VALUES (new.id, new.name, new.city);
END;
--> statement-breakpoint
CREATE TRIGGER `organizations_fts_ad` AFTER DELETE ON `organizations` BEGIN
	INSERT INTO organizations_fts(organizations_fts, rowid, name, city) VALUES ('delete', old.id, old.name, old.city);
END;
--> statement-breakpoint
CREATE TRIGGER `organizations_fts_au` AFTER UPDATE OF name, city ON `organizations` BEGIN
	INSERT INTO organizations_fts(organizations_fts, rowid, name, city) VALUES ('delete', old.id, old.name, old.city);
	INSERT INTO organizations_fts(rowid, name, city) VALUES (new.id, new.name, new.city);
END;
--> statement-breakpoint
-- The audit log is append-only (SPEC 2.6).
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events` BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events` BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
