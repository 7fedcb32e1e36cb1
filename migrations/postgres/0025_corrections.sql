-- The public corrections page and its feed list every standing correction
-- of the publication, newest first.
CREATE INDEX story_notes_corrections ON story_notes (noted_at DESC, id DESC)
    WHERE kind = 'correction' AND retired_at IS NULL;
