-- HBF henv schema, version 2: authentication and authorization.
-- _hbf_secrets holds key material (the JWT signing key); the authorizer denies it to every
-- SQL handle app code can reach (db, db.system, the data API). The key itself is written by
-- db::migrate from the operating system's CSPRNG right after this script runs.
-- authz_version is bumped by the triggers below whenever a permission or policy changes, so
-- every connection knows to reload them and rebuild its TEMP views.

CREATE TABLE _hbf_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);

INSERT INTO _hbf_config (key, value, description) VALUES
    ('auth_registration_open', 'true', 'Whether POST /register creates accounts'),
    ('auth_password_min_length', '8', 'Minimum password length in characters'),
    ('auth_argon2', '{"m_kib":19456,"t":2,"p":1}', 'Argon2id parameters for new password hashes'),
    ('auth_root_routes', 'true', 'Also answer /register, /login, /logout and /me (besides /_api/auth/...)'),
    ('auth_rate_limit', '{"ip_burst":20,"ip_per_minute":10,"user_burst":5,"user_per_minute":2}', 'Login attempts per client IP and per username'),
    ('authz_version', '0', 'Bumped when permissions or row policies change');

CREATE TRIGGER _hbf_perms_ins AFTER INSERT ON _hbf_table_permissions BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch() WHERE key = 'authz_version';
END;
CREATE TRIGGER _hbf_perms_upd AFTER UPDATE ON _hbf_table_permissions BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch() WHERE key = 'authz_version';
END;
CREATE TRIGGER _hbf_perms_del AFTER DELETE ON _hbf_table_permissions BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch() WHERE key = 'authz_version';
END;
CREATE TRIGGER _hbf_policies_ins AFTER INSERT ON _hbf_row_policies BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch() WHERE key = 'authz_version';
END;
CREATE TRIGGER _hbf_policies_upd AFTER UPDATE ON _hbf_row_policies BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch() WHERE key = 'authz_version';
END;
CREATE TRIGGER _hbf_policies_del AFTER DELETE ON _hbf_row_policies BEGIN
    UPDATE _hbf_config SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch() WHERE key = 'authz_version';
END;
