-- Newsletters and their readers. A subscriber confirms their address once
-- (double opt-in) and then receives the newsletters they chose; every
-- change to a subscriber is kept in their history.
CREATE TABLE newsletters (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- empty: the site's title, and newsletter@ the site's host
    sender_name TEXT NOT NULL,
    sender_email TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    -- shown on the sign-up forms
    offered BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);

-- Readers: pending (not confirmed yet), active, unsubscribed, bounced or
-- complained. `manage_token` is in every message they get: it opens their
-- preferences and unsubscribes them in one click. `pending_newsletters`:
-- what they asked for and will receive once they confirm (ids, commas).
ALTER TABLE subscribers ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE subscribers ADD COLUMN confirmed_at BIGINT;
ALTER TABLE subscribers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN manage_token TEXT;
ALTER TABLE subscribers ADD COLUMN permanent_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN pending_newsletters TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX subscribers_manage_token ON subscribers (manage_token);
CREATE INDEX subscribers_status ON subscribers (status, email);

-- Which newsletters a reader receives (once they are active).
CREATE TABLE subscriptions (
    subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    newsletter_id TEXT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subscriber_id, newsletter_id)
);
CREATE INDEX subscriptions_newsletter ON subscriptions (newsletter_id, subscriber_id);

-- One-time confirmation links (stored as digests), and the history.
CREATE TABLE subscriber_tokens (
    token_hash TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE subscriber_events (
    id TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX subscriber_events_of ON subscriber_events (subscriber_id, at);

-- Sign-up attempts, by address and by client, for rate limits.
CREATE TABLE signup_attempts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX signup_attempts_email ON signup_attempts (email, at);
CREATE INDEX signup_attempts_client ON signup_attempts (client, at);

-- The round-up every existing sign-up asked for.
INSERT INTO newsletters (id, slug, name, description, sender_name, sender_email, reply_to, offered, position, created_at)
VALUES ('weekly', 'weekly', 'The weekly round-up', 'Our best analysis, once a week.', '', '', '', TRUE, 0, 0);

-- Addresses collected before double opt-in are kept, unconfirmed, with the
-- round-up chosen, and asked once to confirm (a job each).
UPDATE subscribers SET status = 'pending', pending_newsletters = 'weekly', updated_at = created_at
WHERE status = 'subscribed';
INSERT INTO jobs (id, kind, subject, run_at, attempts, created_at)
SELECT 'confirm-subscriber-' || id, 'confirm-subscriber', id, created_at, 0, created_at
FROM subscribers WHERE status = 'pending';
