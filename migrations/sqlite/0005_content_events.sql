-- Content events: the schedule counter moves when the time of a future
-- publication changes (caches then re-check when to expire, without emptying).
ALTER TABLE content_version ADD COLUMN schedule BIGINT NOT NULL DEFAULT 0;

-- Tag pages, author pages and related stories read story_tags and
-- story_authors alone: each row carries the time from which its story is
-- public (NULL for drafts and archived stories) and, for tags, its section,
-- so the newest public stories of a tag or an author are one index range,
-- whatever the size of the archive.
ALTER TABLE story_tags ADD COLUMN section_id TEXT;
ALTER TABLE story_tags ADD COLUMN public_from BIGINT;
UPDATE story_tags SET
    section_id = (SELECT s.section_id FROM stories s WHERE s.id = story_tags.story_id),
    public_from = (SELECT CASE WHEN s.status IN ('published', 'scheduled') THEN s.published_at END
                   FROM stories s WHERE s.id = story_tags.story_id);
ALTER TABLE story_authors ADD COLUMN public_from BIGINT;
UPDATE story_authors SET
    public_from = (SELECT CASE WHEN s.status IN ('published', 'scheduled') THEN s.published_at END
                   FROM stories s WHERE s.id = story_authors.story_id);
DROP INDEX story_authors_author;
CREATE INDEX story_authors_recent ON story_authors (author_id, public_from, story_id);
DROP INDEX story_tags_tag;
CREATE INDEX story_tags_recent ON story_tags (tag_id, public_from, story_id, section_id);
DROP INDEX stories_related;

-- Finding the next scheduled publication (and the last one that came due)
-- is an index seek, not a scan of the archive.
CREATE INDEX stories_scheduled ON stories (published_at) WHERE status = 'scheduled';
CREATE INDEX briefs_scheduled ON briefs (published_at) WHERE status = 'scheduled';

-- The home page's lead is the newest featured story: a seek, even when
-- nothing in a deep archive is featured.
CREATE INDEX stories_featured ON stories (published_at, id) WHERE featured;
