//! App files stored in the henv (`server.js`, `www/**`, modules, templates): BLOB content
//! plus its SHA-256, computed once at write time and used as the ETag.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// A stored file with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub content: Vec<u8>,
    /// Lowercase hex SHA-256 of `content`.
    pub hash: String,
    /// Unix seconds of the last write.
    pub modified_at: i64,
}

/// A stored file without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub path: String,
    pub hash: String,
    pub size: u64,
    pub modified_at: i64,
}

/// Whether `path` is a clean relative path: `a/b.c`, no `..`, no empty or dot segments.
pub fn valid_file_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Writes (or replaces) a file, stamped now. Returns its hash.
pub fn put_file(conn: &Connection, path: &str, content: &[u8]) -> rusqlite::Result<String> {
    put_file_at(conn, path, content, None)
}

/// Writes (or replaces) a file with a given modification time (Unix seconds; `None` = now),
/// as `hbf import` does to keep `Last-Modified` equal to the source file's mtime.
pub fn put_file_at(
    conn: &Connection,
    path: &str,
    content: &[u8],
    modified_at: Option<i64>,
) -> rusqlite::Result<String> {
    if !valid_file_path(path) {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "invalid file path {path:?}"
        )));
    }
    let hash = sha256_hex(content);
    // (the content is already in memory: its size was bounded where it came from)
    let changed = with_length_lifted(conn, || {
        conn.prepare_cached(
        "INSERT INTO _hbf_files (path, content, hash, size, modified_at)
         VALUES (?1, ?2, ?3, ?4, COALESCE(?5, unixepoch()))
         ON CONFLICT(path) DO UPDATE SET content = excluded.content, hash = excluded.hash,
             size = excluded.size, modified_at = excluded.modified_at
         WHERE _hbf_files.hash <> excluded.hash OR (?5 IS NOT NULL AND _hbf_files.modified_at <> ?5)",
    )?
    .execute(params![path, content, hash, content.len() as i64, modified_at])
    })?;
    if changed > 0 {
        note_code_change(conn, path)?;
    }
    Ok(hash)
}

/// Reads a file, or `None` if there is none at `path`.
pub fn read_file(conn: &Connection, path: &str) -> rusqlite::Result<Option<StoredFile>> {
    with_length_lifted(conn, || {
        conn.prepare_cached("SELECT content, hash, modified_at FROM _hbf_files WHERE path = ?1")?
            .query_row([path], |r| {
                Ok(StoredFile {
                    content: r.get(0)?,
                    hash: r.get(1)?,
                    modified_at: r.get(2)?,
                })
            })
            .optional()
    })
}

/// Runs `f` with the length limit of `conn` raised to SQLite's maximum, then restores it: for
/// HBF's own statements over app files, which may be larger than an app connection's
/// `sql_limits.length` (`henv::sql_limits`).
pub fn with_length_lifted<T>(
    conn: &Connection,
    f: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let limit = rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH;
    let before = conn.set_limit(limit, i32::MAX)?;
    let result = f();
    conn.set_limit(limit, before)?;
    result
}

/// The hash of a file, without reading its content.
pub fn file_hash(conn: &Connection, path: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT hash FROM _hbf_files WHERE path = ?1")?
        .query_row([path], |r| r.get(0))
        .optional()
}

/// Every file, ordered by path.
pub fn list_files(conn: &Connection) -> rusqlite::Result<Vec<FileMeta>> {
    let mut st =
        conn.prepare_cached("SELECT path, hash, size, modified_at FROM _hbf_files ORDER BY path")?;
    let rows = st.query_map([], |r| {
        Ok(FileMeta {
            path: r.get(0)?,
            hash: r.get(1)?,
            size: r.get::<_, i64>(2)? as u64,
            modified_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Deletes a file; true if it existed.
pub fn delete_file(conn: &Connection, path: &str) -> rusqlite::Result<bool> {
    let deleted = conn
        .prepare_cached("DELETE FROM _hbf_files WHERE path = ?1")?
        .execute([path])?
        > 0;
    if deleted {
        note_code_change(conn, path)?;
    }
    Ok(deleted)
}

/// Bumps the henv's code files version when a file outside `www/` changes: the app's
/// runtimes reload (modules, templates and `fs` reads may depend on any such file).
fn note_code_change(conn: &Connection, path: &str) -> rusqlite::Result<()> {
    if path.starts_with("www/") {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO _hbf_config (key, value, description)
         VALUES ('files_version', '1', 'Bumped when a code file (outside www/) changes')
         ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1, modified_at = unixepoch()",
    )?
    .execute([])?;
    Ok(())
}

/// The henv's code files version (see `note_code_change`); 0 before any change.
pub fn files_version(conn: &Connection) -> i64 {
    conn.prepare_cached(
        "SELECT CAST(value AS INTEGER) FROM _hbf_config WHERE key = 'files_version'",
    )
    .and_then(|mut st| st.query_row([], |r| r.get(0)).optional())
    .ok()
    .flatten()
    .unwrap_or(0)
}

/// Lowercase hex SHA-256 of `bytes` (a file's hash, as stored).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

use crate::util::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_round_trip_with_hash() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::open(&dir.path().join("f.db")).unwrap();
        let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 13, 10]).collect();
        let hash = put_file(&conn, "www/img/x.bin", &bytes).unwrap();
        assert_eq!(hash.len(), 64);
        let f = read_file(&conn, "www/img/x.bin").unwrap().unwrap();
        assert_eq!(f.content, bytes);
        assert_eq!(f.hash, hash);
        let kind: String = conn
            .query_row(
                "SELECT typeof(content) FROM _hbf_files WHERE path = 'www/img/x.bin'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kind, "blob");
        assert_eq!(list_files(&conn).unwrap()[0].size, bytes.len() as u64);
        assert!(delete_file(&conn, "www/img/x.bin").unwrap());
        assert!(read_file(&conn, "www/img/x.bin").unwrap().is_none());
    }

    #[test]
    fn paths_cannot_escape() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/./b",
            "a\\b",
            "a/",
        ] {
            assert!(!valid_file_path(bad), "{bad:?}");
        }
        assert!(valid_file_path("www/index.html"));
    }
}
