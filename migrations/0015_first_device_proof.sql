-- Recovery proves possession (docs/decisions/2026-12-07-recovery-model.md): the first MFA device of an account
-- is bound only in a session that proved something besides the password. The session records what it proved:
-- 'identity_proofing' (the session that just completed identity proofing) or 'reenrollment_link' (opened through
-- the single-use link that Reset MFA emails to the address on file). NULL: the password alone.
ALTER TABLE `sessions` ADD `first_device_proof` text;
