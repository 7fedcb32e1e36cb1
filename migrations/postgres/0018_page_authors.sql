-- A page names its authors, in byline order, as Ghost requires of every
-- page (its front-ends read page.primary_author): a JSON list of author
-- ids. Pages made before this name whoever made them; the rest fall back,
-- when read, to an owner (see services::ghost).
ALTER TABLE pages ADD COLUMN authors TEXT NOT NULL DEFAULT '[]';
UPDATE pages SET authors = COALESCE(
    (SELECT '["' || u.author_id || '"]' FROM users u
     WHERE u.id = pages.created_by AND u.author_id IS NOT NULL),
    '[]');
