//! The henv registry: `{storage_dir}/_registry.db`, a small SQLite database mapping hostnames
//! and custom domains to henv hashes, with each henv's owner, creation time, last activity
//! and inactivity warning.
//!
//! The registry is the source of truth for routing and for collisions: a hostname whose hash
//! already belongs to another hostname is refused, never given the other henv's file. Every
//! change to the routes bumps `meta.routes_version`, which the server polls (about once a
//! second) to reload its in-memory route table; last-activity updates do not bump it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::name::{dns_safe_hash, normalize_hostname, HostnameError};
use super::store;

/// File name of the registry inside the storage directory.
pub const REGISTRY_FILE: &str = "_registry.db";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS henvs (
    hash TEXT PRIMARY KEY,
    hostname TEXT NOT NULL UNIQUE,
    owner TEXT,
    created_at INTEGER NOT NULL,
    last_activity_ts INTEGER NOT NULL,
    warned_at INTEGER
);
CREATE TABLE IF NOT EXISTS domains (
    domain TEXT PRIMARY KEY,
    hash TEXT NOT NULL REFERENCES henvs(hash) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_domains_hash ON domains(hash);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('routes_version', 0);
";

/// A registry operation that failed. Messages name the host, domain or file concerned.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{host:?}: {source}")]
    Hostname { host: String, source: HostnameError },
    #[error("registry {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("registry {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("henv {host:?} already exists")]
    HostTaken { host: String },
    #[error(
        "hash collision: {host:?} hashes to {hash}, which already belongs to {other:?}; \
         choose another hostname"
    )]
    Collision {
        host: String,
        hash: String,
        other: String,
    },
    #[error("{name:?} is already routed to henv {hash}")]
    NameTaken { name: String, hash: String },
    #[error("no henv is registered for {host:?}")]
    UnknownHost { host: String },
}

impl RegistryError {
    /// The HTTP status this error maps to when a client caused it.
    pub fn status(&self) -> u16 {
        match self {
            RegistryError::Hostname { .. } => 400,
            RegistryError::HostTaken { .. }
            | RegistryError::Collision { .. }
            | RegistryError::NameTaken { .. } => 409,
            RegistryError::UnknownHost { .. } => 404,
            RegistryError::Sqlite { .. } | RegistryError::Io { .. } => 500,
        }
    }
}

/// One registered henv.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HenvEntry {
    pub hostname: String,
    pub hash: String,
    pub owner: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last write seen (creation, import, app writes).
    pub last_activity_ts: i64,
    /// Unix seconds of the last inactivity warning, if one was sent since the last activity.
    pub warned_at: Option<i64>,
    /// Custom domains routed to this henv.
    pub domains: Vec<String>,
}

/// Name → hash, as routing needs it: registered hostnames and custom domains.
#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    /// Hostnames and custom domains (normalised) → hash.
    pub names: HashMap<String, String>,
    /// Hash → primary hostname.
    pub hashes: HashMap<String, String>,
}

/// An open registry.
pub struct Registry {
    conn: Connection,
    path: PathBuf,
}

fn normalized(host: &str) -> Result<String, RegistryError> {
    normalize_hostname(host).map_err(|source| RegistryError::Hostname {
        host: host.to_owned(),
        source,
    })
}

impl Registry {
    /// `{storage_dir}/_registry.db`.
    pub fn path_in(storage_dir: &Path) -> PathBuf {
        storage_dir.join(REGISTRY_FILE)
    }

    /// Opens (creating the storage directory 0700 and the file 0600 if needed) the registry.
    pub fn open(storage_dir: &Path) -> Result<Registry, RegistryError> {
        let path = Self::path_in(storage_dir);
        let io = |source| RegistryError::Io {
            path: path.display().to_string(),
            source,
        };
        store::ensure_private_dir(storage_dir).map_err(io)?;
        store::ensure_private_file(&path).map_err(io)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let registry = Connection::open_with_flags(&path, flags)
            .map_err(|source| RegistryError::Sqlite {
                path: path.display().to_string(),
                source,
            })
            .map(|conn| Registry {
                conn,
                path: path.clone(),
            })?;
        registry.wrap(|| {
            registry.conn.busy_timeout(crate::db::BUSY_TIMEOUT)?;
            registry.conn.pragma_update(None, "journal_mode", "WAL")?;
            registry
                .conn
                .pragma_update(None, "synchronous", crate::db::synchronous())?;
            registry.conn.pragma_update(None, "foreign_keys", "ON")?;
            registry.conn.execute_batch(SCHEMA)
        })?;
        store::ensure_private_file(&path).map_err(io)?;
        Ok(registry)
    }

    /// The registry file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn wrap<T>(&self, f: impl FnOnce() -> rusqlite::Result<T>) -> Result<T, RegistryError> {
        f().map_err(sqlite_error(&self.path))
    }

    /// Registers a new henv for `host`. Fails if the hostname (or a custom domain of the same
    /// name) is taken, or if its hash already belongs to another hostname (collision).
    pub fn create(&mut self, host: &str, owner: Option<&str>) -> Result<HenvEntry, RegistryError> {
        let host = normalized(host)?;
        self.insert(&host, owner, false)
    }

    /// Registers `host` if it is not yet (adopting an existing henv file); a registered
    /// hostname is returned as it is. A hash collision is still refused.
    pub fn ensure(&mut self, host: &str) -> Result<HenvEntry, RegistryError> {
        let host = normalized(host)?;
        self.insert(&host, None, true)
    }

    fn insert(
        &mut self,
        host: &str,
        owner: Option<&str>,
        existing_ok: bool,
    ) -> Result<HenvEntry, RegistryError> {
        let hash = dns_safe_hash(host);
        let sql = sqlite_error(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let by_hash: Option<String> = tx
            .query_row("SELECT hostname FROM henvs WHERE hash = ?1", [&hash], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        match by_hash {
            Some(other) if other == host && existing_ok => {}
            Some(other) if other == host => {
                return Err(RegistryError::HostTaken { host: host.into() })
            }
            Some(other) => {
                return Err(RegistryError::Collision {
                    host: host.into(),
                    hash,
                    other,
                })
            }
            None => {
                let taken: Option<String> = tx
                    .query_row(
                        "SELECT hash FROM henvs WHERE hostname = ?1
                         UNION ALL SELECT hash FROM domains WHERE domain = ?1",
                        [host],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql)?;
                if let Some(hash) = taken {
                    return Err(RegistryError::NameTaken {
                        name: host.into(),
                        hash,
                    });
                }
                let now = store::unix_now();
                tx.execute(
                    "INSERT INTO henvs (hash, hostname, owner, created_at, last_activity_ts)
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![hash, host, owner, now],
                )
                .map_err(sql)?;
                bump(&tx).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        self.get(host)?
            .ok_or_else(|| RegistryError::UnknownHost { host: host.into() })
    }

    /// Routes the custom domain `domain` to the henv of `host`.
    pub fn add_domain(&mut self, host: &str, domain: &str) -> Result<HenvEntry, RegistryError> {
        let domain = normalized(domain)?;
        let entry = self
            .get(host)?
            .ok_or_else(|| RegistryError::UnknownHost { host: host.into() })?;
        let sql = sqlite_error(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let taken: Option<String> = tx
            .query_row(
                "SELECT hash FROM henvs WHERE hostname = ?1
                 UNION ALL SELECT hash FROM domains WHERE domain = ?1",
                [&domain],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        if let Some(hash) = taken {
            return Err(RegistryError::NameTaken { name: domain, hash });
        }
        tx.execute(
            "INSERT INTO domains (domain, hash, created_at) VALUES (?1, ?2, ?3)",
            params![domain, entry.hash, store::unix_now()],
        )
        .map_err(sql)?;
        bump(&tx).map_err(sql)?;
        tx.commit().map_err(sql)?;
        self.get(&entry.hostname)?
            .ok_or(RegistryError::UnknownHost {
                host: entry.hostname,
            })
    }

    /// Unregisters a henv (and its custom domains). Returns what was removed.
    pub fn remove(&mut self, name: &str) -> Result<HenvEntry, RegistryError> {
        let entry = self
            .get(name)?
            .ok_or_else(|| RegistryError::UnknownHost { host: name.into() })?;
        self.wrap(|| {
            let tx = self.conn.unchecked_transaction()?;
            tx.execute("DELETE FROM domains WHERE hash = ?1", [&entry.hash])?;
            tx.execute("DELETE FROM henvs WHERE hash = ?1", [&entry.hash])?;
            bump(&tx)?;
            tx.commit()
        })?;
        Ok(entry)
    }

    /// The henv a hostname, custom domain or hash names.
    pub fn get(&self, name: &str) -> Result<Option<HenvEntry>, RegistryError> {
        let key = normalize_hostname(name).unwrap_or_else(|_| name.to_owned());
        let hash: Option<String> = self.wrap(|| {
            self.conn
                .query_row(
                    "SELECT hash FROM henvs WHERE hostname = ?1 OR hash = ?1
                     UNION ALL SELECT hash FROM domains WHERE domain = ?1 LIMIT 1",
                    [&key],
                    |r| r.get(0),
                )
                .optional()
        })?;
        match hash {
            Some(hash) => Ok(self
                .list_where("WHERE h.hash = ?1", &[&hash])?
                .into_iter()
                .next()),
            None => Ok(None),
        }
    }

    /// Every registered henv, by hostname.
    pub fn list(&self) -> Result<Vec<HenvEntry>, RegistryError> {
        self.list_where("", &[])
    }

    fn list_where(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<HenvEntry>, RegistryError> {
        self.wrap(|| {
            let sql = format!(
                "SELECT h.hostname, h.hash, h.owner, h.created_at, h.last_activity_ts, h.warned_at,
                        (SELECT group_concat(domain, ' ') FROM
                            (SELECT domain FROM domains d WHERE d.hash = h.hash ORDER BY domain))
                 FROM henvs h {filter} ORDER BY h.hostname"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(args, |r| {
                let domains: Option<String> = r.get(6)?;
                Ok(HenvEntry {
                    hostname: r.get(0)?,
                    hash: r.get(1)?,
                    owner: r.get(2)?,
                    created_at: r.get(3)?,
                    last_activity_ts: r.get(4)?,
                    warned_at: r.get(5)?,
                    domains: domains
                        .map(|d| d.split(' ').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    /// Counter bumped by every change to hostnames or domains.
    pub fn routes_version(&self) -> Result<i64, RegistryError> {
        self.wrap(|| {
            self.conn.query_row(
                "SELECT value FROM meta WHERE key = 'routes_version'",
                [],
                |r| r.get(0),
            )
        })
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64, RegistryError> {
        self.wrap(|| self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)))
    }

    /// Every routable name, for the server's in-memory table.
    pub fn route_table(&self) -> Result<RouteTable, RegistryError> {
        self.wrap(|| {
            let mut table = RouteTable::default();
            let mut stmt = self.conn.prepare("SELECT hostname, hash FROM henvs")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (host, hash) = row?;
                table.names.insert(host.clone(), hash.clone());
                table.hashes.insert(hash, host);
            }
            let mut stmt = self.conn.prepare("SELECT domain, hash FROM domains")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (domain, hash) = row?;
                table.names.insert(domain, hash);
            }
            Ok(table)
        })
    }

    /// Records activity: each henv's `last_activity_ts` becomes at least the given time.
    pub fn touch(&mut self, activity: &[(String, i64)]) -> Result<(), RegistryError> {
        if activity.is_empty() {
            return Ok(());
        }
        let path = self.path.display().to_string();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| RegistryError::Sqlite {
                path: path.clone(),
                source,
            })?;
        let result = (|| {
            {
                let mut stmt = tx.prepare_cached(
                    "UPDATE henvs SET last_activity_ts = MAX(last_activity_ts, ?2) WHERE hash = ?1",
                )?;
                for (hash, ts) in activity {
                    stmt.execute(params![hash, ts])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|source| RegistryError::Sqlite { path, source })
    }

    /// Sets a henv's last activity (tests and administration).
    pub fn set_last_activity(&self, hash: &str, ts: i64) -> Result<(), RegistryError> {
        self.wrap(|| {
            self.conn.execute(
                "UPDATE henvs SET last_activity_ts = ?2 WHERE hash = ?1",
                params![hash, ts],
            )
        })
        .map(drop)
    }

    /// Records that an inactivity warning was sent for a henv.
    pub fn set_warned(&self, hash: &str, ts: i64) -> Result<(), RegistryError> {
        self.wrap(|| {
            self.conn.execute(
                "UPDATE henvs SET warned_at = ?2 WHERE hash = ?1",
                params![hash, ts],
            )
        })
        .map(drop)
    }
}

fn bump(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE key = 'routes_version'",
        [],
    )
    .map(drop)
}

/// Wraps an SQLite error with the registry file it happened in.
fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> RegistryError + Copy + '_ {
    move |source| RegistryError::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_lookup_domains_and_collisions() {
        let dir = tempfile::tempdir().unwrap();
        let mut reg = Registry::open(dir.path()).unwrap();
        let v0 = reg.routes_version().unwrap();
        let e = reg.create("MyApp", Some("ann")).unwrap();
        assert_eq!(
            (e.hostname.as_str(), e.hash.as_str()),
            ("myapp", "5h9h66rt")
        );
        assert_eq!(e.owner.as_deref(), Some("ann"));
        assert!(reg.routes_version().unwrap() > v0);
        assert!(matches!(
            reg.create("myapp", None),
            Err(RegistryError::HostTaken { .. })
        ));
        assert_eq!(reg.ensure("myapp").unwrap().hash, "5h9h66rt");
        reg.add_domain("myapp", "www.example.org").unwrap();
        assert_eq!(
            reg.get("WWW.example.org.").unwrap().unwrap().hostname,
            "myapp"
        );
        assert_eq!(reg.get("5h9h66rt").unwrap().unwrap().domains.len(), 1);
        assert!(matches!(
            reg.create("www.example.org", None),
            Err(RegistryError::NameTaken { .. })
        ));
        assert!(matches!(
            reg.add_domain("nope", "x.example"),
            Err(RegistryError::UnknownHost { .. })
        ));
        // Someone else holds example.com's hash: creating example.com must be refused.
        reg.conn
            .execute(
                "INSERT INTO henvs VALUES ('a12bws3r', 'squatter.test', NULL, 0, 0, NULL)",
                [],
            )
            .unwrap();
        let err = reg.create("example.com", None).unwrap_err();
        assert!(matches!(err, RegistryError::Collision { .. }), "{err}");
        assert!(err.to_string().contains("squatter.test"), "{err}");
        assert!(reg.ensure("example.com").is_err());
        let table = reg.route_table().unwrap();
        assert_eq!(table.names["www.example.org"], "5h9h66rt");
        assert_eq!(table.hashes["5h9h66rt"], "myapp");
        reg.touch(&[("5h9h66rt".into(), i64::MAX / 2)]).unwrap();
        assert_eq!(
            reg.get("myapp").unwrap().unwrap().last_activity_ts,
            i64::MAX / 2
        );
        let removed = reg.remove("www.example.org").unwrap();
        assert_eq!(removed.hostname, "myapp");
        assert!(reg.get("myapp").unwrap().is_none());
        assert!(reg.get("www.example.org").unwrap().is_none());
    }

    #[test]
    fn registry_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("new");
        let mut reg = Registry::open(&store).unwrap();
        reg.create("a.test", None).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store), 0o700);
        assert_eq!(mode(reg.path()), 0o600);
        for side in store::side_files(reg.path()) {
            if side.exists() {
                assert_eq!(mode(&side), 0o600, "{}", side.display());
            }
        }
    }
}
