-- Correction and update notes keep their history: a changed note is
-- retired and replaced by a new row, a removed one retired; readers see
-- the notes not retired, the desk all of them.
ALTER TABLE story_notes ADD COLUMN retired_at BIGINT;
ALTER TABLE story_notes ADD COLUMN retired_by TEXT;
ALTER TABLE story_notes ADD COLUMN replaced_by TEXT;
