-- HBF henv schema, version 3: documents.
-- A document is a row of `nodes` with a `path` (its hierarchical id, unique), its content
-- type in `type`, its content bytes in `data` (exact, text or binary), user metadata in
-- `body` (a JSON object), a revision counter `rev`, the SHA-256 of the content in `hash`,
-- and `owner_id`, the user who created it (for row policies such as
-- `owner_id = hbf_user_id()`). `title` and `search_text` are derived from the content by
-- HBF (JSON "title", markdown "# heading", HTML <title>/<h1>, else the id; the searchable
-- text) and are what the full-text index reads.
-- nodes_fts is rebuilt over (title, search_text): version 1 indexed body.$.content only.

ALTER TABLE nodes ADD COLUMN path TEXT;
ALTER TABLE nodes ADD COLUMN data BLOB;
ALTER TABLE nodes ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE nodes ADD COLUMN hash TEXT;
ALTER TABLE nodes ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN owner_id INTEGER;
ALTER TABLE nodes ADD COLUMN title TEXT;
ALTER TABLE nodes ADD COLUMN search_text TEXT;
CREATE UNIQUE INDEX idx_nodes_path ON nodes(path);
CREATE INDEX idx_nodes_modified ON nodes(modified_at);
CREATE UNIQUE INDEX idx_tags_node_tag ON tags(node_id, tag);
CREATE INDEX idx_edges_dst_rel ON edges(dst, rel);

DROP TRIGGER nodes_fts_insert;
DROP TRIGGER nodes_fts_delete;
DROP TRIGGER nodes_fts_update;
DROP TABLE nodes_fts;

CREATE VIRTUAL TABLE nodes_fts USING fts5(
    title,
    search_text,
    content = 'nodes',
    content_rowid = 'id',
    tokenize = 'porter unicode61'
);
CREATE TRIGGER nodes_fts_insert AFTER INSERT ON nodes BEGIN
    INSERT INTO nodes_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
CREATE TRIGGER nodes_fts_delete AFTER DELETE ON nodes BEGIN
    INSERT INTO nodes_fts(nodes_fts, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text);
END;
CREATE TRIGGER nodes_fts_update AFTER UPDATE OF title, search_text ON nodes BEGIN
    INSERT INTO nodes_fts(nodes_fts, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text);
    INSERT INTO nodes_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
INSERT INTO nodes_fts(nodes_fts) VALUES ('rebuild');

INSERT INTO _hbf_config (key, value, description) VALUES
    ('documents_max_bytes', '5242880', 'Largest document content in bytes (PUT/PATCH past it: 413)'),
    ('documents_max_id_bytes', '512', 'Longest document id in bytes'),
    ('documents_max_depth', '16', 'Most segments in a document id'),
    ('documents_serve', 'true', 'Serve documents by path (GET /about -> about or pages/about) before the 404');
