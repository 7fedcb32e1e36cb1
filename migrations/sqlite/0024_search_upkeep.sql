-- PostgreSQL's search index gains a bounded pending list and finer word
-- statistics (see its migration 0024); FTS5 merges its own segments.
SELECT 1;
