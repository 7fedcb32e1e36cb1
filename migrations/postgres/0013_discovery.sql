-- The search index: one document per published story (scheduled ones too:
-- a query asks for those public at its own time), kept in the same
-- transaction as every save. The text columns are what result snippets are
-- cut from; `terms` is what the index reads: the same text with accents
-- folded by Masthead (PostgreSQL's unaccent is an extension a hosted
-- database may not offer), stemmed for English and weighted (headline A,
-- dek and topics B, body D). `headline_key` is the headline folded so an
-- exact headline match can come first.
CREATE TABLE search_documents (
    doc BIGINT GENERATED ALWAYS AS IDENTITY,
    story_id TEXT NOT NULL UNIQUE REFERENCES stories(id) ON DELETE CASCADE,
    section_id TEXT NOT NULL,
    label TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    headline_key TEXT NOT NULL,
    headline TEXT NOT NULL,
    dek TEXT NOT NULL,
    body TEXT NOT NULL,
    topics TEXT NOT NULL,
    terms TSVECTOR NOT NULL,
    -- A name it shows (section, tag, author) changed: rewritten soon by a
    -- job (renaming a tag on thousands of stories must not hold the lock).
    stale BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX search_documents_stale ON search_documents (story_id) WHERE stale;
CREATE INDEX search_documents_label ON search_documents (label);
CREATE INDEX search_documents_headline ON search_documents (headline_key);
CREATE INDEX search_documents_terms ON search_documents USING GIN (terms);

-- Related stories, worked out when a story is saved (a job), best first.
CREATE TABLE related_stories (
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    related_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    PRIMARY KEY (story_id, position)
);

-- The editors' word on a story's related stories: pinned ones come first,
-- in their order; excluded ones never show.
CREATE TABLE related_choices (
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    related_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    -- pin or exclude
    choice TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (story_id, related_id)
);
