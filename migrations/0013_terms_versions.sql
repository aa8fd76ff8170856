-- Terms and Conditions live in D1 (docs/decisions/2026-11-23-administration.md): administrators publish
-- versions, and an acceptance counts only for the newest. The text users accepted until now is version 2026-11-01.
CREATE TABLE `terms_versions` (
	`version` text PRIMARY KEY NOT NULL,
	`body_markdown` text NOT NULL,
	`published_at` integer NOT NULL,
	`published_by_user_id` text REFERENCES users(id)
);
--> statement-breakpoint
CREATE INDEX `terms_versions_published_idx` ON `terms_versions` (`published_at`);--> statement-breakpoint
INSERT INTO `terms_versions` (`version`, `body_markdown`, `published_at`, `published_by_user_id`) VALUES ('2026-11-01', 'You are accessing a U.S. Government information system, which includes this computer, this computer network, all computers connected to this network, and all devices and storage media attached to this network or to a computer on this network. This information system is provided for U.S. Government-authorized use only.

Unauthorized or improper use of this system may result in disciplinary action, as well as civil and criminal penalties.

By using this information system, you understand and consent to the following: you have no reasonable expectation of privacy regarding any communication or data transiting or stored on this information system. At any time, and for any lawful Government purpose, the government may monitor, intercept, and search and seize any communication or data transiting or stored on this information system.

Any communication or data transiting or stored on this information system may be disclosed or used for any lawful Government purpose.

You agree to keep your User ID, password and second factor to yourself, to report any suspected misuse to the help desk, and to request only the access your work requires.', 1793491200000, NULL) ON CONFLICT(`version`) DO NOTHING;
