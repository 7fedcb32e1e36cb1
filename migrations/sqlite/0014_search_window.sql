-- SQLite walks documents newest first by their number (the rowid, the
-- full-text index's order); this index keeps the two schemas alike and
-- serves date-bounded look-ups. PostgreSQL also gains the key on doc.
CREATE INDEX search_documents_published ON search_documents (published_at);
