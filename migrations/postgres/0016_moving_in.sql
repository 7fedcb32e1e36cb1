-- Addresses a publication had on another platform (WordPress permalinks,
-- Ghost's /slug/, its redirects): each answers 301 to what it names now.
-- `target_kind` is story, brief, page, section, tag or author (the target
-- is an id, so a later rename is followed) or url (the target is an address).
CREATE TABLE path_redirects (
    path TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
