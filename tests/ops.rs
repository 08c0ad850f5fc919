//! Backup and restore with the real binary: `hbf backup --all` while a write load runs,
//! `hbf restore` into an empty storage directory (rows, registry entries, a server serving
//! them), refusal of a damaged backup and of clobbering a live henv without `--force`, and a
//! forced restore into a running server.

mod common;

use std::time::Duration;

use common::ledger::{self, Load};
use common::proc::{hbf_bin, hbf_ok, http, HbfProcess, Rng};
use common::TempDir;

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// `HBF_OPS_HENVS` (default 4) henvs, `HBF_OPS_LOAD_MS` (default 700) of load before the
/// backup starts; `stress/backup.sh` runs bigger figures.
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn backup_under_load_restores_into_an_empty_directory() {
    let dir = TempDir::new("ops-backup");
    let storage = dir.path().join("henvs");
    let backup = dir.path().join("backup");
    let restored = dir.path().join("restored");
    let n = knob("HBF_OPS_HENVS", 4);
    let hosts = ledger::hosts(n);
    ledger::create_henvs(&storage, &hosts);
    hbf_ok(&[
        "henv",
        "add-domain",
        &hosts[0],
        "www.l0.test",
        "--storage_dir",
        s(&storage),
    ]);
    let server = HbfProcess::serve(&storage, &["--workers", "2", "--default_host", ""]);
    let load = Load::start(server.addr, &hosts, 3, "b", Rng::seed_from_env());
    std::thread::sleep(Duration::from_millis(knob("HBF_OPS_LOAD_MS", 700) as u64));
    let before = load.acked.lock().unwrap().clone();
    let started = std::time::Instant::now();
    let out = hbf_ok(&["backup", s(&backup), "--all", "--storage_dir", s(&storage)]);
    let backup_time = started.elapsed();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains(&format!("backed up {n} henv(s)")), "{said}");
    std::thread::sleep(Duration::from_millis(300));
    let acked = load.finish();
    assert!(
        acked.txs.len() > before.txs.len(),
        "writes went on during the backup"
    );
    // The manifest: one entry per henv with its checksum and registry entry.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "hbf-backup-1");
    assert_eq!(manifest["henvs"].as_array().unwrap().len(), n);
    let l0 = manifest["henvs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["hostname"] == hosts[0].as_str())
        .unwrap();
    assert_eq!(l0["domains"][0], "www.l0.test");
    assert_eq!(l0["sha256"].as_str().unwrap().len(), 64);

    // Restore everything into an empty directory.
    let started = std::time::Instant::now();
    hbf_ok(&[
        "restore",
        s(&backup),
        "--all",
        "--storage_dir",
        s(&restored),
    ]);
    let restore_time = started.elapsed();
    // Everything acknowledged before the backup began is there, nothing half-applied.
    let totals = ledger::check_storage(&restored, &hosts, &before);
    assert!(totals.txs >= before.txs.len());
    eprintln!(
        "backup test: {n} henvs, {} bytes; backup under load {:.2}s, restore {:.2}s; {} tx and {} \
         items acknowledged before the backup, {} tx and {} items in the restored copy, {} tx \
         acknowledged in all",
        manifest["henvs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["bytes"].as_u64().unwrap())
            .sum::<u64>(),
        backup_time.as_secs_f64(),
        restore_time.as_secs_f64(),
        before.txs.len(),
        before.items.len(),
        totals.txs,
        totals.items,
        acked.txs.len()
    );
    for h in &hosts {
        let file = format!("{}.db", hbf::henv::dns_safe_hash(h));
        assert_eq!(
            ledger::dump_rows(&restored.join(&file)),
            ledger::dump_rows(&backup.join(&file)),
            "{h}: restored rows equal the backup's"
        );
        // A snapshot of the live henv: each of its rows is in the live file too.
        let live = ledger::dump_rows(&storage.join(&file));
        let copy = ledger::dump_rows(&restored.join(&file));
        assert!(
            copy.iter().all(|r| live.contains(r)),
            "{h}: rows the live henv never had"
        );
    }
    // The registry entry came back, custom domain included, and a server serves it.
    let info = hbf_ok(&["henv", "info", "www.l0.test", "--storage_dir", s(&restored)]);
    assert!(String::from_utf8_lossy(&info.stdout).contains(&hosts[0]));
    let second = HbfProcess::serve(&restored, &["--workers", "1", "--default_host", ""]);
    let (status, body) = http(second.addr, "GET", "www.l0.test", "/count", None).unwrap();
    assert_eq!(status, 200, "{body}");
    second.stop();
    server.stop();
}

#[test]
fn restore_refuses_damage_and_clobbering_and_forces_into_a_live_server() {
    let dir = TempDir::new("ops-restore");
    let storage = dir.path().join("henvs");
    let backup = dir.path().join("backup");
    let hosts = ledger::hosts(1);
    let host = hosts[0].as_str();
    ledger::create_henvs(&storage, &hosts);
    let server = HbfProcess::serve(&storage, &["--workers", "1", "--default_host", ""]);
    let tx = |key: &str| {
        let body = serde_json::json!({"tx": key, "amount": 1});
        let (status, _) = http(server.addr, "POST", host, "/tx", Some(&body)).unwrap();
        assert_eq!(status, 201);
    };
    tx("kept");
    hbf_ok(&[
        "backup",
        s(&backup),
        "--host",
        host,
        "--storage_dir",
        s(&storage),
    ]);
    tx("after-backup");
    let count = || {
        let (_, body) = http(server.addr, "GET", host, "/count", None).unwrap();
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["ledger"].clone()
    };
    assert_eq!(count(), 4);

    // A live henv is not overwritten without --force.
    let out = std::process::Command::new(hbf_bin())
        .args([
            "restore",
            s(&backup),
            "--host",
            host,
            "--storage_dir",
            s(&storage),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    // With --force, into the running server: it sees the backup's state by itself.
    let forced = [
        "restore",
        s(&backup),
        "--host",
        host,
        "--force",
        "--storage_dir",
        s(&storage),
    ];
    hbf_ok(&forced);
    assert!(
        common::wait_until(Duration::from_secs(5), || count() == 2),
        "the server did not see the restored henv: {}",
        count()
    );
    // A damaged backup file is refused before anything is touched.
    let file = backup.join(format!("{}.db", hbf::henv::dns_safe_hash(host)));
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 100;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new(hbf_bin())
        .args(forced)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert_eq!(count(), 2);
    server.stop();
}

/// Runs `stress/NAME.sh` with the binary under test; panics with its output unless it passes.
fn run_script(name: &str, env: &[(&str, &str)]) {
    let script = common::proc::repo_root().join(format!("stress/{name}.sh"));
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("HBF_BIN", hbf_bin())
        .env("BUILD", "never")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = text.contains(&format!("PASS: {name}"));
    assert!(out.status.success() && passed, "{text}");
}

/// Whether `tool` is on PATH or in ~/.local/bin (where `pip install --user` puts it).
fn have_tool(tool: &str) -> bool {
    let local = std::env::var("HOME")
        .map(|h| format!("{h}/.local/bin"))
        .unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain([local.as_str()])
        .any(|dir| std::path::Path::new(dir).join(tool).is_file());
    found
}

#[test]
fn litestream_replicates_every_henv_to_s3_and_restores_them() {
    if !have_tool("litestream") || !have_tool("moto_server") {
        eprintln!("note: litestream or moto_server missing (scripts/install-deps.sh installs them); skipped");
        return;
    }
    run_script("litestream", &[]);
}

#[test]
fn henv_move_between_running_nodes_keeps_every_acknowledged_write() {
    let dir = TempDir::new("ops-move");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let hosts = ledger::hosts(2);
    ledger::create_henvs(&a, &hosts);
    std::fs::create_dir_all(&b).unwrap();
    let args = ["--workers", "2", "--default_host", ""];
    let (node_a, node_b) = (HbfProcess::serve(&a, &args), HbfProcess::serve(&b, &args));
    let moving = &hosts[..1];
    let load = Load::start(node_a.addr, moving, 3, "m", Rng::seed_from_env());
    std::thread::sleep(Duration::from_millis(500));
    let out = hbf_ok(&[
        "henv",
        "move",
        &hosts[0],
        "--to",
        s(&b),
        "--drain_ms",
        "1500",
        "--storage_dir",
        s(&a),
    ]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains("moved l0.test"), "{said}");
    let acked = load.finish();
    assert!(
        !acked.txs.is_empty(),
        "the source acknowledged writes before the move"
    );
    // Every write node A acknowledged is on node B, intact.
    let file = ledger::henv_file(&b, &hosts[0]);
    let found = ledger::check_henv(&file, &hosts[0], &acked).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(found.txs >= acked.txs.len());
    // Node B serves it, node A no longer does; the henv that stayed is untouched.
    assert!(common::wait_until(Duration::from_secs(5), || {
        matches!(
            http(node_b.addr, "GET", &hosts[0], "/count", None),
            Ok((200, _))
        )
    }));
    let (status, _) = http(node_a.addr, "GET", &hosts[0], "/count", None).unwrap();
    assert_eq!(status, 404);
    let (status, _) = http(node_a.addr, "GET", &hosts[1], "/count", None).unwrap();
    assert_eq!(status, 200);
    assert!(
        !ledger::henv_file(&a, &hosts[0]).exists(),
        "old copy moved to trash/"
    );
    node_a.stop();
    node_b.stop();
}

#[test]
fn deployment_files_pass_their_checkers() {
    // hadolint, systemd-analyze verify, kubernetes-validate --strict; the empty-root run of the
    // static binary when scripts/build-static.sh has built it. Missing tools are skipped.
    run_script("deploy_check", &[("SKIP_MISSING", "1")]);
}
