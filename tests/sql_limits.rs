//! App SQL cannot take the process's memory: value bombs from `db.query` fail with a clear SQL
//! error (the henv's `sql_limits`), the SQLite heap of the process is capped
//! (`--sqlite_hard_heap_limit_mb`), and the process's resident memory stays bounded.
//!
//! Every server of this file sets the same process-wide heap limits (tests run in parallel in
//! one process).

mod common;

use common::apps::{put_file, start_app_server, AppServer};
use common::{rss_kib, TempDir};
use hbf::henv;

const HARD_HEAP_MB: u64 = 256;

const SERVER_JS: &str = r#"
    const express = require('express');
    const db = require('hbf:db');
    const app = express();
    app.get('/sql', (req, res) => {
      try {
        res.json({ rows: db.query(req.query.q) });
      } catch (e) {
        res.status(500).json({ message: e.message });
      }
    });
    app.use(express.static('www'));
    module.exports = app;"#;

fn start(setting: Option<&str>) -> AppServer {
    let dir = TempDir::new("sqllim");
    put_file(dir.path(), "server.js", SERVER_JS.as_bytes());
    if let Some(value) = setting {
        let (conn, _) = henv::open_henv(dir.path(), "localhost").expect("open henv");
        conn.execute(
            "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('sql_limits', ?1)",
            [value],
        )
        .expect("setting");
    }
    start_app_server(dir, false, |c| {
        c.sqlite_hard_heap_limit_mb = HARD_HEAP_MB;
        c.sqlite_soft_heap_limit_mb = HARD_HEAP_MB / 2;
    })
}

fn sql(app: &AppServer, q: &str) -> (u16, serde_json::Value) {
    let mut query = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() {
            query.push(b as char);
        } else {
            query.push_str(&format!("%{b:02X}"));
        }
    }
    let r = app.get(&format!("/sql?q={query}"));
    (r.status, r.json())
}

#[test]
fn value_bombs_fail_with_a_clear_error_and_rss_stays_bounded() {
    let app = start(None);
    let (status, ok) = sql(&app, "SELECT length(randomblob(1000000)) AS n");
    assert_eq!(
        (status, ok["rows"][0]["n"].as_i64()),
        (200, Some(1_000_000))
    );
    let before = rss_kib();
    for bomb in [
        "SELECT length(randomblob(900000000))",
        "SELECT length(zeroblob(900000000))",
        "SELECT length(printf('%.*c', 900000000, 'x'))",
        "SELECT length(replace(hex(zeroblob(4000000)), '0', '0123456789'))",
        "WITH RECURSIVE s(x) AS (SELECT 'ab' UNION ALL SELECT x || x FROM s) \
         SELECT length(x) FROM s WHERE length(x) > 900000000",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         SELECT length(group_concat(zeroblob(1000000))) FROM n",
    ] {
        let (status, body) = sql(&app, bomb);
        let message = body["message"].as_str().unwrap_or_default();
        assert_eq!(status, 500, "{bomb}: {body}");
        assert!(
            message.contains("too big") && message.contains("sql_limits"),
            "{bomb}: {message}"
        );
    }
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 200, "RSS grew by {grown_mib} MiB");
}

#[test]
fn a_henv_sets_its_own_limits_and_still_serves_larger_files() {
    let app = start(Some(r#"{"length": 2000000}"#));
    let (status, body) = sql(&app, "SELECT length(randomblob(3000000)) AS n");
    assert_eq!(status, 500, "{body}");
    let (status, _) = sql(&app, "SELECT length(randomblob(1500000)) AS n");
    assert_eq!(status, 200);
    // HBF's own reads of app files are not bound by the app's length limit.
    let big = vec![7u8; 3_000_000];
    put_file(app.dir.path(), "www/big.bin", &big);
    let r = app.get("/big.bin");
    assert_eq!((r.status, r.body.len()), (200, big.len()));
}

#[test]
fn the_process_sqlite_heap_is_capped() {
    // Per-value limit raised to SQLite's maximum: only the heap limit stands in the way.
    let app = start(Some(r#"{"length": 1000000000}"#));
    let before = rss_kib();
    let (status, body) = sql(&app, "SELECT length(randomblob(600000000)) AS n");
    let message = body["message"].as_str().unwrap_or_default();
    assert_eq!(status, 500, "{body}");
    assert!(
        message.contains("out of memory") && message.contains("--sqlite_hard_heap_limit_mb"),
        "{message}"
    );
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < HARD_HEAP_MB + 64, "RSS grew by {grown_mib} MiB");
    // The henv still works afterwards.
    let (status, _) = sql(&app, "SELECT 1 AS one");
    assert_eq!(status, 200);
}
