-- A search ranks the newest matches of its words. A common word matches
-- thousands of stories, and finding the newest among them meant reading
-- every match's row. Two additions let PostgreSQL read only the newest:
--
-- * Era terms in `terms`: each document carries `_e{level}_{n}`, the
--   aligned block of 2^level thirty-day eras it falls in, for levels 0 to
--   12 (see `search::eras`). A search asks for its words in the newest
--   block, then in older, larger ones, and stops once it has its window:
--   the GIN index finds the words inside one block without visiting rows
--   outside it. The underscore keeps them apart from readers' words
--   (letters and digits only).
-- * `lead_terms`: the headline (A) and dek and topics (B) part of `terms`,
--   stored in the row (small; not moved out to TOAST): what a window is
--   ranked by, so ranking does not read each match's whole body.
ALTER TABLE search_documents ADD COLUMN lead_terms TSVECTOR NOT NULL DEFAULT ''::tsvector;
ALTER TABLE search_documents ALTER COLUMN lead_terms SET STORAGE MAIN;
-- Every document is rewritten: the index is built again afterwards (one
-- build is faster than as many updates, and an updated GIN index is
-- twice the size and slower to search until rebuilt).
DROP INDEX search_documents_terms;
UPDATE search_documents SET
    lead_terms = ts_filter(terms, '{a,b}'),
    terms = terms || array_to_tsvector(ARRAY(
        SELECT '_e' || level || '_' || (floor(published_at / 2592000.0)::bigint >> level)
        FROM generate_series(0, 12) AS level));
CREATE INDEX search_documents_terms ON search_documents USING GIN (terms);
-- Searches read how common words are from these statistics.
ANALYZE search_documents;
