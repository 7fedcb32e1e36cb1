-- Newsletter issues and their deliveries. Sending an issue writes one
-- delivery per active subscriber (in the database, set-based: the list is
-- never loaded whole); workers claim small batches for a short lease, send,
-- and mark each message as it is accepted, so a killed process resumes
-- where it stopped and resends at most what was in flight.
CREATE TABLE newsletter_issues (
    id TEXT PRIMARY KEY,
    newsletter_id TEXT NOT NULL REFERENCES newsletters(id),
    -- the web version's address in the archive
    slug TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    preheader TEXT NOT NULL,
    intro_md TEXT NOT NULL,
    -- draft, scheduled, sending, paused, sent
    status TEXT NOT NULL,
    send_at BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    last_error TEXT,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX newsletter_issues_sent ON newsletter_issues (newsletter_id, status, finished_at);

-- What an issue carries, in order: stories and briefs.
CREATE TABLE issue_items (
    issue_id TEXT NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    piece_id TEXT NOT NULL,
    PRIMARY KEY (issue_id, position)
);

-- One message of one issue to one subscriber: queued, sent or failed.
CREATE TABLE deliveries (
    issue_id TEXT NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    sent_at BIGINT,
    PRIMARY KEY (issue_id, subscriber_id)
);
CREATE INDEX deliveries_due ON deliveries (issue_id, status, next_attempt_at);
