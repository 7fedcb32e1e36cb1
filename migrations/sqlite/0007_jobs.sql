-- The durable job queue: work that must happen at a time (a scheduled
-- story going out), once, whichever instance does it. A claim holds a job
-- until `locked_until`; a worker that dies lets the claim lapse and another
-- takes the job over, so handlers are written to be safe to run again.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- what the job works on (a story's id): with kind, one pending job each
    subject TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    done_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;
CREATE UNIQUE INDEX jobs_pending ON jobs (kind, subject) WHERE done_at IS NULL;

-- Scheduled pieces saved before the queue existed get their job.
INSERT INTO jobs (id, kind, subject, run_at, attempts, created_at)
SELECT 'publish-story-' || id, 'publish-story', id, published_at, 0, updated_at
FROM stories WHERE status = 'scheduled' AND published_at IS NOT NULL;
INSERT INTO jobs (id, kind, subject, run_at, attempts, created_at)
SELECT 'publish-brief-' || id, 'publish-brief', id, published_at, 0, updated_at
FROM briefs WHERE status = 'scheduled' AND published_at IS NOT NULL;
