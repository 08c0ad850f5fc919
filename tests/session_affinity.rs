//! Sessions and henv affinity with the real `express-session` npm package (its MemoryStore,
//! cookie-signature, uid-safe, on-headers, debug), imported with `hbf import` from
//! `js-tests/modules/node_modules` (installed by `scripts/install-deps.sh`; skipped with a
//! note when it is not):
//!
//! - with `--workers 4` a henv runs on one runtime, as one Node process: 8 keep-alive clients
//!   each keep their own session (a per-session counter 1..25 with no gaps) and a module
//!   variable counts all 200 requests;
//! - with the henv's `workers` setting at 2 it is a Node cluster of two without a shared
//!   session store: each runtime has its own MemoryStore and module count.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::thread;

use common::apps::{hbf_import, set_henv_workers, start_app_server, AppServer};
use common::{Client, Resp, TempDir};
use serde_json::Value;

const SESSION_APP: &str = r#"
const session = require('express-session');
let n = 0;
const id = Math.random().toString(36).slice(2);
const app = require('express')();
app.use(session({ secret: 'hbf test secret', resave: false, saveUninitialized: true }));
app.get('/visit', (req, res) => {
  req.session.visits = (req.session.visits || 0) + 1;
  res.json({ id, n: ++n, sid: req.sessionID, visits: req.session.visits });
});
module.exports = app;
"#;

/// One answer of `/visit`, and the session cookie it set, if any.
#[derive(Debug)]
struct Visit {
    id: String,
    n: i64,
    sid: String,
    visits: i64,
    set_cookie: Option<String>,
}

/// `connect.sid=...` from a Set-Cookie header.
fn session_cookie(r: &Resp) -> Option<String> {
    r.header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("connect.sid="))
        .map(|c| c.split(';').next().unwrap_or(c).to_owned())
}

/// `count` requests on one keep-alive connection, sending back the last session cookie set
/// (a browser's cookie jar).
fn client_visits(addr: std::net::SocketAddr, count: usize) -> Vec<Visit> {
    let mut c = Client::connect(addr);
    let mut cookie: Option<String> = None;
    (0..count)
        .map(|_| {
            let header = cookie
                .as_ref()
                .map(|c| format!("Cookie: {c}\r\n"))
                .unwrap_or_default();
            let raw = format!("GET /visit HTTP/1.1\r\nHost: localhost\r\n{header}\r\n");
            let r = c.request(raw.as_bytes());
            assert_eq!(r.status, 200, "{}", r.text());
            let v = r.json();
            let set_cookie = session_cookie(&r);
            if set_cookie.is_some() {
                cookie.clone_from(&set_cookie);
            }
            Visit {
                id: v["id"].as_str().unwrap().to_owned(),
                n: v["n"].as_i64().unwrap(),
                sid: v["sid"].as_str().unwrap().to_owned(),
                visits: v["visits"].as_i64().unwrap(),
                set_cookie,
            }
        })
        .collect()
}

/// 8 clients, 25 requests each, at once; each client's visits in order.
fn eight_clients(app: &AppServer) -> Vec<Vec<Visit>> {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let addr = app.addr;
            thread::spawn(move || client_visits(addr, 25))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// The module counts each runtime (`id`) answered, sorted.
fn counts_by_runtime(clients: &[Vec<Visit>]) -> HashMap<String, Vec<i64>> {
    let mut by: HashMap<String, Vec<i64>> = HashMap::new();
    for v in clients.iter().flatten() {
        by.entry(v.id.clone()).or_default().push(v.n);
    }
    for ns in by.values_mut() {
        ns.sort_unstable();
    }
    by
}

/// The directory of the package `name` as Node resolves it from `from` (a package directory
/// under `root`, or `root` itself): the nearest `node_modules/name` up the tree.
fn resolve_package(root: &Path, from: &Path, name: &str) -> Option<PathBuf> {
    from.ancestors()
        .take_while(|a| a.starts_with(root))
        .map(|a| a.join("node_modules").join(name))
        .find(|p| p.join("package.json").is_file())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let t = e.file_type().unwrap();
        if t.is_dir() {
            copy_dir(&src, &dst);
        } else if t.is_file() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Copies package `name` and everything it depends on from `root` (the directory holding
/// `node_modules`) to the same places under `dst`.
fn copy_with_dependencies(root: &Path, name: &str, dst: &Path) {
    let mut todo = vec![(root.to_path_buf(), name.to_owned())];
    let mut seen = HashSet::new();
    while let Some((from, name)) = todo.pop() {
        let dir = resolve_package(root, &from, &name)
            .unwrap_or_else(|| panic!("{name} (needed by {}) is not installed", from.display()));
        if !seen.insert(dir.clone()) {
            continue;
        }
        copy_dir(&dir, &dst.join(dir.strip_prefix(root).unwrap()));
        let pkg: Value =
            serde_json::from_slice(&std::fs::read(dir.join("package.json")).unwrap()).unwrap();
        if let Some(deps) = pkg["dependencies"].as_object() {
            todo.extend(deps.keys().map(|d| (dir.clone(), d.clone())));
        }
    }
}

/// The app and express-session (with its dependencies) imported into a new storage
/// directory, or `None` when the npm packages are not installed.
fn import_session_app() -> Option<TempDir> {
    let npm = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-tests/modules");
    if !npm
        .join("node_modules/express-session/package.json")
        .is_file()
    {
        eprintln!(
            "note: js-tests/modules/node_modules/express-session not installed \
             (scripts/install-deps.sh); express-session affinity test skipped"
        );
        return None;
    }
    let src = TempDir::new("session-src");
    std::fs::write(src.path().join("server.js"), SESSION_APP).unwrap();
    copy_with_dependencies(&npm, "express-session", src.path());
    let storage = TempDir::new("session-store");
    hbf_import(src.path(), storage.path());
    Some(storage)
}

#[test]
fn express_session_memory_store_keeps_each_clients_session_on_the_henvs_runtime() {
    let Some(storage) = import_session_app() else {
        return;
    };
    let app = start_app_server(storage, true, |c| c.workers = 4);

    // One runtime: every request sees the session its client created, with no gaps.
    let clients = eight_clients(&app);
    let mut sids = HashSet::new();
    for visits in &clients {
        let cookie = visits[0].set_cookie.as_deref().expect("a session cookie");
        assert!(cookie.starts_with("connect.sid=s%3A"), "{cookie}"); // (signed)
        assert!(visits[1..].iter().all(|v| v.set_cookie.is_none()));
        assert!(visits.iter().all(|v| v.sid == visits[0].sid));
        let counts: Vec<i64> = visits.iter().map(|v| v.visits).collect();
        assert_eq!(counts, (1..=25).collect::<Vec<_>>());
        sids.insert(visits[0].sid.clone());
    }
    assert_eq!(sids.len(), 8, "each client has its own session");
    let by_runtime = counts_by_runtime(&clients);
    assert_eq!(by_runtime.len(), 1, "{:?}", by_runtime.keys());
    assert_eq!(
        *by_runtime.values().next().unwrap(),
        (1..=200).collect::<Vec<_>>()
    );

    // workers = 2: a Node cluster of two processes without a shared session store. Each
    // runtime has its own module state and its own MemoryStore, as each Node process would:
    // a session cookie created on one runtime names a session the other does not know, so
    // there express-session starts a new session (new id, new Set-Cookie, visits from 1) —
    // no error, no crash, exactly what a Node cluster does (sessions there need a shared
    // store such as connect-redis, or sticky sessions). HBF spreads a henv's requests
    // round-robin per request, not per connection, so a keep-alive client meets both.
    set_henv_workers(app.dir.path(), 2);
    app.get("/visit"); // (its worker reads the new setting)

    // One client alone alternates between the two runtimes: each request brings a cookie the
    // other runtime created, so each gets a new session.
    let alone = client_visits(app.addr, 6);
    for (i, v) in alone.iter().enumerate() {
        assert_ne!(v.id, alone[(i + 1) % 2].id, "runtimes alternate: {alone:?}");
        assert_eq!(v.visits, 1, "{alone:?}");
        assert!(v.set_cookie.is_some(), "{alone:?}");
    }
    let alone_sids: HashSet<_> = alone.iter().map(|v| v.sid.clone()).collect();
    assert_eq!(alone_sids.len(), 6);

    // 8 clients at once: all 200 answered; the module counts split over the two runtimes
    // (each without gaps, summing to 200), and every answer is what a per-runtime store
    // gives: the session continues on the runtime that created it, is new on the other.
    let clients = eight_clients(&app);
    let by_runtime = counts_by_runtime(&clients);
    assert_eq!(by_runtime.len(), 2, "{:?}", by_runtime.keys());
    assert_eq!(by_runtime.values().map(Vec::len).sum::<usize>(), 200);
    for ns in by_runtime.values() {
        let first = ns[0];
        assert_eq!(*ns, (first..first + ns.len() as i64).collect::<Vec<_>>());
    }
    for visits in &clients {
        // (runtime that created the client's current session, its id, its count)
        let mut current: Option<(&str, &str, i64)> = None;
        for v in visits {
            match current {
                Some((rt, sid, count)) if rt == v.id => {
                    assert_eq!((v.sid.as_str(), v.visits), (sid, count + 1), "{visits:?}");
                    assert!(v.set_cookie.is_none(), "{visits:?}");
                }
                _ => {
                    assert_eq!(v.visits, 1, "{visits:?}");
                    assert!(v.set_cookie.is_some(), "{visits:?}");
                    assert!(current.is_none_or(|(_, sid, _)| sid != v.sid), "{visits:?}");
                }
            }
            current = Some((&v.id, &v.sid, v.visits));
        }
    }
}
