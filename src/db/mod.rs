//! A henv's SQLite file: opening with the right pragmas, versioned migrations, app files.
//!
//! Every connection is opened through `open`, which sets WAL, `foreign_keys`, `synchronous`
//! and `busy_timeout` and brings the schema to the current version in one transaction, so a
//! half-migrated file is never observed. Queries elsewhere use `prepare_cached` with bound
//! parameters only.

pub mod authz;
mod files;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use files::{
    delete_file, file_hash, files_version, list_files, put_file, put_file_at, read_file,
    sha256_hex, valid_file_path, with_length_lifted, FileMeta, StoredFile,
};

/// Busy timeout: writers wait for each other instead of failing with SQLITE_BUSY.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Versioned migrations, applied in order, each once.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "document graph, system tables, app files",
        include_str!("schema_v1.sql"),
    ),
    (
        2,
        "secrets, auth settings, authorization version",
        include_str!("schema_v2.sql"),
    ),
    (
        3,
        "documents: ids, content, revisions, index over title and text",
        include_str!("schema_v3.sql"),
    ),
    (4, "admin UI: file history", include_str!("schema_v4.sql")),
];

/// The schema version this build expects.
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// A database problem, with the henv file it concerns where known.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("migration {version} ({description}) failed: {source}")]
    Migration {
        version: u32,
        description: &'static str,
        source: rusqlite::Error,
    },
    #[error("{path} has schema version {found}, newer than this hbf ({expected}); upgrade hbf")]
    TooNew {
        path: String,
        found: u32,
        expected: u32,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Commits made through any henv connection of this process, counted after they are visible.
static WRITE_GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many commits henv connections of this process have made so far. While it is
/// unchanged, a connection that has looked at `PRAGMA data_version` knows that no connection of
/// this process has written since; only other processes' writes still need that check.
pub fn write_generation() -> u64 {
    WRITE_GENERATION.load(Ordering::Acquire)
}

/// `--durability` of this process: henv connections opened from now on use it. Process-wide
/// because every henv file of a process is served with the same promise (0 = NORMAL, 1 = FULL).
static DURABILITY_FULL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets the durability of henv connections opened from now on (`Server::start` calls it).
pub fn set_durability(durability: crate::config::Durability) {
    let full = durability == crate::config::Durability::Full;
    DURABILITY_FULL.store(full, Ordering::Relaxed);
}

/// The `synchronous` pragma value for the current durability.
pub fn synchronous() -> &'static str {
    match DURABILITY_FULL.load(Ordering::Relaxed) {
        true => "FULL",
        false => "NORMAL",
    }
}

/// WAL pages after which a commit checkpoints (SQLite's default auto-checkpoint).
const AUTO_CHECKPOINT_PAGES: i32 = 1000;

/// Opens (creating if needed) a henv database and migrates it to `SCHEMA_VERSION`.
pub fn open(path: &Path) -> Result<Connection, DbError> {
    open_with(path, OpenFlags::SQLITE_OPEN_CREATE)
}

/// Opens an existing henv database (never creating one: a deleted henv stays deleted) and
/// migrates it to `SCHEMA_VERSION`.
pub fn open_existing(path: &Path) -> Result<Connection, DbError> {
    open_with(path, OpenFlags::empty())
}

fn open_with(path: &Path, create: OpenFlags) -> Result<Connection, DbError> {
    let display = path.display().to_string();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | create
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|source| DbError::Open {
        path: display.clone(),
        source,
    })?;
    configure(&mut conn).map_err(|source| DbError::Open {
        path: display.clone(),
        source,
    })?;
    migrate(&mut conn, &display)?;
    Ok(conn)
}

/// Per-connection settings.
fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // The WAL hook runs after each commit is visible (a commit hook runs before, when a
    // reader could still miss it). It replaces SQLite's auto-checkpoint hook, so it
    // checkpoints as that one does.
    conn.wal_hook(Some(|wal: &mut rusqlite::hooks::Wal, pages: i32| {
        WRITE_GENERATION.fetch_add(1, Ordering::AcqRel);
        if pages >= AUTO_CHECKPOINT_PAGES {
            let _ = wal.checkpoint(); // passive, as SQLite's own; a busy reader only defers it
        }
        Ok(())
    }))?;
    conn.pragma_update(None, "synchronous", synchronous())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Sets SQLite's process-wide heap limits, in MiB (0 = none): past `soft` SQLite frees cache
/// memory to get back under it; past `hard` an allocation fails and the statement that asked
/// gets SQLITE_NOMEM (an error, never a crash). Per-connection limits (`henv::sql_limits`)
/// bound one statement; this bounds all connections together. App SQL cannot change either:
/// the isolation authorizer refuses both pragmas.
pub fn set_heap_limits(soft_mb: u64, hard_mb: u64) -> rusqlite::Result<()> {
    let conn = Connection::open_in_memory()?;
    let bytes = |mb: u64| i64::try_from(mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX);
    // (hard first: SQLite caps the soft limit at the hard one)
    conn.pragma_update(None, "hard_heap_limit", bytes(hard_mb))?;
    conn.pragma_update(None, "soft_heap_limit", bytes(soft_mb))?;
    Ok(())
}

/// Applies pending migrations in one IMMEDIATE transaction (so two processes opening a new
/// file at once cannot both migrate it). Returns the resulting version.
pub fn migrate(conn: &mut Connection, path: &str) -> Result<u32, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS _hbf_schema_version (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL DEFAULT (unixepoch()),
            description TEXT)",
    )?;
    let current: u32 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _hbf_schema_version",
        [],
        |r| r.get(0),
    )?;
    if current > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            path: path.to_owned(),
            found: current,
            expected: SCHEMA_VERSION,
        });
    }
    for &(version, description, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        tx.execute_batch(sql).map_err(|source| DbError::Migration {
            version,
            description,
            source,
        })?;
        if version == 2 {
            // The per-henv JWT signing key: 32 bytes from the OS CSPRNG, never from SQL.
            tx.execute(
                "INSERT INTO _hbf_secrets (name, value) VALUES ('jwt_hs256', ?1)",
                [crate::auth::session::random_bytes(32)],
            )?;
        }
        tx.execute(
            "INSERT INTO _hbf_schema_version (version, description) VALUES (?1, ?2)",
            rusqlite::params![version, description],
        )?;
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db")).unwrap();
        (dir, conn)
    }

    #[test]
    fn migrations_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(open(&path).unwrap());
        let mut conn = open(&path).unwrap();
        assert_eq!(migrate(&mut conn, "t").unwrap(), SCHEMA_VERSION);
        let n: u32 = conn
            .query_row("SELECT COUNT(*) FROM _hbf_schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as u32);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = open(&path).unwrap();
        conn.execute("INSERT INTO _hbf_schema_version (version) VALUES (999)", [])
            .unwrap();
        drop(conn);
        assert!(matches!(
            open(&path),
            Err(DbError::TooNew { found: 999, .. })
        ));
    }

    #[test]
    fn fts_follows_inserts_updates_and_deletes() {
        let (_dir, conn) = temp_db();
        let search = |q: &str| -> Vec<i64> {
            let mut st = conn
                .prepare("SELECT rowid FROM nodes_fts WHERE nodes_fts MATCH ?1 ORDER BY rowid")
                .unwrap();
            st.query_map([q], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        conn.execute(
            "INSERT INTO nodes (type, body, search_text) VALUES ('doc', '{}', 'running foxes')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO nodes (type, body, search_text) VALUES ('doc', '{}', 'sleeping cats')",
            [],
        )
        .unwrap();
        assert_eq!(search("run"), vec![1], "porter stemming");
        conn.execute(
            "UPDATE nodes SET search_text = 'running cats' WHERE id = 2",
            [],
        )
        .unwrap();
        assert_eq!(search("cat"), vec![2]);
        assert_eq!(search("sleeping"), Vec::<i64>::new());
        conn.execute("DELETE FROM nodes WHERE id = 1", []).unwrap();
        assert_eq!(search("run"), vec![2]);
        conn.execute(
            "INSERT INTO nodes_fts(nodes_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
    }

    #[test]
    fn default_config_is_present() {
        let (_dir, conn) = temp_db();
        let v: String = conn
            .query_row(
                "SELECT value FROM _hbf_config WHERE key = 'qjs_timeout_ms'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, "5000");
    }
}
