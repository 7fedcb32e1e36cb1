-- One row counting content changes, so that every process and instance
-- sharing this database notices a change made by another and drops its
-- cached pages.
CREATE TABLE content_version (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
INSERT INTO content_version (id, version, changed_at) VALUES (1, 1, 0);
