-- PostgreSQL's search documents gain era terms and a ranking vector (see
-- its migration 0023); SQLite's FTS5 index reads its matches newest first
-- already (document numbers count back from a far future).
SELECT 1;
