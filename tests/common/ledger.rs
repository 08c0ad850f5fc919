//! The write load of the operations tests: `stress/apps/ledger` in many henvs, clients that
//! write through `db` in server.js (`POST /tx`, three rows in one transaction) and through the
//! data API (`POST /_api/tables/items`), a record of every write whose response was received,
//! and the checks that a storage directory holds every acknowledged write, nothing
//! half-applied, and passes `PRAGMA integrity_check` and the FTS `integrity-check`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::proc::{hbf_ok, http, repo_root, Rng};

/// Hostnames of the `n` ledger henvs.
pub fn hosts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("l{i}.test")).collect()
}

/// Imports the ledger app into a henv for each host in `storage`.
pub fn create_henvs(storage: &Path, hosts: &[String]) {
    let app = repo_root().join("stress/apps/ledger");
    for h in hosts {
        hbf_ok(&[
            "import",
            app.to_str().unwrap(),
            "--host",
            h,
            "--storage_dir",
            storage.to_str().unwrap(),
        ]);
    }
}

/// The file of `host`'s henv in `storage`.
pub fn henv_file(storage: &Path, host: &str) -> PathBuf {
    hbf::henv::henv_path(storage, host)
}

/// What the clients got acknowledged: (host, key) of transactions and of items.
#[derive(Clone, Default)]
pub struct Acked {
    pub txs: BTreeSet<(String, String)>,
    pub items: BTreeSet<(String, String)>,
}

/// Clients writing to `addr` until `stop` is set. Every write has a unique key; only writes
/// answered 201 are recorded as acknowledged.
pub struct Load {
    pub stop: Arc<AtomicBool>,
    pub acked: Arc<Mutex<Acked>>,
    pub attempts: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// Starts `clients` writer threads; `tag` makes keys unique across loads.
    pub fn start(addr: SocketAddr, hosts: &[String], clients: usize, tag: &str, seed: u64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Acked::default()));
        let attempts = Arc::new(AtomicU64::new(0));
        let threads = (0..clients)
            .map(|c| {
                let (stop, acked, attempts) = (stop.clone(), acked.clone(), attempts.clone());
                let hosts = hosts.to_vec();
                let tag = format!("{tag}-{c}");
                std::thread::spawn(move || {
                    let mut rng = Rng::new(seed ^ (c as u64 + 1).wrapping_mul(0x9E37_79B9));
                    let mut seq = 0u64;
                    while !stop.load(Ordering::SeqCst) {
                        seq += 1;
                        attempts.fetch_add(1, Ordering::Relaxed);
                        let host = &hosts[rng.range(0, hosts.len() as u64) as usize];
                        let key = format!("{tag}-{seq}");
                        if rng.range(0, 3) < 2 {
                            let pad = "x".repeat(rng.range(0, 3000) as usize);
                            let body = serde_json::json!({"tx": key, "amount": seq, "pad": pad});
                            match http(addr, "POST", host, "/tx", Some(&body)) {
                                Ok((201, _)) => {
                                    acked.lock().unwrap().txs.insert((host.clone(), key));
                                }
                                Ok(_) => {}
                                Err(_) => std::thread::sleep(Duration::from_millis(5)),
                            }
                        } else {
                            let body = serde_json::json!({"k": key, "v": format!("value {seq}")});
                            let path = "/_api/tables/items";
                            match http(addr, "POST", host, path, Some(&body)) {
                                Ok((201, _)) => {
                                    acked.lock().unwrap().items.insert((host.clone(), key));
                                }
                                Ok(_) => {}
                                Err(_) => std::thread::sleep(Duration::from_millis(5)),
                            }
                        }
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            acked,
            attempts,
            threads,
        }
    }

    /// Stops the clients and returns what was acknowledged.
    pub fn finish(self) -> Acked {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            let _ = t.join();
        }
        Arc::try_unwrap(self.acked)
            .map(|m| m.into_inner().unwrap())
            .unwrap_or_default()
    }
}

/// What a check of one henv file found.
#[derive(Debug, Default)]
pub struct HenvCheck {
    pub txs: usize,
    pub items: usize,
}

/// Checks one henv file: integrity, FTS integrity, no half-applied transaction, and every
/// acknowledged write of `host` present. Returns the counts, or every problem found.
pub fn check_henv(file: &Path, host: &str, acked: &Acked) -> Result<HenvCheck, Vec<String>> {
    let mut problems = Vec::new();
    let conn = rusqlite::Connection::open(file).map_err(|e| vec![format!("open: {e}")])?;
    conn.busy_timeout(Duration::from_secs(10)).ok();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| e.to_string());
    if integrity != "ok" {
        problems.push(format!("integrity_check: {integrity}"));
    }
    if let Err(e) = conn.execute(
        "INSERT INTO nodes_fts(nodes_fts) VALUES ('integrity-check')",
        [],
    ) {
        problems.push(format!("nodes_fts integrity-check: {e}"));
    }
    // Every transaction has its debit, its credit and its document, or nothing.
    let half: Vec<String> = conn
        .prepare(
            "SELECT tx FROM ledger GROUP BY tx HAVING COUNT(*) != 2
             UNION SELECT l.tx FROM ledger l LEFT JOIN nodes n ON n.type = 'entry' AND n.name = l.tx
                   WHERE n.id IS NULL
             UNION SELECT n.name FROM nodes n LEFT JOIN ledger l ON l.tx = n.name
                   WHERE n.type = 'entry' AND l.id IS NULL",
        )
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_else(|e| vec![format!("query failed: {e}")]);
    if !half.is_empty() {
        problems.push(format!("half-applied transactions: {half:?}"));
    }
    let present = |sql: &str, key: &str| -> bool {
        conn.query_row(sql, [key], |r| r.get::<_, i64>(0))
            .is_ok_and(|n| n > 0)
    };
    for (_, key) in acked.txs.iter().filter(|(h, _)| h == host) {
        if !present("SELECT COUNT(*) FROM ledger WHERE tx = ?", key) {
            problems.push(format!("acknowledged transaction {key} missing"));
        }
    }
    for (_, key) in acked.items.iter().filter(|(h, _)| h == host) {
        if !present("SELECT COUNT(*) FROM items WHERE k = ?", key) {
            problems.push(format!("acknowledged item {key} missing"));
        }
    }
    let count = |sql: &str| -> usize {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n as usize)
    };
    let result = HenvCheck {
        txs: count("SELECT COUNT(DISTINCT tx) FROM ledger"),
        items: count("SELECT COUNT(*) FROM items"),
    };
    match problems.is_empty() {
        true => Ok(result),
        false => Err(problems),
    }
}

/// Checks every henv of `hosts` in `storage`; panics listing every problem.
pub fn check_storage(storage: &Path, hosts: &[String], acked: &Acked) -> HenvCheck {
    let mut total = HenvCheck::default();
    let mut problems = Vec::new();
    for h in hosts {
        match check_henv(&henv_file(storage, h), h, acked) {
            Ok(c) => {
                total.txs += c.txs;
                total.items += c.items;
            }
            Err(p) => problems.extend(p.into_iter().map(|p| format!("{h}: {p}"))),
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems: {problems:#?}",
        problems.len()
    );
    total
}

/// Every row of the app tables of a henv file, as sorted text lines (for comparing copies).
pub fn dump_rows(file: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(file).expect("open for dump");
    let mut rows = Vec::new();
    for sql in [
        "SELECT 'ledger', tx, side, amount FROM ledger ORDER BY tx, side",
        "SELECT 'items', k, v, '' FROM items ORDER BY k",
        "SELECT 'nodes', name, content, type FROM nodes ORDER BY id",
    ] {
        let mut st = conn.prepare(sql).expect("dump query");
        let part = st
            .query_map([], |r| {
                Ok(format!(
                    "{}|{}|{}|{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, rusqlite::types::Value>(2)
                        .map(|v| format!("{v:?}"))?,
                    r.get::<_, rusqlite::types::Value>(3)
                        .map(|v| format!("{v:?}"))?
                ))
            })
            .expect("dump rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("dump rows");
        rows.extend(part);
    }
    rows
}
