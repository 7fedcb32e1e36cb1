-- Nothing to change on SQLite: its documents are numbered by their rowid,
-- already their key (PostgreSQL gains a key on doc and smaller rows).
SELECT 1;
