-- Integrations: the keys of the Content and Admin APIs, and webhooks.
-- An integration acts as a staff account of its own (a users row marked
-- as an integration: it cannot sign in, and the People page leaves it out),
-- so every Admin API action is checked against that account's role and
-- logged under its name.
ALTER TABLE users ADD COLUMN integration BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id),
    -- 26 hex characters, sent as ?key= to the Content API
    content_key TEXT NOT NULL UNIQUE,
    -- the Admin API key is {admin_key_id}:{admin_secret}, both hex; the
    -- secret is kept as it is because every token is checked with it
    admin_key_id TEXT NOT NULL UNIQUE,
    admin_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    target_url TEXT NOT NULL,
    -- keys the X-Ghost-Signature HMAC of every delivery
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- the outcome of the latest attempt, for the desk
    last_status TEXT,
    last_attempt_at BIGINT
);
CREATE INDEX webhooks_event ON webhooks (event);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    -- what the event is about ('post', 'page', 'tag', 'member', 'site'),
    -- and its id
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    -- what it was before (JSON): all that is left of a deleted post
    previous TEXT NOT NULL,
    -- the JSON sent: composed at the first attempt, then kept, so every
    -- retry sends the same body
    body TEXT,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at BIGINT,
    last_status TEXT
);
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (webhook_id, created_at);
