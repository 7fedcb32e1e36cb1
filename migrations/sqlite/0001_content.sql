-- Content model: sections, tags, authors, images, stories, briefs, settings.
-- Times are Unix seconds (INTEGER); ids are application-generated text.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE images (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    alt TEXT NOT NULL,
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sections (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE authors (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT NOT NULL,
    role_line TEXT NOT NULL,
    photo_id TEXT REFERENCES images(id),
    links TEXT NOT NULL
);

CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    headline TEXT NOT NULL,
    dek TEXT NOT NULL,
    label TEXT NOT NULL,
    section_id TEXT NOT NULL REFERENCES sections(id),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    custom_excerpt TEXT,
    hero_image_id TEXT REFERENCES images(id),
    status TEXT NOT NULL,
    featured BOOLEAN NOT NULL,
    published_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    reading_minutes INTEGER NOT NULL,
    seo_title TEXT,
    seo_description TEXT
);
CREATE INDEX stories_public ON stories (status, published_at);
CREATE INDEX stories_section ON stories (section_id, published_at);

CREATE TABLE story_authors (
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES authors(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (story_id, author_id)
);
CREATE INDEX story_authors_author ON story_authors (author_id);

CREATE TABLE story_tags (
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (story_id, tag_id)
);
CREATE INDEX story_tags_tag ON story_tags (tag_id);

CREATE TABLE story_notes (
    id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    noted_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX story_notes_story ON story_notes (story_id);

CREATE TABLE briefs (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    headline TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    link_url TEXT,
    image_id TEXT REFERENCES images(id),
    status TEXT NOT NULL,
    published_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX briefs_public ON briefs (status, published_at);

-- Old slugs of published stories and briefs: they answer 301 to the current one.
CREATE TABLE slug_redirects (
    kind TEXT NOT NULL,
    old_slug TEXT NOT NULL,
    target_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, old_slug)
);

CREATE TABLE subscribers (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
