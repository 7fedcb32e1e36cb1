-- A round-up may carry "Corrections since the last issue": the corrections
-- made after this time and before it is sent (NULL: it shows none).
ALTER TABLE newsletter_issues ADD COLUMN corrections_since BIGINT;
