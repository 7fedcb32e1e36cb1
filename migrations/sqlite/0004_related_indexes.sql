-- Ranking related stories joins every story sharing a tag (thousands, in a
-- large archive). These covering indexes let both sides of that join be read
-- from indexes alone, without touching the wide story rows.
CREATE INDEX stories_related ON stories (id, status, published_at, section_id);
DROP INDEX story_tags_tag;
CREATE INDEX story_tags_tag ON story_tags (tag_id, story_id);
