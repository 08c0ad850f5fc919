//! `hbf henv move`: hands a henv from one node's storage directory to another's without
//! losing an acknowledged write.
//!
//! 1. **Bulk copy** while the source keeps serving: the online backup API into
//!    `{to}/{hash}.db.partial` (not yet registered there, so the destination does not serve it).
//! 2. **Drain**: the henv is unregistered from the source registry. The source server reloads
//!    its routes within about a second and from then on answers its hostnames with 404 (the
//!    `{hash}.{base_domain}` name too: hash routes come from the registry as well); requests
//!    already running finish within their deadline. `drain` waits for both.
//! 3. **Final sync** under the source's write lock (`BEGIN IMMEDIATE`: no transaction of
//!    anyone is open or can start): the backup API again, now copying the final state.
//! 4. **Switch**: the copy is checked (`integrity_check`), renamed to `{to}/{hash}.db` and
//!    registered in the destination registry with its owner and custom domains; the
//!    destination server serves it within about a second. Point the proxy at it (with nginx
//!    `hash $host consistent` the ring already does when the node set changed).
//! 5. **Retire**: the source files go to the source's `trash/`.
//!
//! Guarantee: every write the source acknowledged before the drain ended is in the
//! destination; during the drain (step 2 to 4, a few seconds) the henv answers 404 on the
//! source and is not yet served on the destination. A write that would still reach the old
//! file afterwards (a client bypassing the registry) is detected: the old file's
//! `data_version` is watched for one more drain period and a change is an error naming the
//! trashed file, for a manual merge.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::backup::{copy_henv, copy_pages, open_source};
use super::manifest::ManifestEntry;
use super::{integrity_check, io_err, sql_err, OpsError, Progress};
use crate::henv::{store, Registry};

/// What `move_henv` moves where.
#[derive(Clone, Debug)]
pub struct MoveOptions {
    /// Hostname, custom domain or hash of the henv.
    pub host: String,
    /// The source node's storage directory.
    pub from: PathBuf,
    /// The destination node's storage directory.
    pub to: PathBuf,
    /// How long to wait after unregistering before the final sync: the source's route reload
    /// (about 1 s) plus its request deadline (`--qjs_timeout_ms`, 5 s by default).
    pub drain: Duration,
}

/// Where a moved henv ended up.
#[derive(Debug)]
pub struct Moved {
    pub entry: ManifestEntry,
    pub path: PathBuf,
    pub trashed: PathBuf,
}

/// Moves one henv; see the module docs for the steps and the guarantee.
pub fn move_henv(opts: &MoveOptions, progress: &mut dyn Progress) -> Result<Moved, OpsError> {
    let mut src_registry = Registry::open(&opts.from)?;
    let entry = src_registry
        .get(&opts.host)?
        .ok_or_else(|| OpsError::UnknownHenv {
            name: opts.host.clone(),
            where_: format!("the registry of {}", opts.from.display()),
        })?;
    let src = store::hash_path(&opts.from, &entry.hash);
    let dst = store::hash_path(&opts.to, &entry.hash);
    store::ensure_private_dir(&opts.to).map_err(io_err(&opts.to))?;
    let mut dst_registry = Registry::open(&opts.to)?;
    if dst.exists() || dst_registry.get(&entry.hostname)?.is_some() {
        return Err(OpsError::WouldClobber {
            host: entry.hostname,
            path: dst,
        });
    }
    let partial = dst.with_extension("db.partial");
    // 1. bulk copy, online
    progress.start(&format!("{} (copy)", entry.hostname), 0);
    copy_henv(&src, &partial, progress)?;
    progress.finish("copied");
    // 2. drain
    src_registry.remove(&entry.hash)?;
    std::thread::sleep(opts.drain);
    // 3. final sync under the source's write lock, held by a second connection (a backup
    //    cannot read from a connection that is itself in a write transaction)
    let locker = open_source(&src)?;
    locker
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(sql_err(&src))?;
    let source = open_source(&src)?;
    {
        let mut target = Connection::open(&partial).map_err(sql_err(&partial))?;
        progress.start(&format!("{} (final)", entry.hostname), 0);
        copy_pages(&source, &mut target, &src, progress)?;
        target
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql_err(&partial))?;
        integrity_check(&target, &partial)?;
        progress.finish("synced");
    }
    // 4. switch
    std::fs::rename(&partial, &dst).map_err(io_err(&dst))?;
    store::ensure_private_file(&dst).map_err(io_err(&dst))?;
    super::restore::register_entry(
        &mut dst_registry,
        &entry.hostname,
        &entry.hash,
        entry.owner.as_deref(),
        &entry.domains,
    )?;
    // 5. retire, then watch the old file for late writers
    let trashed = store::move_to_trash(&opts.from, &src, &entry.hash).map_err(io_err(&src))?;
    let before = data_version(&source, &trashed)?;
    locker
        .execute_batch("ROLLBACK")
        .map_err(sql_err(&trashed))?;
    drop(locker);
    std::thread::sleep(opts.drain);
    if data_version(&source, &trashed)? != before {
        return Err(OpsError::Invalid(format!(
            "a write reached the old copy of {} after the move; it is in {}: merge it by hand",
            entry.hostname,
            trashed.display()
        )));
    }
    let (sha256, bytes) = super::manifest::sha256_file(&dst)?;
    Ok(Moved {
        entry: ManifestEntry {
            file: format!("{}.db", entry.hash),
            hostname: entry.hostname,
            hash: entry.hash,
            owner: entry.owner,
            domains: entry.domains,
            bytes,
            sha256,
        },
        path: dst,
        trashed,
    })
}

fn data_version(conn: &Connection, path: &Path) -> Result<i64, OpsError> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(sql_err(path))
}
