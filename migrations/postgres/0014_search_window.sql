-- Documents are found by number (related stories, a search's window).
ALTER TABLE search_documents ADD PRIMARY KEY (doc);
-- A search reads the rows of every match of its words to keep the newest:
-- with the texts stored beside the rows (TOAST) rather than in them, those
-- rows are a sixth of the size (on rewrite: `VACUUM FULL search_documents`
-- compacts a table written before this).
ALTER TABLE search_documents SET (toast_tuple_target = 128);
