//! Operator tools that work on a storage directory while `hbf serve` runs: consistent online
//! backups with a checksum manifest (`backup`), restore into place with the registry entry
//! (`restore`), and handing a henv to another node (`moves`). Not the HTTP server: these run
//! in the CLI process, next to a live server, and rely on SQLite's own locking (the online
//! backup API) for consistency.

pub mod backup;
pub mod cli;
pub mod manifest;
pub mod moves;
pub mod progress;
pub mod restore;

use std::path::PathBuf;

pub use backup::{backup, BackupOptions, Selection};
pub use manifest::{Manifest, ManifestEntry};
pub use moves::{move_henv, MoveOptions, Moved};
pub use progress::{NoProgress, Progress, TermProgress};
pub use restore::{restore, RestoreOptions};

/// Why a backup or restore failed. `Display` names the henv or file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Registry(#[from] crate::henv::RegistryError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no henv {name:?} in {where_}")]
    UnknownHenv { name: String, where_: String },
    #[error("{path}: integrity check failed: {detail}")]
    Integrity { path: PathBuf, detail: String },
    #[error(
        "{path}: checksum mismatch (manifest {expected}, file {actual}); the backup is damaged"
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: not an hbf backup manifest: {detail}")]
    Manifest { path: PathBuf, detail: String },
    #[error(
        "henv {host} ({path}) exists in the destination; pass --force to overwrite it \
         (a running server sees the restored data within a second)"
    )]
    WouldClobber { host: String, path: PathBuf },
    #[error("{0}")]
    Invalid(String),
}

/// `map_err` helper: an I/O error about `path`.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> OpsError {
    let path = path.into();
    move |source| OpsError::Io { path, source }
}

/// `map_err` helper: a SQLite error about `path`.
pub(crate) fn sql_err(path: impl Into<PathBuf>) -> impl FnOnce(rusqlite::Error) -> OpsError {
    let path = path.into();
    move |source| OpsError::Sqlite { path, source }
}

/// `PRAGMA integrity_check` of an open database; `Ok` only for `ok`.
pub(crate) fn integrity_check(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
) -> Result<(), OpsError> {
    let mut st = conn
        .prepare("PRAGMA integrity_check")
        .map_err(sql_err(path))?;
    let rows: Vec<String> = st
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(sql_err(path))?;
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(());
    }
    Err(OpsError::Integrity {
        path: path.to_owned(),
        detail: rows.join("; "),
    })
}
