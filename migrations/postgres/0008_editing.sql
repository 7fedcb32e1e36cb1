-- What the story editor needs: who started a piece (authors and
-- contributors may edit their own), which author profile a person writes
-- as, a save counter that refuses a save made on an outdated copy, a
-- secret link that shows a draft to someone without an account, and every
-- save kept as a revision.
ALTER TABLE users ADD COLUMN author_id TEXT REFERENCES authors(id) ON DELETE SET NULL;

ALTER TABLE stories ADD COLUMN created_by TEXT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE stories ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE stories ADD COLUMN preview_token TEXT;
ALTER TABLE briefs ADD COLUMN created_by TEXT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE briefs ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;

CREATE UNIQUE INDEX stories_preview_token ON stories (preview_token);
-- The desk lists what changed last first.
CREATE INDEX stories_updated ON stories (updated_at);
CREATE INDEX briefs_updated ON briefs (updated_at);

-- Every save of a story or brief: the fields as saved (JSON), by whom.
CREATE TABLE revisions (
    id TEXT PRIMARY KEY,
    -- 'story' or 'brief'
    kind TEXT NOT NULL,
    piece_id TEXT NOT NULL,
    -- the piece's save counter this revision produced
    number BIGINT NOT NULL,
    saved_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    saved_at BIGINT NOT NULL,
    fields TEXT NOT NULL
);
CREATE UNIQUE INDEX revisions_piece ON revisions (kind, piece_id, number);
