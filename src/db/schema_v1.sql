-- HBF henv schema, version 1. Applied in one transaction by db::migrate.
-- Differences from the planning sketch: nodes.content is a generated column so the
-- external-content FTS5 table has a real column to read; the FTS triggers use the 'delete'
-- command that external-content tables need; table permissions can be granted per role as
-- well as per user; app files live in _hbf_files as BLOBs with their SHA-256.

CREATE TABLE nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    body TEXT NOT NULL CHECK (json_valid(body)),
    name TEXT GENERATED ALWAYS AS (json_extract(body, '$.name')) VIRTUAL,
    version TEXT GENERATED ALWAYS AS (json_extract(body, '$.version')) VIRTUAL,
    content TEXT GENERATED ALWAYS AS (json_extract(body, '$.content')) VIRTUAL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_nodes_type ON nodes(type);
CREATE INDEX idx_nodes_name ON nodes(name);
CREATE INDEX idx_nodes_created ON nodes(created_at);

CREATE TABLE edges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    src INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    dst INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    rel TEXT NOT NULL,
    props TEXT CHECK (props IS NULL OR json_valid(props)),
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_edges_src ON edges(src);
CREATE INDEX idx_edges_dst ON edges(dst);
CREATE INDEX idx_edges_rel ON edges(rel);
CREATE INDEX idx_edges_src_rel ON edges(src, rel);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tag TEXT NOT NULL,
    node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    parent_tag_id INTEGER REFERENCES tags(id) ON DELETE CASCADE,
    order_num INTEGER NOT NULL DEFAULT 0,
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_tags_tag ON tags(tag);
CREATE INDEX idx_tags_node ON tags(node_id);
CREATE INDEX idx_tags_parent_order ON tags(parent_tag_id, order_num);

CREATE VIRTUAL TABLE nodes_fts USING fts5(
    type UNINDEXED,
    content,
    content = 'nodes',
    content_rowid = 'id',
    tokenize = 'porter unicode61'
);
CREATE TRIGGER nodes_fts_insert AFTER INSERT ON nodes BEGIN
    INSERT INTO nodes_fts(rowid, type, content) VALUES (new.id, new.type, new.content);
END;
CREATE TRIGGER nodes_fts_delete AFTER DELETE ON nodes BEGIN
    INSERT INTO nodes_fts(nodes_fts, rowid, type, content) VALUES ('delete', old.id, old.type, old.content);
END;
CREATE TRIGGER nodes_fts_update AFTER UPDATE ON nodes BEGIN
    INSERT INTO nodes_fts(nodes_fts, rowid, type, content) VALUES ('delete', old.id, old.type, old.content);
    INSERT INTO nodes_fts(rowid, type, content) VALUES (new.id, new.type, new.content);
END;

CREATE TABLE _hbf_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('owner', 'admin', 'user')),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_users_role ON _hbf_users(role);

CREATE TABLE _hbf_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES _hbf_users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL,
    last_used INTEGER NOT NULL DEFAULT (unixepoch()),
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_sessions_user ON _hbf_sessions(user_id);
CREATE INDEX idx_hbf_sessions_expires ON _hbf_sessions(expires_at);

CREATE TABLE _hbf_table_permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES _hbf_users(id) ON DELETE CASCADE,
    role TEXT CHECK (role IS NULL OR role IN ('owner', 'admin', 'user', 'anon')),
    table_name TEXT NOT NULL,
    can_select INTEGER NOT NULL DEFAULT 0,
    can_insert INTEGER NOT NULL DEFAULT 0,
    can_update INTEGER NOT NULL DEFAULT 0,
    can_delete INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    CHECK ((user_id IS NULL) <> (role IS NULL))
);
CREATE UNIQUE INDEX idx_hbf_perms_user_table ON _hbf_table_permissions(user_id, table_name) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX idx_hbf_perms_role_table ON _hbf_table_permissions(role, table_name) WHERE role IS NOT NULL;

CREATE TABLE _hbf_row_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'user', 'anon')),
    operation TEXT NOT NULL CHECK (operation IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')),
    condition TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE UNIQUE INDEX idx_hbf_policies_name ON _hbf_row_policies(table_name, policy_name);

CREATE TABLE _hbf_config (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value)),
    description TEXT,
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE TABLE _hbf_audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES _hbf_users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    table_name TEXT,
    record_id INTEGER,
    details TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX idx_hbf_audit_user ON _hbf_audit_log(user_id);
CREATE INDEX idx_hbf_audit_created ON _hbf_audit_log(created_at);
CREATE INDEX idx_hbf_audit_action ON _hbf_audit_log(action);

CREATE TABLE _hbf_files (
    path TEXT PRIMARY KEY CHECK (length(path) > 0 AND path NOT LIKE '/%' AND path NOT LIKE '%..%'),
    content BLOB NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    modified_at INTEGER NOT NULL DEFAULT (unixepoch())
);

INSERT INTO _hbf_config (key, value, description) VALUES
    ('qjs_mem_mb', '64', 'QuickJS memory limit in MB'),
    ('qjs_timeout_ms', '5000', 'QuickJS execution timeout in milliseconds'),
    ('session_lifetime_hours', '168', 'Session lifetime in hours (default: 7 days)'),
    ('max_upload_size_mb', '10', 'Maximum upload size in MB'),
    ('enable_audit_log', 'true', 'Enable audit logging for admin actions'),
    ('isolation', '"worker"', 'JS context reuse: "worker" (one per worker, reused) or "request" (fresh per request)');
