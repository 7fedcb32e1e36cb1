-- Live coverage (services/live.rs): a story covered live from a time,
-- until it is ended; its timestamped updates, newest first on the page.
-- `seq` numbers every change of a story's updates (a post, an edit, a
-- removal) so a reader's page asks for what changed after what it shows.
CREATE TABLE live_coverage (
    story_id TEXT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    seq BIGINT NOT NULL
);

CREATE TABLE live_updates (
    id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES live_coverage(story_id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    posted_at BIGINT NOT NULL,
    author_id TEXT REFERENCES authors(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    pinned BOOLEAN NOT NULL,
    edited_at BIGINT,
    removed_at BIGINT,
    posted_by TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX live_updates_story ON live_updates (story_id, seq);

-- Each update as it read before an edit or its removal.
CREATE TABLE live_update_history (
    update_id TEXT NOT NULL REFERENCES live_updates(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    pinned BOOLEAN NOT NULL,
    author_id TEXT REFERENCES authors(id) ON DELETE SET NULL,
    replaced_at BIGINT NOT NULL,
    replaced_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    removed BOOLEAN NOT NULL,
    PRIMARY KEY (update_id, seq)
);
