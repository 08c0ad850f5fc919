//! Henvs: one app = one SQLite file chosen by hostname. Naming, static assets, the file
//! operations behind `hbf init`, `hbf import` and `hbf export`, and multi-tenancy: the
//! registry (`registry`), routing (`router`), the connection budget (`budget`), isolation of
//! app SQL (`isolation`), lifecycle and inactivity sweep (`lifecycle`), signup (`signup`) and
//! their use on the worker threads (`tenancy`).

pub mod assets;
pub mod budget;
pub mod import;
pub mod isolation;
pub mod lifecycle;
mod name;
pub mod registry;
pub mod router;
pub mod settings;
pub mod signup;
pub mod sql_limits;
pub mod store;
pub mod tenancy;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use name::{dns_safe_hash, normalize_hostname, HostnameError, HASH_LEN};
pub use registry::{HenvEntry, Registry, RegistryError};
pub use router::{Route, RouteError};
pub use settings::{HenvSettings, Isolation};
pub use tenancy::{Residency, Resident, Tenancy, TenancyConfig, WorkerTenancy};

use crate::db;

/// The starter app `hbf init` installs: (path in henv, content).
pub const STARTER_FILES: &[(&str, &[u8])] = &[
    (
        "server.js",
        include_bytes!("../../examples/starter/server.js"),
    ),
    (
        "www/index.html",
        include_bytes!("../../examples/starter/www/index.html"),
    ),
    (
        "www/style.css",
        include_bytes!("../../examples/starter/www/style.css"),
    ),
    (
        "www/app.js",
        include_bytes!("../../examples/starter/www/app.js"),
    ),
    (
        "views/notes.ejs",
        include_bytes!("../../examples/starter/views/notes.ejs"),
    ),
    (
        "views/partials/header.ejs",
        include_bytes!("../../examples/starter/views/partials/header.ejs"),
    ),
    (
        "views/partials/footer.ejs",
        include_bytes!("../../examples/starter/views/partials/footer.ejs"),
    ),
];

/// `{storage_dir}/{hash}.db` for a normalised hostname.
pub fn henv_path(storage_dir: &Path, hostname: &str) -> PathBuf {
    storage_dir.join(format!("{}.db", dns_safe_hash(hostname)))
}

/// A henv file operation that failed, naming what it was working on.
#[derive(Debug, thiserror::Error)]
pub enum HenvError {
    #[error(transparent)]
    Hostname(#[from] HostnameError),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{0}: not a valid app file path (use relative paths without '..')")]
    BadPath(String),
    #[error("{path}: a symbolic link to {target}, outside the imported directory; refusing to import it (copy the file in instead)")]
    SymlinkEscapes { path: String, target: String },
    #[error("the files to import exceed {limit_mb} MiB (raise --max_import_mb, or leave out what the app does not need)")]
    TooLarge { limit_mb: u64 },
}

/// Opens (creating and migrating) the henv of `hostname`, with files 0600 (the file is
/// created 0600 before SQLite opens it, so its `-wal` and `-shm` files are private too) in a
/// storage directory created 0700. Does not register the hostname (see `Registry`).
pub fn open_henv(storage_dir: &Path, hostname: &str) -> Result<(Connection, PathBuf), HenvError> {
    let host = normalize_hostname(hostname)?;
    let path = henv_path(storage_dir, &host);
    let io = |source| HenvError::Io {
        path: path.display().to_string(),
        source,
    };
    store::ensure_private_dir(storage_dir).map_err(io)?;
    store::ensure_private_file(&path).map_err(io)?;
    let conn = db::open(&path)?;
    store::ensure_private_file(&path).map_err(io)?;
    Ok((conn, path))
}

/// Writes the starter app's files into a henv (only those not present yet).
pub fn install_starter(conn: &Connection) -> Result<usize, HenvError> {
    let mut written = 0;
    for (path, content) in STARTER_FILES {
        let exists = db::file_hash(conn, path).map_err(|source| HenvError::Sqlite {
            path: (*path).into(),
            source,
        })?;
        if exists.is_none() {
            db::put_file(conn, path, content).map_err(|source| HenvError::Sqlite {
                path: (*path).into(),
                source,
            })?;
            written += 1;
        }
    }
    Ok(written)
}

/// Loads the tree `dir` into the henv in one transaction (see `import::import_tree`, which
/// also says what it left out). With `prune`, henv files absent from `dir` are deleted.
/// Returns (written, deleted).
pub fn import_dir(
    conn: &mut Connection,
    dir: &Path,
    prune: bool,
) -> Result<(usize, usize), HenvError> {
    let options = import::ImportOptions {
        prune,
        ..Default::default()
    };
    let report = import::import_tree(conn, dir, &options, &mut |_, _| {})?;
    Ok((report.files, report.deleted))
}

/// Writes every henv file under `dir` (creating directories). Returns the count.
pub fn export_dir(conn: &Connection, dir: &Path) -> Result<usize, HenvError> {
    let files = db::list_files(conn).map_err(|source| HenvError::Sqlite {
        path: "files".into(),
        source,
    })?;
    for meta in &files {
        let file = db::read_file(conn, &meta.path)
            .map_err(|source| HenvError::Sqlite {
                path: meta.path.clone(),
                source,
            })?
            .ok_or_else(|| HenvError::BadPath(meta.path.clone()))?;
        let target = dir.join(&meta.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| HenvError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&target, &file.content).map_err(|source| HenvError::Io {
            path: target.display().to_string(),
            source,
        })?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_export_round_trip_is_byte_exact() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("www/img")).unwrap();
        std::fs::write(src.path().join("server.js"), "module.exports = 1;\n").unwrap();
        let binary: Vec<u8> = (0..=255).collect();
        std::fs::write(src.path().join("www/img/logo.bin"), &binary).unwrap();
        std::fs::write(src.path().join(".hidden"), "x").unwrap();
        let store = tempfile::tempdir().unwrap();
        let (mut conn, _) = open_henv(store.path(), "myapp").unwrap();
        assert_eq!(import_dir(&mut conn, src.path(), false).unwrap(), (2, 0));
        let out = tempfile::tempdir().unwrap();
        assert_eq!(export_dir(&conn, out.path()).unwrap(), 2);
        assert_eq!(
            std::fs::read(out.path().join("www/img/logo.bin")).unwrap(),
            binary
        );
        assert_eq!(
            std::fs::read_to_string(out.path().join("server.js")).unwrap(),
            "module.exports = 1;\n"
        );
        std::fs::remove_file(src.path().join("www/img/logo.bin")).unwrap();
        assert_eq!(import_dir(&mut conn, src.path(), true).unwrap(), (1, 1));
    }

    #[test]
    fn henv_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let store = tempfile::tempdir().unwrap();
        let (_conn, path) = open_henv(store.path(), "localhost").unwrap();
        assert!(path.ends_with("w8f5ws4j.db"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        for side in store::side_files(&path) {
            assert!(side.exists(), "{}", side.display());
            assert_eq!(mode(&side), 0o600, "{}", side.display());
        }
    }
}
