-- The newsroom's accounts, their sessions, one-time links and an activity
-- log. Tokens (sessions, links) are stored as hashes: the database never
-- holds what a browser or a link presents.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- Argon2id PHC string; NULL until the person sets a password
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- sent back with every form of the desk (CSRF)
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Links sent or shown once: set a password, reset it, accept an invitation.
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Failed logins, by account and by client address, for throttling.
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account, failed_at);
CREATE INDEX login_failures_client ON login_failures (client, failed_at);

CREATE TABLE activity (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX activity_at ON activity (at);
