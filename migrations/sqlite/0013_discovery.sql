-- The search index: one document per published story (scheduled ones too:
-- a query asks for those public at its own time), kept in the same
-- transaction as every save. The text columns are what the index reads and
-- what result snippets are cut from; `headline_key` is the headline folded
-- (lower case, no accents, words only) so an exact headline match can come
-- first. `doc` numbers documents newest first (seconds before a far
-- future, shifted left 20 bits, plus a count within the second): the index
-- hands back the newest matches first in its natural order, and a query
-- ranks a bounded window of them whatever the archive's size.
CREATE TABLE search_documents (
    doc INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL UNIQUE REFERENCES stories(id) ON DELETE CASCADE,
    section_id TEXT NOT NULL,
    label TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    headline_key TEXT NOT NULL,
    headline TEXT NOT NULL,
    dek TEXT NOT NULL,
    body TEXT NOT NULL,
    topics TEXT NOT NULL,
    -- A name it shows (section, tag, author) changed: rewritten soon by a
    -- job (renaming a tag on thousands of stories must not hold the lock).
    stale BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX search_documents_stale ON search_documents (story_id) WHERE stale;
CREATE INDEX search_documents_label ON search_documents (label);
CREATE INDEX search_documents_headline ON search_documents (headline_key);

-- SQLite's full-text engine over those columns (an external-content table:
-- the text lives once, in search_documents). Porter stemming for English,
-- accents folded by the tokenizer.
CREATE VIRTUAL TABLE search_index USING fts5(
    headline, dek, body, topics,
    content = 'search_documents', content_rowid = 'doc',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER search_documents_added AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_index (rowid, headline, dek, body, topics)
    VALUES (new.doc, new.headline, new.dek, new.body, new.topics);
END;
CREATE TRIGGER search_documents_removed AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_index (search_index, rowid, headline, dek, body, topics)
    VALUES ('delete', old.doc, old.headline, old.dek, old.body, old.topics);
END;
CREATE TRIGGER search_documents_changed AFTER UPDATE OF headline, dek, body, topics ON search_documents BEGIN
    INSERT INTO search_index (search_index, rowid, headline, dek, body, topics)
    VALUES ('delete', old.doc, old.headline, old.dek, old.body, old.topics);
    INSERT INTO search_index (rowid, headline, dek, body, topics)
    VALUES (new.doc, new.headline, new.dek, new.body, new.topics);
END;

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
