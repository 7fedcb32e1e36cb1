-- Two things every search paid for on a real archive:
--
-- * The GIN index's pending list. New documents wait in an unsorted list
--   that every search reads whole, until autovacuum or a full list (4 MB
--   by default) merges it into the index: on a newsroom's trickle of saves
--   that is weeks of searches reading hundreds of pages each (1.4 ms a
--   lookup at 128 pages, 0.1 ms merged). A list of 256 kB at most bounds
--   that cost; bulk loads merge what is left when they end (`optimize`).
-- * How common words are. Searches choose between reading every match and
--   walking back through time from the statistics' most common words; at
--   the default target a word missing from the list could still be in 3%
--   of documents, and was taken for a rare one. At 1000 the list reaches
--   down to words in about 0.1%.
ALTER INDEX search_documents_terms SET (gin_pending_list_limit = 256);
ALTER TABLE search_documents ALTER COLUMN terms SET STATISTICS 1000;
SELECT gin_clean_pending_list('search_documents_terms');
ANALYZE search_documents;
