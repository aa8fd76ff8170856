-- Recovery codes at the end of New User Enrollment only in the session that bound the device
-- (docs/decisions/2026-11-22-assurance-model.md): when this session bound an MFA device.
ALTER TABLE `sessions` ADD `device_bound_at` integer;
