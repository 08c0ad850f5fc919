//! Crash safety: a write load on many henvs (transactions through `db` in server.js and
//! inserts through the data API), `hbf serve` killed with SIGKILL at random moments and
//! restarted, then every henv checked: every write whose response was received is there, no
//! transaction is half-applied, `PRAGMA integrity_check` and the FTS `integrity-check` pass.
//!
//! `HBF_CRASH_KILLS` (default 5) sets the number of kills; `stress/crash.sh` runs this test
//! with 25 in release mode. `HBF_TEST_SEED` replays a run (the seed is printed).

mod common;

use std::time::{Duration, Instant};

use common::ledger::{self, Acked, Load};
use common::proc::{http, HbfProcess, Rng};
use common::TempDir;

fn kills() -> usize {
    std::env::var("HBF_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

#[test]
fn sigkill_under_write_load_loses_no_acknowledged_write() {
    let seed = Rng::seed_from_env();
    let kills = kills();
    eprintln!("crash test: {kills} kills, HBF_TEST_SEED={seed}");
    let mut rng = Rng::new(seed);
    let dir = TempDir::new("crash");
    let storage = dir.path().join("henvs");
    let hosts = ledger::hosts(6);
    ledger::create_henvs(&storage, &hosts);
    let durability = std::env::var("HBF_CRASH_DURABILITY").unwrap_or_else(|_| "normal".into());
    let args = [
        "--workers",
        "2",
        "--default_host",
        "",
        "--durability",
        &durability,
    ];
    let mut acked = Acked::default();
    let mut attempts = 0;
    let started = Instant::now();
    for round in 0..kills {
        let server = HbfProcess::serve(&storage, &args);
        // The server recovered: it answers every henv before the next load starts.
        for h in &hosts {
            let r = http(server.addr, "GET", h, "/count", None);
            assert!(
                matches!(r, Ok((200, _))),
                "round {round}: {h} after restart: {r:?}"
            );
        }
        let load = Load::start(server.addr, &hosts, 4, &format!("r{round}"), rng.next());
        std::thread::sleep(Duration::from_millis(rng.range(150, 900)));
        server.kill(); // SIGKILL, mid-load
        attempts += load.attempts.load(std::sync::atomic::Ordering::Relaxed);
        let got = load.finish();
        acked.txs.extend(got.txs);
        acked.items.extend(got.items);
    }
    // Recovery by SQLite itself (WAL replay on open), then the checks.
    let totals = ledger::check_storage(&storage, &hosts, &acked);
    eprintln!(
        "crash test: {kills} SIGKILLs in {:.1}s, {attempts} writes attempted, {} transactions and \
         {} items acknowledged; on disk {} transactions, {} items; all present, none \
         half-applied, integrity ok",
        started.elapsed().as_secs_f64(),
        acked.txs.len(),
        acked.items.len(),
        totals.txs,
        totals.items
    );
    assert!(
        acked.txs.len() + acked.items.len() > kills,
        "the load made too little progress to mean anything"
    );
    // And the server still serves them after the last crash.
    let server = HbfProcess::serve(&storage, &args);
    let (status, body) = http(server.addr, "GET", &hosts[0], "/count", None).unwrap();
    assert_eq!(status, 200, "{body}");
    server.stop();
}
