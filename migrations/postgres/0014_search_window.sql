-- Documents are found by number (related stories, the search window's
-- rows) and walked newest first (a search ranks its newest matches).
ALTER TABLE search_documents ADD PRIMARY KEY (doc);
CREATE INDEX search_documents_published ON search_documents (published_at);
