-- The media library: each image keeps the widths it was resized to (a
-- served copy per width, each also as WebP when `webp`), the storage key of
-- its untouched original (never served: it may carry camera and location
-- data), its size in bytes and who uploaded it (contributors have a quota).
ALTER TABLE images ADD COLUMN widths TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN webp BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE images ADD COLUMN original TEXT;
ALTER TABLE images ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN uploaded_by TEXT REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX images_created ON images (created_at);
CREATE INDEX images_uploaded_by ON images (uploaded_by);

-- A story may say more about its hero than the library's defaults.
ALTER TABLE stories ADD COLUMN hero_alt TEXT;
ALTER TABLE stories ADD COLUMN hero_caption TEXT;
ALTER TABLE stories ADD COLUMN hero_credit TEXT;
