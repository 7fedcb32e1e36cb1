-- Listings walk stories newest first and stop at the page size; these indexes
-- follow that order exactly (published_at, then id as the tie-breaker), so no
-- listing sorts the table, and status rides along so counting reads the index alone. The (status, published_at) indexes are dropped:
-- nearly every row is published, and they lured SQLite's planner into sorting.
DROP INDEX stories_public;
DROP INDEX briefs_public;
DROP INDEX stories_section;
CREATE INDEX stories_section ON stories (section_id, published_at, id, status);
CREATE INDEX stories_recent ON stories (published_at, id, status);
CREATE INDEX briefs_recent ON briefs (published_at, id, status);
