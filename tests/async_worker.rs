//! Many requests in flight per worker, and henv affinity, end to end: a real server on an
//! ephemeral port, real henv files, raw HTTP clients on their own threads.
//!
//! - one worker serves other requests while requests of the same henv wait on timers;
//! - a request whose deadline passes while it waits gets 504, its runtime is kept;
//! - running JavaScript interrupted at its deadline fails the requests parked on its runtime;
//! - interleaved requests each see their own `req.user` and `db` principal (row policies);
//! - a henv's requests all reach one runtime (module state as in one Node process), and with
//!   its `workers` setting at 2 they split over two runtimes as in a Node cluster;
//! - a henv at its in-flight cap gets 503 while other henvs are served.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::apps::{put_file, set_henv_workers, start_app_server, AppServer};
use common::{Client, TempDir};
use hbf::{auth, henv, Config};
use serde_json::{json, Value};

fn start(server_js: &str, tweak: impl FnOnce(&mut Config)) -> AppServer {
    let dir = TempDir::new("async");
    put_file(dir.path(), "server.js", server_js.as_bytes());
    start_app_server(dir, false, tweak)
}

/// `GET path` on its own connection, from a thread.
fn spawn_get(app: &AppServer, path: &str) -> thread::JoinHandle<(u16, String, Duration)> {
    let (addr, path) = (app.addr, path.to_owned());
    thread::spawn(move || {
        let started = Instant::now();
        let raw = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let r = Client::connect(addr).request(raw.as_bytes());
        (r.status, r.text(), started.elapsed())
    })
}

const SLOW_APP: &str = r#"
let n = 0;
const app = require('express')();
app.get('/slow', async (req, res) => {
  await new Promise((r) => setTimeout(r, Number(req.query.ms || 2000)));
  res.send('slow done');
});
app.get('/fast', (req, res) => res.send('fast'));
app.get('/count', (req, res) => res.json(++n));
app.get('/hang', (req, res) => { n++; setTimeout(() => res.send('too late'), 60000); });
app.get('/spin', (req, res) => { for (;;) {} });
module.exports = app;
"#;

#[test]
fn one_worker_serves_others_while_requests_wait_on_a_timer() {
    let app = start(SLOW_APP, |c| c.workers = 1);
    assert_eq!(app.get("/fast").text(), "fast"); // (builds the runtime)
    let started = Instant::now();
    let slow: Vec<_> = (0..4).map(|_| spawn_get(&app, "/slow?ms=2000")).collect();
    thread::sleep(Duration::from_millis(200));
    // 20 requests of the same henv, on the same (only) worker, while 4 wait.
    for _ in 0..20 {
        let r = app.get("/fast");
        assert_eq!((r.status, r.text().as_str()), (200, "fast"));
    }
    let served_others = started.elapsed();
    assert!(
        served_others < Duration::from_millis(1900),
        "the other requests waited for the slow ones: {served_others:?}"
    );
    for h in slow {
        let (status, body, took) = h.join().unwrap();
        assert_eq!((status, body.as_str()), (200, "slow done"));
        assert!(took >= Duration::from_millis(1900), "{took:?}");
    }
    // The four waited together, not one after another (4 × 2 s).
    assert!(
        started.elapsed() < Duration::from_millis(4500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_deadline_passing_while_parked_is_504_and_the_runtime_is_kept() {
    let app = start(SLOW_APP, |c| {
        c.workers = 1;
        c.qjs_timeout_ms = 600;
    });
    assert_eq!(app.get("/count").text(), "1");
    let started = Instant::now();
    let r = app.get("/hang");
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(3));
    // The same runtime (module state kept: /hang counted too) serves on.
    assert_eq!(app.get("/count").text(), "3");
    assert_eq!(app.get("/fast").text(), "fast");
}

#[test]
fn interrupting_running_js_fails_the_requests_parked_on_its_runtime() {
    let app = start(SLOW_APP, |c| {
        c.workers = 1;
        c.qjs_timeout_ms = 1500;
    });
    assert_eq!(app.get("/count").text(), "1");
    let parked = spawn_get(&app, "/slow?ms=1200");
    thread::sleep(Duration::from_millis(150));
    // /spin runs until its deadline interrupts it; the runtime is thrown away, and the
    // request parked on it fails rather than waiting for a timer that no longer exists.
    let r = app.get("/spin");
    assert_eq!(r.status, 504);
    let (status, _, _) = parked.join().unwrap();
    assert!(status == 500 || status == 504, "{status}");
    // A new runtime (module state starts over).
    assert_eq!(app.get("/count").text(), "1");
}

const USERS_APP: &str = r#"
const db = require('hbf:db');
const app = require('express')();
app.get('/notes', async (req, res) => {
  await new Promise((r) => setTimeout(r, Number(req.query.ms)));
  let bodies;
  try { bodies = db.query('SELECT body FROM notes ORDER BY id').map((r) => r.body); }
  catch (e) { bodies = 'denied'; }
  // (req.user read for the first time after the await)
  res.json({ user: req.user ? req.user.username : null, bodies });
});
module.exports = app;
"#;

fn login(app: &AppServer, user: &str) -> String {
    let body = json!({"username": user, "password": format!("password-of-{user}")}).to_string();
    let r = app.post_json("/_api/auth/login", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_str(&r.text()).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

#[test]
fn interleaved_requests_each_see_their_own_user_and_principal() {
    let dir = TempDir::new("async-users");
    put_file(dir.path(), "server.js", USERS_APP.as_bytes());
    {
        let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
        conn.execute(
            "UPDATE _hbf_config SET value = '{\"m_kib\":256,\"t\":1,\"p\":1}' WHERE key = 'auth_argon2'",
            [],
        )
        .unwrap();
        let s = auth::AuthSettings::load(&conn).unwrap();
        for name in ["ulla", "uwe"] {
            auth::create_user(
                &conn,
                &s,
                name,
                &format!("password-of-{name}"),
                None,
                "user",
            )
            .unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, owner_id INTEGER, body TEXT);
             INSERT INTO notes (owner_id, body) VALUES
               ((SELECT id FROM _hbf_users WHERE username = 'ulla'), 'ulla-1'),
               ((SELECT id FROM _hbf_users WHERE username = 'uwe'), 'uwe-secret'),
               ((SELECT id FROM _hbf_users WHERE username = 'ulla'), 'ulla-2');
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition)
               VALUES ('notes', 's', 'user', 'SELECT', 'owner_id = hbf_user_id()');
             INSERT INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete)
               VALUES ('user', 'notes', 1, 0, 0, 0);",
        )
        .unwrap();
    }
    let app = start_app_server(dir, false, |c| c.workers = 1);
    let tokens = [login(&app, "ulla"), login(&app, "uwe")];
    // Three rounds: ulla, uwe and an anonymous caller interleave on one worker and one
    // runtime; their timers fire in another order than they started.
    for round in 0..3 {
        let barrier = Arc::new(Barrier::new(3));
        let cases = [
            (Some(tokens[0].clone()), 500 - round * 100),
            (Some(tokens[1].clone()), 200 + round * 100),
            (None, 350),
        ];
        let handles: Vec<_> = cases
            .into_iter()
            .map(|(token, ms)| {
                let (addr, barrier) = (app.addr, barrier.clone());
                thread::spawn(move || {
                    let auth = token
                        .map(|t| format!("Authorization: Bearer {t}\r\n"))
                        .unwrap_or_default();
                    let raw =
                        format!("GET /notes?ms={ms} HTTP/1.1\r\nHost: localhost\r\n{auth}\r\n");
                    let mut c = Client::connect(addr);
                    barrier.wait();
                    let r = c.request(raw.as_bytes());
                    assert_eq!(r.status, 200, "{}", r.text());
                    serde_json::from_str::<Value>(&r.text()).unwrap()
                })
            })
            .collect();
        let got: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            got[0],
            json!({"user": "ulla", "bodies": ["ulla-1", "ulla-2"]})
        );
        assert_eq!(got[1], json!({"user": "uwe", "bodies": ["uwe-secret"]}));
        assert_eq!(got[2], json!({"user": null, "bodies": "denied"}));
    }
}

const COUNT_APP: &str = r#"
let n = 0;
const id = Math.random().toString(36).slice(2);
const app = require('express')();
app.get('/count', (req, res) => res.json({ id, n: ++n }));
module.exports = app;
"#;

/// 200 requests on 8 keep-alive connections; the `n`s each runtime (`id`) answered.
fn count_over_8_connections(app: &AppServer) -> HashMap<String, Vec<i64>> {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let addr = app.addr;
            thread::spawn(move || {
                let mut c = Client::connect(addr);
                (0..25)
                    .map(|_| {
                        let r = c.request(b"GET /count HTTP/1.1\r\nHost: localhost\r\n\r\n");
                        assert_eq!(r.status, 200, "{}", r.text());
                        let v: Value = serde_json::from_str(&r.text()).unwrap();
                        (
                            v["id"].as_str().unwrap().to_owned(),
                            v["n"].as_i64().unwrap(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut by_runtime: HashMap<String, Vec<i64>> = HashMap::new();
    for h in handles {
        for (id, n) in h.join().unwrap() {
            by_runtime.entry(id).or_default().push(n);
        }
    }
    for ns in by_runtime.values_mut() {
        ns.sort_unstable();
    }
    by_runtime
}

#[test]
fn a_henvs_requests_share_one_runtime_unless_its_workers_setting_spreads_them() {
    let app = start(COUNT_APP, |c| c.workers = 4);
    let by_runtime = count_over_8_connections(&app);
    assert_eq!(by_runtime.len(), 1, "{by_runtime:?}");
    let ns = by_runtime.values().next().unwrap();
    assert_eq!(*ns, (1..=200).collect::<Vec<_>>());

    // workers = 2: a Node cluster of two.
    set_henv_workers(app.dir.path(), 2);
    app.get("/count"); // (its worker reads the new setting)
    let by_runtime = count_over_8_connections(&app);
    assert_eq!(by_runtime.len(), 2, "{:?}", by_runtime.keys());
    let sizes: Vec<usize> = by_runtime.values().map(Vec::len).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 200);
    assert!(sizes.iter().all(|&s| (90..=110).contains(&s)), "{sizes:?}");
    for ns in by_runtime.values() {
        // Each runtime counted its own share without gaps.
        let first = ns[0];
        assert_eq!(*ns, (first..first + ns.len() as i64).collect::<Vec<_>>());
    }
}

#[test]
fn a_henv_at_its_in_flight_cap_gets_503() {
    let app = start(SLOW_APP, |c| {
        c.workers = 2;
        c.henv_max_inflight = 3;
    });
    assert_eq!(app.get("/fast").text(), "fast");
    let slow: Vec<_> = (0..3).map(|_| spawn_get(&app, "/slow?ms=2500")).collect();
    thread::sleep(Duration::from_millis(700)); // (all three parked by then, even on a busy CI box)
    let r = app.get("/fast");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        r.text().contains("too many requests in flight"),
        "{}",
        r.text()
    );
    for h in slow {
        assert_eq!(h.join().unwrap().0, 200);
    }
    assert_eq!(app.get("/fast").text(), "fast");
}
