//! `hbf restore`: puts a henv from a backup directory back into a storage directory, with its
//! registry entry (hostname, owner, custom domains).
//!
//! The backup file is verified first (SHA-256 against the manifest, then `PRAGMA
//! integrity_check`). The data goes in through SQLite's backup API into a connection on the
//! destination file, in one write transaction: a server that has the henv open sees the old
//! content or the new, never a mix, and notices the change by itself (`data_version`). A henv
//! that exists in the destination is only overwritten with `force`. SRC may also be a single
//! SQLite file (a Litestream point-in-time restore): it becomes the henv named by `host`.

use std::path::PathBuf;

use rusqlite::{Connection, OpenFlags};

use super::backup::copy_pages;
use super::manifest::{sha256_file, Manifest, ManifestEntry};
use super::{integrity_check, sql_err, OpsError, Progress};
use crate::henv::{store, Registry, RegistryError};

/// What `restore` puts where.
#[derive(Clone, Debug)]
pub struct RestoreOptions {
    /// The backup directory (with `manifest.json`).
    pub src: PathBuf,
    pub storage_dir: PathBuf,
    /// The henv to restore (hostname, custom domain or hash); `None` for every henv.
    pub host: Option<String>,
    /// Overwrite henvs that exist in the destination.
    pub force: bool,
}

/// Restores the selected henvs; returns the entries restored.
pub fn restore(
    opts: &RestoreOptions,
    progress: &mut dyn Progress,
) -> Result<Vec<ManifestEntry>, OpsError> {
    if opts.src.is_file() {
        return restore_file(opts, progress);
    }
    let manifest = Manifest::read(&opts.src)?;
    let entries: Vec<ManifestEntry> = match &opts.host {
        Some(name) => vec![manifest
            .find(name)
            .cloned()
            .ok_or_else(|| OpsError::UnknownHenv {
                name: name.clone(),
                where_: format!("the backup {}", opts.src.display()),
            })?],
        None => manifest.henvs.clone(),
    };
    // Verify everything before touching the destination.
    for e in &entries {
        verify(opts, e)?;
    }
    restore_entries(opts, &opts.src, entries, progress)
}

/// SRC is one SQLite file (a Litestream point-in-time restore, a copy): restores it as the
/// henv of `--host`. There is no manifest, so only its integrity is checked.
fn restore_file(
    opts: &RestoreOptions,
    progress: &mut dyn Progress,
) -> Result<Vec<ManifestEntry>, OpsError> {
    let Some(name) = &opts.host else {
        return Err(OpsError::Invalid(format!(
            "{} is a single database file: name the henv it becomes with --host",
            opts.src.display()
        )));
    };
    let host = crate::henv::normalize_hostname(name).map_err(|source| {
        OpsError::Registry(RegistryError::Hostname {
            host: name.clone(),
            source,
        })
    })?;
    let dir = opts.src.parent().unwrap_or(std::path::Path::new("."));
    let file = opts
        .src
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| OpsError::Invalid(format!("{}: not a file name", opts.src.display())))?;
    let (sha256, bytes) = sha256_file(&opts.src)?;
    let conn = Connection::open_with_flags(&opts.src, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sql_err(&opts.src))?;
    integrity_check(&conn, &opts.src)?;
    drop(conn);
    let owner = Registry::open(&opts.storage_dir)
        .ok()
        .and_then(|r| r.get(&host).ok().flatten())
        .and_then(|e| e.owner);
    let entry = ManifestEntry {
        hash: crate::henv::dns_safe_hash(&host),
        hostname: host,
        owner,
        domains: Vec::new(),
        file: file.to_owned(),
        bytes,
        sha256,
    };
    restore_entries(opts, dir, vec![entry], progress)
}

/// Registers and copies verified entries whose files are in `dir`.
fn restore_entries(
    opts: &RestoreOptions,
    dir: &std::path::Path,
    entries: Vec<ManifestEntry>,
    progress: &mut dyn Progress,
) -> Result<Vec<ManifestEntry>, OpsError> {
    store::ensure_private_dir(&opts.storage_dir).map_err(super::io_err(&opts.storage_dir))?;
    let mut registry = Registry::open(&opts.storage_dir)?;
    for e in &entries {
        let dst = store::hash_path(&opts.storage_dir, &e.hash);
        let live = dst.exists() || registry.get(&e.hostname)?.is_some();
        if live && !opts.force {
            return Err(OpsError::WouldClobber {
                host: e.hostname.clone(),
                path: dst,
            });
        }
    }
    for e in &entries {
        register(&mut registry, e)?;
        let src = dir.join(&e.file);
        let dst = store::hash_path(&opts.storage_dir, &e.hash);
        progress.start(&e.hostname, 0);
        store::ensure_private_file(&dst).map_err(super::io_err(&dst))?;
        let source = Connection::open_with_flags(&src, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sql_err(&src))?;
        let mut target = Connection::open(&dst).map_err(sql_err(&dst))?;
        target
            .busy_timeout(crate::db::BUSY_TIMEOUT)
            .map_err(sql_err(&dst))?;
        copy_pages(&source, &mut target, &src, progress)?;
        // The copy carries the backup's rollback-journal mode; henv files are WAL.
        target
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql_err(&dst))?;
        integrity_check(&target, &dst)?;
        drop(target);
        store::ensure_private_file(&dst).map_err(super::io_err(&dst))?;
        progress.finish(&format!("{} restored", e.hostname));
    }
    Ok(entries)
}

/// Checksum, then integrity, of one backup file.
fn verify(opts: &RestoreOptions, e: &ManifestEntry) -> Result<(), OpsError> {
    let src = opts.src.join(&e.file);
    if e.file.contains('/') || e.file.contains("..") {
        return Err(OpsError::Manifest {
            path: opts.src.join(super::manifest::MANIFEST_FILE),
            detail: format!("file name {:?} is not a plain name", e.file),
        });
    }
    let (actual, _) = sha256_file(&src)?;
    if actual != e.sha256 {
        return Err(OpsError::Checksum {
            path: src,
            expected: e.sha256.clone(),
            actual,
        });
    }
    let conn = Connection::open_with_flags(&src, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sql_err(&src))?;
    integrity_check(&conn, &src)
}

/// Creates or completes the registry entry of `e`: hostname, owner, custom domains.
fn register(registry: &mut Registry, e: &ManifestEntry) -> Result<(), OpsError> {
    register_entry(
        registry,
        &e.hostname,
        &e.hash,
        e.owner.as_deref(),
        &e.domains,
    )
}

/// Creates (if missing) the registry entry of a henv and routes its custom domains to it; a
/// domain already routed to the same henv is fine.
pub(crate) fn register_entry(
    registry: &mut Registry,
    hostname: &str,
    hash: &str,
    owner: Option<&str>,
    domains: &[String],
) -> Result<(), OpsError> {
    if registry.get(hostname)?.is_none() {
        registry.create(hostname, owner)?;
    }
    for d in domains {
        match registry.add_domain(hostname, d) {
            Ok(_) => {}
            Err(RegistryError::NameTaken { hash: routed, .. }) if routed == hash => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}
