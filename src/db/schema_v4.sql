-- HBF henv schema, version 4: the admin UI's file history.
-- Every save or delete through the admin file API first copies the file's previous content
-- here, so a version can be looked at and restored. Pruned to the newest
-- `admin_history_keep` versions per path by the API (see src/admin/files.rs).

CREATE TABLE _hbf_file_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    content BLOB NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    saved_at INTEGER NOT NULL DEFAULT (unixepoch()),
    user_id INTEGER
);
CREATE INDEX idx_hbf_file_history_path ON _hbf_file_history(path, id);

INSERT INTO _hbf_config (key, value, description) VALUES
    ('admin_history_keep', '50', 'Previous versions of each file the admin UI keeps');
