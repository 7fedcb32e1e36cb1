-- Static pages (About, Contact, Masthead, Privacy, Corrections policy):
-- published under /{slug}, linked from the navigation or the footer in the
-- order of `position`, edited with revisions like stories.
CREATE TABLE pages (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    hero_image_id TEXT REFERENCES images(id),
    status TEXT NOT NULL,
    in_navigation BOOLEAN NOT NULL,
    in_footer BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    revision BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX pages_links ON pages (status, position);
