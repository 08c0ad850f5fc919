//! `hbf backup`: consistent online copies of henv files while `hbf serve` writes to them.
//!
//! Each henv is copied with SQLite's online backup API from a connection of this process: the
//! copy is one consistent snapshot (the API restarts a copy that a writer of another process
//! changed mid-way; after a few restarts the rest is copied in one step, inside one read
//! transaction, which in WAL mode never blocks the writers). The copy is made a self-contained
//! rollback-journal file, checked with `PRAGMA integrity_check`, fsynced, renamed into place,
//! and hashed (SHA-256) into `manifest.json`, which is written last.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::manifest::{sha256_file, sync_dir, Manifest, ManifestEntry, MANIFEST_FILE};
use super::{integrity_check, io_err, sql_err, OpsError, Progress};
use crate::henv::{store, HenvEntry, Registry};

/// Pages copied per backup step (progress granularity; 4 MiB at SQLite's 4 KiB pages).
const PAGES_PER_STEP: i32 = 1024;
/// Restarts (caused by concurrent writers) after which the rest is copied in one step.
const MAX_RESTARTS: u32 = 3;

/// Which henvs to back up.
#[derive(Clone, Debug)]
pub enum Selection {
    /// One henv: hostname, custom domain or hash.
    Host(String),
    /// Every registered henv.
    All,
}

/// What `backup` copies where.
#[derive(Clone, Debug)]
pub struct BackupOptions {
    pub storage_dir: PathBuf,
    pub dest: PathBuf,
    pub selection: Selection,
}

/// Copies the selected henvs into `opts.dest` (created 0700; must not hold a backup yet) and
/// writes the manifest. Registered henvs without a file yet are skipped.
pub fn backup(opts: &BackupOptions, progress: &mut dyn Progress) -> Result<Manifest, OpsError> {
    let registry = Registry::open(&opts.storage_dir)?;
    let entries: Vec<HenvEntry> = match &opts.selection {
        Selection::All => registry.list()?,
        Selection::Host(name) => {
            vec![registry.get(name)?.ok_or_else(|| OpsError::UnknownHenv {
                name: name.clone(),
                where_: format!("the registry of {}", opts.storage_dir.display()),
            })?]
        }
    };
    drop(registry);
    if opts.dest.join(MANIFEST_FILE).exists() {
        return Err(OpsError::Invalid(format!(
            "{} already holds a backup (manifest.json); choose an empty directory",
            opts.dest.display()
        )));
    }
    store::ensure_private_dir(&opts.dest).map_err(io_err(&opts.dest))?;
    let mut manifest = Manifest::new();
    for entry in entries {
        let src = store::hash_path(&opts.storage_dir, &entry.hash);
        if !src.exists() {
            continue;
        }
        let file = format!("{}.db", entry.hash);
        let dst = opts.dest.join(&file);
        progress.start(&entry.hostname, 0);
        copy_henv(&src, &dst, progress)?;
        let (sha256, bytes) = sha256_file(&dst)?;
        progress.finish(&format!("{} ok", entry.hostname));
        manifest.henvs.push(ManifestEntry {
            hostname: entry.hostname,
            hash: entry.hash,
            owner: entry.owner,
            domains: entry.domains,
            file,
            bytes,
            sha256,
        });
    }
    manifest.write(&opts.dest)?;
    Ok(manifest)
}

/// Copies the live database `src` to the new file `dst` (through `dst.partial`): consistent,
/// checked, durable.
pub fn copy_henv(src: &Path, dst: &Path, progress: &mut dyn Progress) -> Result<(), OpsError> {
    let partial = dst.with_extension("db.partial");
    let _ = std::fs::remove_file(&partial);
    store::ensure_private_file(&partial).map_err(io_err(&partial))?;
    {
        let source = open_source(src)?;
        let mut target = Connection::open(&partial).map_err(sql_err(&partial))?;
        copy_pages(&source, &mut target, src, progress)?;
        // A backup is one self-contained file: no -wal/-shm beside it.
        target
            .pragma_update(None, "journal_mode", "DELETE")
            .map_err(sql_err(&partial))?;
        integrity_check(&target, &partial)?;
    }
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&partial))?;
    std::fs::rename(&partial, dst).map_err(io_err(dst))?;
    if let Some(dir) = dst.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// A connection to a henv file for reading it (never creating it, no migrations).
pub(crate) fn open_source(path: &Path) -> Result<Connection, OpsError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql_err(path))?;
    conn.busy_timeout(crate::db::BUSY_TIMEOUT)
        .map_err(sql_err(path))?;
    Ok(conn)
}

/// Runs the online backup from `source` into `target`, reporting pages to `progress`.
pub(crate) fn copy_pages(
    source: &Connection,
    target: &mut Connection,
    label: &Path,
    progress: &mut dyn Progress,
) -> Result<(), OpsError> {
    let backup = Backup::new(source, target).map_err(sql_err(label))?;
    let mut restarts = 0;
    let mut last_remaining = i32::MAX;
    let mut waited = Duration::ZERO;
    loop {
        let pages = match restarts >= MAX_RESTARTS {
            true => -1,
            false => PAGES_PER_STEP,
        };
        match backup.step(pages).map_err(sql_err(label))? {
            StepResult::Done => break,
            StepResult::More => waited = Duration::ZERO,
            _ => {
                // Busy or locked: another connection holds a lock the copy needs.
                if waited >= crate::db::BUSY_TIMEOUT {
                    return Err(OpsError::Invalid(format!(
                        "{}: stayed locked for {} s; retry when it is less busy",
                        label.display(),
                        waited.as_secs()
                    )));
                }
                std::thread::sleep(Duration::from_millis(5));
                waited += Duration::from_millis(5);
            }
        }
        let p = backup.progress();
        if p.remaining > last_remaining {
            restarts += 1; // a writer changed the source: the copy started over
        }
        last_remaining = p.remaining;
        let total = u64::try_from(p.pagecount).unwrap_or(0);
        let left = u64::try_from(p.remaining).unwrap_or(0);
        progress.advance(total.saturating_sub(left), total);
    }
    Ok(())
}
