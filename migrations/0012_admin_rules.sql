-- Administration (SPEC 2.8). Failed email: a dead-lettered message is kept sealed (AES-GCM, bound to its key, as
-- in the outbox) so the help desk can resend it; it is cleared once the email is sent. Manual proofing: the
-- evidence checked on approval (document type, last four characters of its number; who and when are the
-- decider and decided_at) and the reason for a denial. Role rules: whether a request needs an end date, and
-- who approves it.
ALTER TABLE `email_log` ADD `sealed` blob;--> statement-breakpoint
ALTER TABLE `proofing_reviews` ADD `evidence_type` text;--> statement-breakpoint
ALTER TABLE `proofing_reviews` ADD `evidence_last4` text;--> statement-breakpoint
ALTER TABLE `proofing_reviews` ADD `denial_reason` text;--> statement-breakpoint
ALTER TABLE `roles` ADD `requires_end_date` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `roles` ADD `approver_rule` text DEFAULT 'security_official_else_help_desk' NOT NULL;
