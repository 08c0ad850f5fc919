//! A henv's life: creation (registry row, private file, starter app, owner), deletion (to the
//! trash folder, or purged), and the inactivity sweep (warn, then delete).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::registry::{HenvEntry, Registry, RegistryError};
use super::{install_starter, normalize_hostname, store, HenvError};
use crate::db;

/// A lifecycle operation that failed. Messages name the host or file.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Henv(#[from] HenvError),
    #[error(
        "{path} exists but is not registered to {host:?}; refusing to overwrite it \
         (`hbf init --host {host}` adopts an existing file)"
    )]
    FileExists { host: String, path: String },
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
    #[error("--warn-command for {host:?}: {reason}")]
    WarnCommand { host: String, reason: String },
}

impl LifecycleError {
    /// The HTTP status when a client request caused it.
    pub fn status(&self) -> u16 {
        match self {
            LifecycleError::Registry(e) => e.status(),
            LifecycleError::FileExists { .. } => 409,
            _ => 500,
        }
    }
}

/// Creates a henv for `host`: registers it (refusing taken names and hash collisions), creates
/// `{hash}.db` (0600) with the schema and the starter app, then runs `seed` on it (e.g. to
/// add the owner account). Any failure after registration undoes it. Never overwrites a file.
pub fn create_henv(
    storage_dir: &Path,
    registry: &mut Registry,
    host: &str,
    owner: Option<&str>,
    seed: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<HenvEntry, LifecycleError> {
    let entry = registry.create(host, owner)?;
    let path = store::hash_path(storage_dir, &entry.hash);
    let undo = |registry: &mut Registry, remove_file: bool| {
        let _ = registry.remove(&entry.hostname);
        if remove_file {
            let _ = store::remove_files(&path);
        }
    };
    if path.exists() {
        undo(registry, false);
        return Err(LifecycleError::FileExists {
            host: entry.hostname.clone(),
            path: path.display().to_string(),
        });
    }
    let result = (|| -> Result<(), LifecycleError> {
        let (conn, _) = super::open_henv(storage_dir, &entry.hostname)?;
        install_starter(&conn)?;
        seed(&conn).map_err(|source| LifecycleError::Sqlite {
            path: path.display().to_string(),
            source,
        })?;
        drop(conn);
        store::ensure_private_file(&path).map_err(|source| LifecycleError::Io {
            path: path.display().to_string(),
            source,
        })
    })();
    match result {
        Ok(()) => Ok(entry),
        Err(e) => {
            undo(registry, true);
            Err(e)
        }
    }
}

/// Where a deleted henv's file went.
#[derive(Debug)]
pub enum Removed {
    Trash(PathBuf),
    Purged,
}

/// Unregisters the henv that `name` (hostname, custom domain or hash) names and moves its file
/// and WAL files to `{storage_dir}/trash/` (or removes them with `purge`).
pub fn delete_henv(
    storage_dir: &Path,
    registry: &mut Registry,
    name: &str,
    purge: bool,
) -> Result<(HenvEntry, Removed), LifecycleError> {
    let entry = registry
        .get(name)?
        .ok_or_else(|| RegistryError::UnknownHost { host: name.into() })?;
    let path = store::hash_path(storage_dir, &entry.hash);
    // Fold the WAL into the main file first, so the moved file stands on its own.
    if path.exists() {
        if let Ok(conn) = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ) {
            let _ = conn.busy_timeout(db::BUSY_TIMEOUT);
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
    registry.remove(&entry.hostname)?;
    let io = |source| LifecycleError::Io {
        path: path.display().to_string(),
        source,
    };
    let removed = if !path.exists() {
        Removed::Purged
    } else if purge {
        store::remove_files(&path).map_err(io)?;
        Removed::Purged
    } else {
        Removed::Trash(store::move_to_trash(storage_dir, &path, &entry.hash).map_err(io)?)
    };
    Ok((entry, removed))
}

/// Parses `30d`, `12h`, `45m`, `90s`, `2w` (a bare number is days).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit (s, m, h, d, w)"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "" | "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use s, m, h, d or w)"
            ))
        }
    };
    Ok(Duration::from_secs(n.saturating_mul(unit_secs)))
}

/// What the sweep does to one henv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepAction {
    Warn,
    Delete,
}

/// One line of a sweep report.
#[derive(Debug)]
pub struct SweepItem {
    pub entry: HenvEntry,
    pub action: SweepAction,
    pub inactive: Duration,
    /// Where the file went (deletions that ran).
    pub removed: Option<Removed>,
    /// A failure applying the action (the sweep goes on with the next henv).
    pub error: Option<String>,
}

/// Sweep policy.
#[derive(Clone, Debug)]
pub struct SweepPolicy {
    pub warn_after: Duration,
    pub delete_after: Duration,
    pub dry_run: bool,
    /// Shell command run per warned henv with `HBF_HENV_HOST`, `HBF_HENV_HASH`,
    /// `HBF_HENV_OWNER`, `HBF_HENV_INACTIVE_DAYS` set.
    pub warn_command: Option<String>,
}

/// Warns henvs inactive for `warn_after` (once per period of inactivity) and moves those
/// inactive for `delete_after` to the trash. With `dry_run`, only reports.
pub fn sweep(
    storage_dir: &Path,
    registry: &mut Registry,
    policy: &SweepPolicy,
    now: i64,
) -> Result<Vec<SweepItem>, LifecycleError> {
    let mut report = Vec::new();
    for entry in registry.list()? {
        let inactive =
            Duration::from_secs(now.saturating_sub(entry.last_activity_ts).max(0) as u64);
        let already_warned = entry.warned_at.is_some_and(|w| w >= entry.last_activity_ts);
        let action = if inactive >= policy.delete_after {
            SweepAction::Delete
        } else if inactive >= policy.warn_after && !already_warned {
            SweepAction::Warn
        } else {
            continue;
        };
        let mut item = SweepItem {
            entry,
            action,
            inactive,
            removed: None,
            error: None,
        };
        if !policy.dry_run {
            match action {
                SweepAction::Warn => {
                    let run = match &policy.warn_command {
                        Some(cmd) => run_warn_command(cmd, &item.entry, inactive),
                        None => Ok(()),
                    };
                    match run {
                        Ok(()) => registry.set_warned(&item.entry.hash, now)?,
                        Err(e) => item.error = Some(e.to_string()),
                    }
                }
                SweepAction::Delete => {
                    match delete_henv(storage_dir, registry, &item.entry.hostname, false) {
                        Ok((_, removed)) => item.removed = Some(removed),
                        Err(e) => item.error = Some(e.to_string()),
                    }
                }
            }
        }
        report.push(item);
    }
    Ok(report)
}

fn run_warn_command(
    cmd: &str,
    entry: &HenvEntry,
    inactive: Duration,
) -> Result<(), LifecycleError> {
    let fail = |reason: String| LifecycleError::WarnCommand {
        host: entry.hostname.clone(),
        reason,
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("HBF_HENV_HOST", &entry.hostname)
        .env("HBF_HENV_HASH", &entry.hash)
        .env("HBF_HENV_OWNER", entry.owner.as_deref().unwrap_or(""))
        .env(
            "HBF_HENV_INACTIVE_DAYS",
            (inactive.as_secs() / 86_400).to_string(),
        )
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| fail(e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(fail(format!("exited with {status}")))
    }
}

/// Registers `host` if needed (adopting its existing file), for `hbf init` and `hbf import`.
pub fn register_existing(storage_dir: &Path, host: &str) -> Result<HenvEntry, LifecycleError> {
    let host = normalize_hostname(host).map_err(|source| RegistryError::Hostname {
        host: host.into(),
        source,
    })?;
    let mut registry = Registry::open(storage_dir)?;
    let entry = registry.ensure(&host)?;
    registry.touch(&[(entry.hash.clone(), store::unix_now())])?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_duration("12h").unwrap(),
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(
            parse_duration("7").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("d").is_err());
    }

    #[test]
    fn create_refuses_to_overwrite_and_delete_uses_the_trash() {
        let dir = tempfile::tempdir().unwrap();
        let mut reg = Registry::open(dir.path()).unwrap();
        // An unregistered file with the hash of "a.test" is never overwritten.
        let stray = store::hash_path(dir.path(), &super::super::dns_safe_hash("a.test"));
        std::fs::write(&stray, b"precious").unwrap();
        let err = create_henv(dir.path(), &mut reg, "a.test", None, |_| Ok(())).unwrap_err();
        assert!(matches!(err, LifecycleError::FileExists { .. }), "{err}");
        assert_eq!(std::fs::read(&stray).unwrap(), b"precious");
        assert!(reg.get("a.test").unwrap().is_none());
        std::fs::remove_file(&stray).unwrap();
        // A failing seed undoes everything.
        let err = create_henv(dir.path(), &mut reg, "a.test", None, |c| {
            c.execute_batch("SELECT * FROM no_such_table")
        });
        assert!(err.is_err());
        assert!(!stray.exists() && reg.get("a.test").unwrap().is_none());
        let e = create_henv(dir.path(), &mut reg, "a.test", Some("ann"), |_| Ok(())).unwrap();
        assert!(stray.exists());
        let (gone, removed) = delete_henv(dir.path(), &mut reg, "a.test", false).unwrap();
        assert_eq!(gone.hash, e.hash);
        let Removed::Trash(moved) = removed else {
            panic!("not trashed")
        };
        assert!(moved.starts_with(dir.path().join("trash")) && moved.exists());
        assert!(!stray.exists());
    }

    #[test]
    fn sweep_warns_once_then_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut reg = Registry::open(dir.path()).unwrap();
        let old = create_henv(dir.path(), &mut reg, "old.test", None, |_| Ok(())).unwrap();
        let idle = create_henv(dir.path(), &mut reg, "idle.test", None, |_| Ok(())).unwrap();
        create_henv(dir.path(), &mut reg, "fresh.test", None, |_| Ok(())).unwrap();
        let now = store::unix_now();
        reg.set_last_activity(&old.hash, now - 61 * 86_400).unwrap();
        reg.set_last_activity(&idle.hash, now - 31 * 86_400)
            .unwrap();
        let mut policy = SweepPolicy {
            warn_after: Duration::from_secs(30 * 86_400),
            delete_after: Duration::from_secs(60 * 86_400),
            dry_run: true,
            warn_command: None,
        };
        let plan = sweep(dir.path(), &mut reg, &policy, now).unwrap();
        let summary: Vec<_> = plan
            .iter()
            .map(|i| (i.entry.hostname.as_str(), i.action))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("idle.test", SweepAction::Warn),
                ("old.test", SweepAction::Delete)
            ]
        );
        assert_eq!(reg.list().unwrap().len(), 3, "dry run changes nothing");
        policy.dry_run = false;
        let done = sweep(dir.path(), &mut reg, &policy, now).unwrap();
        assert_eq!(done.len(), 2);
        assert!(done.iter().all(|i| i.error.is_none()));
        assert_eq!(reg.list().unwrap().len(), 2);
        assert!(sweep(dir.path(), &mut reg, &policy, now)
            .unwrap()
            .is_empty());
    }
}
