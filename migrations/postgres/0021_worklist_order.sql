-- The desk's story list filtered by status, newest change first, read in
-- index order (with 100,000 stories it sorted every published one).
CREATE INDEX stories_status_updated ON stories (status, updated_at);
