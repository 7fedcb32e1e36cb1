-- Which media files each piece's text names, kept as pieces are saved, so
-- an image's "where used" is an index look-up, not a scan of every body.
CREATE TABLE media_refs (
    piece_kind TEXT NOT NULL,
    piece_id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (piece_kind, piece_id, name)
);
CREATE INDEX media_refs_name ON media_refs (name);

-- Derived tables to build again at the next start (the pieces that exist
-- already, and after a backup is loaded).
CREATE TABLE pending_rebuilds (name TEXT PRIMARY KEY);
INSERT INTO pending_rebuilds (name) VALUES ('media_refs');

-- An image's uses also look up the pieces that show it as their picture.
CREATE INDEX stories_hero_image ON stories (hero_image_id);
CREATE INDEX briefs_image ON briefs (image_id);
CREATE INDEX pages_hero_image ON pages (hero_image_id);
