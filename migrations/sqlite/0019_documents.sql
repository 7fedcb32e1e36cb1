-- Bodies become documents (src/model/document): one column holds each
-- body in the document schema, as its canonical HTML. The Markdown source
-- goes; the HTML every body was shown as stays, and `body_schema` says
-- which schema a row's body is in: rows from before are 0 and are read
-- into the schema once by `masthead migrate` (and by `serve` on start-up,
-- before it listens); rows written since carry the schema they were
-- written in. Newsletter intros were Markdown alone: at 0 they are read
-- as Markdown.
ALTER TABLE stories DROP COLUMN body_md;
ALTER TABLE stories RENAME COLUMN body_html TO body;
ALTER TABLE stories ADD COLUMN body_schema INTEGER NOT NULL DEFAULT 1;
UPDATE stories SET body_schema = 0;

ALTER TABLE briefs DROP COLUMN body_md;
ALTER TABLE briefs RENAME COLUMN body_html TO body;
ALTER TABLE briefs ADD COLUMN body_schema INTEGER NOT NULL DEFAULT 1;
UPDATE briefs SET body_schema = 0;

ALTER TABLE pages DROP COLUMN body_md;
ALTER TABLE pages RENAME COLUMN body_html TO body;
ALTER TABLE pages ADD COLUMN body_schema INTEGER NOT NULL DEFAULT 1;
UPDATE pages SET body_schema = 0;

ALTER TABLE newsletter_issues RENAME COLUMN intro_md TO intro;
ALTER TABLE newsletter_issues ADD COLUMN body_schema INTEGER NOT NULL DEFAULT 1;
UPDATE newsletter_issues SET body_schema = 0;

-- Start-up looks for rows in an older schema: an index answers without
-- reading the bodies (most of each row).
CREATE INDEX stories_body_schema ON stories (body_schema);
CREATE INDEX briefs_body_schema ON briefs (body_schema);
CREATE INDEX pages_body_schema ON pages (body_schema);
CREATE INDEX newsletter_issues_body_schema ON newsletter_issues (body_schema);
