//! Multi-tenancy end to end: many henvs in one server, chosen by Host through the registry;
//! the `hbf henv` commands; signup; isolation; bounded connections and runtimes.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{wait_until, Client, Resp, TempDir};
use hbf::henv::{self, lifecycle, Registry};
use hbf::js::{AppConfig, AppHandler};
use hbf::{db, Config, Server, ServerHandle};

const BASE: &str = "hbf.test";

/// A key-value app: the same code in every henv, each with its own table.
const KV_APP: &str = r#"
const db = require('hbf:db');
db.execute('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)');
db.execute("INSERT OR IGNORE INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete) VALUES ('anon', 'kv', 1, 1, 1, 1)");
const app = require('express')();
app.post('/set', (req, res) => {
  db.execute('INSERT OR REPLACE INTO kv VALUES (?, ?)', ['x', req.query.v]);
  res.json({ ok: true });
});
app.get('/get', (req, res) => {
  const row = db.get('SELECT v FROM kv WHERE k = ?', ['x']);
  res.json({ v: row ? row.v : null });
});
app.get('/spin', () => { while (true) {} });
app.get('/attach', (req, res) => {
  try { db.execute("ATTACH DATABASE '" + req.query.path + "' AS other"); res.json({ attached: true }); }
  catch (e) { res.status(403).json({ error: String(e.message) }); }
});
app.get('/pragma', (req, res) => {
  try { db.execute('PRAGMA journal_mode = DELETE'); res.json({ changed: true }); }
  catch (e) { res.status(403).json({ error: String(e.message) }); }
});
module.exports = app;
"#;

struct Multi {
    /// Stops the server when dropped.
    _handle: ServerHandle,
    addr: SocketAddr,
    dir: TempDir,
}

impl Multi {
    fn storage(&self) -> &Path {
        self.dir.path()
    }

    fn request(&self, method: &str, host: &str, path: &str, body: &[u8]) -> Resp {
        request(self.addr, method, host, path, body)
    }

    fn get(&self, host: &str, path: &str) -> Resp {
        self.request("GET", host, path, b"")
    }

    fn admin_addr(&self) -> SocketAddr {
        self._handle.admin_addr().expect("operator listener is on")
    }

    fn health(&self) -> serde_json::Value {
        request(self.admin_addr(), "GET", "localhost", "/health", b"").json()
    }

    fn metrics_text(&self) -> String {
        request(self.admin_addr(), "GET", "localhost", "/metrics", b"").text()
    }
}

fn request(addr: SocketAddr, method: &str, host: &str, path: &str, body: &[u8]) -> Resp {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    Client::connect(addr).request(&raw)
}

/// Creates a registered henv with `server_js` (library calls, as `hbf henv create` does).
fn create(storage: &Path, host: &str, server_js: &str) -> String {
    let mut reg = Registry::open(storage).unwrap();
    let entry = lifecycle::create_henv(storage, &mut reg, host, None, |_| Ok(())).unwrap();
    let (conn, _) = henv::open_henv(storage, host).unwrap();
    db::put_file(&conn, "server.js", server_js.as_bytes()).unwrap();
    // Table permissions are default deny: visitors may use the kv table.
    conn.execute(
        "INSERT INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete)
         VALUES ('anon', 'kv', 1, 1, 1, 1)",
        [],
    )
    .unwrap();
    entry.hash
}

fn start(dir: TempDir, default_host: &str, tweak: impl FnOnce(&mut Config)) -> Multi {
    let mut config = Config {
        workers: 2,
        access_log: false,
        base_domain: Some(BASE.into()),
        ..Config::ephemeral(dir.path())
    };
    tweak(&mut config);
    let app = AppHandler::new(AppConfig {
        storage_dir: config.storage_dir.clone(),
        default_host: default_host.into(),
        mem_limit_bytes: config.qjs_mem_mb << 20,
        dev: config.dev,
    })
    .tenancy(henv::TenancyConfig::from(&config));
    let handle = Server::new(config)
        .handler(app)
        .start()
        .expect("server starts");
    let addr = handle.local_addr();
    Multi {
        _handle: handle,
        addr,
        dir,
    }
}

fn hbf(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args(args)
        .output()
        .expect("run hbf")
}

/// Runs `hbf ARGS --storage_dir DIR`, asserting success; returns stdout.
fn hbf_ok(storage: &Path, args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    let dir = storage.to_str().unwrap();
    all.extend(["--storage_dir", dir]);
    let out = hbf(&all);
    assert!(
        out.status.success(),
        "hbf {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `hbf ARGS --storage_dir DIR`, asserting failure; returns stderr.
fn hbf_err(storage: &Path, args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    let dir = storage.to_str().unwrap();
    all.extend(["--storage_dir", dir]);
    let out = hbf(&all);
    assert!(!out.status.success(), "hbf {all:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn registry_sql(storage: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(storage.join("_registry.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn hash_vectors_from_the_cli() {
    for (name, hash) in [
        ("myapp", "5h9h66rt"),
        ("localhost", "w8f5ws4j"),
        ("example.com", "a12bws3r"),
        ("MyApp:8080", "5h9h66rt"),
        ("Example.COM.", "a12bws3r"),
    ] {
        let out = hbf(&["hash", name]);
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), hash, "{name}");
    }
    let bad = hbf(&["hash", "a_b.test"]);
    assert!(!bad.status.success());
}

#[test]
fn henvs_with_identical_routes_keep_their_own_data() {
    let dir = TempDir::new("own");
    create(dir.path(), "a.test", KV_APP);
    create(dir.path(), "b.test", KV_APP);
    let srv = start(dir, "", |_| {});
    assert_eq!(
        srv.request("POST", "a.test", "/set?v=alpha", b"").status,
        200
    );
    assert_eq!(
        srv.request("POST", "b.test:8080", "/set?v=beta", b"")
            .status,
        200
    );
    assert_eq!(srv.get("A.TEST", "/get").json()["v"], "alpha");
    assert_eq!(srv.get("b.test", "/get").json()["v"], "beta");
    // Per-henv request counters in /metrics.
    let text = srv.metrics_text();
    let a = henv::dns_safe_hash("a.test");
    assert!(
        text.contains(&format!("hbf_henv_requests_total{{henv=\"{a}\"}} 2")),
        "{text}"
    );
}

#[test]
fn hash_subdomains_custom_domains_unknown_and_invalid_hosts() {
    let dir = TempDir::new("route");
    let a = create(dir.path(), "a.test", KV_APP);
    let srv = start(dir, "", |_| {});
    assert_eq!(
        srv.request("POST", "a.test", "/set?v=mine", b"").status,
        200
    );
    // {hash}.base_domain, with a port.
    let by_hash = format!("{a}.{BASE}:{}", srv.addr.port());
    assert_eq!(srv.get(&by_hash, "/get").json()["v"], "mine");
    // Unknown hosts (and unknown hashes) are a JSON 404 naming the host.
    let r = srv.get("nobody.test", "/get");
    r.assert_json_error(404);
    assert!(r.json()["error"].as_str().unwrap().contains("nobody.test"));
    srv.get(&format!("zzzzzzzz.{BASE}"), "/get")
        .assert_json_error(404);
    // Invalid hostnames are a JSON 400.
    for bad in ["a_b.test", "-x.test", "a..b"] {
        let r = srv.get(bad, "/get");
        r.assert_json_error(400);
        assert!(r.json()["error"]
            .as_str()
            .unwrap()
            .contains("invalid hostname"));
    }
    // A custom domain added by the CLI while the server runs routes within a second or so.
    srv.get("www.custom.test", "/get").assert_json_error(404);
    let out = hbf_ok(
        srv.storage(),
        &["henv", "add-domain", "a.test", "WWW.Custom.test"],
    );
    assert!(out.contains("www.custom.test"), "{out}");
    assert!(wait_until(Duration::from_secs(5), || srv
        .get("www.custom.test", "/get")
        .status
        == 200));
    assert_eq!(srv.get("www.custom.test", "/get").json()["v"], "mine");
    // The same domain cannot be routed twice.
    create(srv.storage(), "b.test", KV_APP);
    let err = hbf_err(
        srv.storage(),
        &["henv", "add-domain", "b.test", "www.custom.test"],
    );
    assert!(err.contains("already routed"), "{err}");
}

#[test]
fn the_default_henv_serves_unregistered_hosts() {
    let dir = TempDir::new("default");
    let (conn, _) = henv::open_henv(dir.path(), "localhost").unwrap();
    db::put_file(&conn, "server.js", KV_APP.as_bytes()).unwrap();
    drop(conn);
    let srv = start(dir, "localhost", |_| {});
    assert_eq!(srv.get("anything.example", "/get").status, 200);
    // An HTTP/1.0 request without Host goes to the default henv too.
    let mut c = Client::connect(srv.addr);
    assert_eq!(c.request(b"GET /get HTTP/1.0\r\n\r\n").status, 200);
}

#[test]
fn a_hash_collision_is_refused_never_shared() {
    let dir = TempDir::new("collide");
    let storage = dir.path();
    hbf_ok(storage, &["henv", "create", "first.test"]);
    // Pretend "victim.test" hashes like an existing hostname: a registry row claims its hash.
    let victim = henv::dns_safe_hash("victim.test");
    registry_sql(
        storage,
        &format!(
            "INSERT INTO henvs (hash, hostname, created_at, last_activity_ts) VALUES ('{victim}', 'squatter.test', 0, 0)"
        ),
    );
    let err = hbf_err(storage, &["henv", "create", "victim.test"]);
    assert!(
        err.contains("collision") && err.contains("squatter.test"),
        "{err}"
    );
    let err = hbf_err(storage, &["init", "--host", "victim.test"]);
    assert!(err.contains("collision"), "{err}");
    assert!(
        !storage.join(format!("{victim}.db")).exists(),
        "no file was created"
    );
    // Signup refuses it with 409.
    let srv = start(dir, "", |c| c.allow_signup = true);
    let r = srv.request(
        "POST",
        BASE,
        "/new",
        br#"{"hostname":"victim.test","username":"eve","password":"long enough","email":"e@x.test"}"#,
    );
    r.assert_json_error(409);
    assert!(r.text().contains("collision"), "{}", r.text());
}

#[test]
fn files_and_directories_are_private() {
    let root = TempDir::new("perm");
    let storage = root.path().join("new/store");
    hbf_ok(&storage, &["henv", "create", "perm.test", "--owner", "ann"]);
    // A running server keeps the WAL files of the registry and the henv open.
    let srv = start(TempDir::new("perm-unused"), "", |c| {
        c.storage_dir = storage.clone()
    });
    assert_eq!(srv.get("perm.test", "/hello").status, 200);
    assert_eq!(mode(&storage), 0o700);
    assert_eq!(mode(&storage.join("_registry.db")), 0o600);
    let db_file = storage.join(format!("{}.db", henv::dns_safe_hash("perm.test")));
    assert_eq!(mode(&db_file), 0o600);
    let mut sides = 0;
    for side in henv::store::side_files(&db_file)
        .into_iter()
        .chain(henv::store::side_files(&storage.join("_registry.db")))
    {
        if side.exists() {
            sides += 1;
            assert_eq!(mode(&side), 0o600, "{}", side.display());
        }
    }
    assert!(sides >= 2, "WAL files were checked");
    drop(srv);
    hbf_ok(&storage, &["henv", "delete", "perm.test"]);
    assert_eq!(mode(&storage.join("trash")), 0o700);
}

fn trash_files(storage: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(storage.join("trash"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn cli_create_list_info_delete_to_trash_and_purge() {
    let dir = TempDir::new("cli");
    let storage = dir.path();
    let out = hbf_ok(storage, &["henv", "create", "shop.test", "--owner", "ann"]);
    let hash = henv::dns_safe_hash("shop.test");
    assert!(out.contains(&hash), "{out}");
    let err = hbf_err(storage, &["henv", "create", "SHOP.test"]);
    assert!(err.contains("already exists"), "{err}");
    hbf_ok(storage, &["henv", "create", "blog.test"]);
    let list = hbf_ok(storage, &["henv", "list"]);
    let header = list.lines().next().unwrap();
    for col in ["HOST", "HASH", "SIZE", "LAST ACTIVITY"] {
        assert!(header.contains(col), "{list}");
    }
    assert!(
        list.lines()
            .any(|l| l.starts_with("shop.test") && l.contains(&hash) && l.contains("ann")),
        "{list}"
    );
    let info: serde_json::Value =
        serde_json::from_str(&hbf_ok(storage, &["henv", "info", "shop.test"])).unwrap();
    assert_eq!(info["hash"], hash.as_str());
    assert_eq!(info["owner"], "ann");
    assert!(info["size_bytes"].as_u64().unwrap() > 0);
    // The starter app was installed.
    let (conn, _) = henv::open_henv(storage, "shop.test").unwrap();
    assert!(db::file_hash(&conn, "server.js").unwrap().is_some());
    drop(conn);

    let out = hbf_ok(storage, &["henv", "delete", "shop.test"]);
    assert!(out.contains("trash"), "{out}");
    assert!(!storage.join(format!("{hash}.db")).exists());
    let trashed = trash_files(storage);
    assert!(
        trashed
            .iter()
            .any(|n| n.starts_with(&hash) && n.ends_with(".db")),
        "{trashed:?}"
    );
    let err = hbf_err(storage, &["henv", "info", "shop.test"]);
    assert!(err.contains("no henv"), "{err}");
    // The trashed file is a complete database on its own.
    let trashed_db = storage
        .join("trash")
        .join(trashed.iter().find(|n| n.ends_with(".db")).unwrap());
    let conn = rusqlite::Connection::open(&trashed_db).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM _hbf_files", [], |r| r.get(0))
        .unwrap();
    assert!(n > 0);

    let blog = henv::dns_safe_hash("blog.test");
    hbf_ok(storage, &["henv", "delete", "blog.test", "--purge"]);
    assert!(!storage.join(format!("{blog}.db")).exists());
    assert!(!trash_files(storage).iter().any(|n| n.starts_with(&blog)));
}

#[test]
fn sweep_dry_run_then_warn_and_delete() {
    let dir = TempDir::new("sweep");
    let storage = dir.path();
    for host in ["old.test", "idle.test", "fresh.test"] {
        hbf_ok(storage, &["henv", "create", host, "--owner", "ann"]);
    }
    let now = henv::store::unix_now();
    let (old, idle) = (
        henv::dns_safe_hash("old.test"),
        henv::dns_safe_hash("idle.test"),
    );
    registry_sql(
        storage,
        &format!(
            "UPDATE henvs SET last_activity_ts = {} WHERE hash = '{old}';
             UPDATE henvs SET last_activity_ts = {} WHERE hash = '{idle}';",
            now - 61 * 86_400,
            now - 40 * 86_400
        ),
    );
    let args = [
        "henv",
        "sweep",
        "--warn-after",
        "30d",
        "--delete-after",
        "60d",
    ];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let plan = hbf_ok(storage, &dry);
    assert!(
        plan.contains("warn idle.test") && plan.contains("delete old.test"),
        "{plan}"
    );
    assert!(!plan.contains("fresh.test"), "{plan}");
    assert!(
        storage.join(format!("{old}.db")).exists(),
        "dry run deletes nothing"
    );
    assert!(trash_files(storage).is_empty());

    let log = storage.join("warned.log");
    let cmd = format!(
        "echo \"$HBF_HENV_HOST $HBF_HENV_HASH $HBF_HENV_OWNER\" >> '{}'",
        log.display()
    );
    let mut real = args.to_vec();
    real.extend(["--warn-command", &cmd]);
    let done = hbf_ok(storage, &real);
    assert!(done.contains("moved to"), "{done}");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("idle.test {idle} ann\n")
    );
    assert!(!storage.join(format!("{old}.db")).exists());
    assert!(trash_files(storage).iter().any(|n| n.starts_with(&old)));
    let list = hbf_ok(storage, &["henv", "list"]);
    assert!(
        !list.contains("old.test") && list.contains("idle.test"),
        "{list}"
    );
    // Warned once per period of inactivity: a second sweep has nothing to do.
    let again = hbf_ok(storage, &real);
    assert!(again.contains("0 to warn, 0 to delete"), "{again}");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
}

fn signup_body(host: &str, user: &str, password: &str) -> Vec<u8> {
    serde_json::json!({"hostname": host, "username": user, "password": password, "email": "owner@example.com"})
        .to_string()
        .into_bytes()
}

#[test]
fn signup_is_off_by_default() {
    let dir = TempDir::new("nosignup");
    let srv = start(dir, "", |_| {});
    let r = srv.request(
        "POST",
        BASE,
        "/new",
        &signup_body("mine.test", "ann", "long enough"),
    );
    r.assert_json_error(404);
}

#[test]
fn signup_validates_creates_and_the_new_henv_answers_on_its_hash() {
    let dir = TempDir::new("signup");
    let srv = start(dir, "", |c| c.allow_signup = true);
    let post =
        |body: &[u8]| srv.request("POST", &format!("{BASE}:{}", srv.addr.port()), "/new", body);
    post(b"not json").assert_json_error(400);
    post(&signup_body("bad_host", "ann", "long enough")).assert_json_error(400);
    post(&signup_body(
        &format!("abcd1234.{BASE}"),
        "ann",
        "long enough",
    ))
    .assert_json_error(400);
    post(&signup_body("mine.test", "ann", "short")).assert_json_error(400);
    post(&signup_body("mine.test", "a b", "long enough")).assert_json_error(400);

    let r = post(&signup_body("Mine.test", "ann", "long enough"));
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let hash = henv::dns_safe_hash("mine.test");
    assert_eq!(v["host"], "mine.test");
    assert_eq!(v["hash"], hash.as_str());
    assert_eq!(v["owner"], "ann");
    assert_eq!(
        v["url"],
        format!("http://{hash}.{BASE}:{}/", srv.addr.port()).as_str()
    );
    // Taken now.
    let again = post(&signup_body("mine.test", "bob", "long enough"));
    again.assert_json_error(409);
    // The new henv answers at once on {hash}.base_domain with the starter app.
    let hello = srv.get(&format!("{hash}.{BASE}"), "/hello?name=ann");
    assert_eq!(
        (hello.status, hello.text().as_str()),
        (200, "Hello from HBF, ann!")
    );
    assert_eq!(srv.get("mine.test", "/hello").status, 200);
    // The owner account: role owner, Argon2id hash.
    let (conn, _) = henv::open_henv(srv.storage(), "mine.test").unwrap();
    let (role, phc): (String, String) = conn
        .query_row(
            "SELECT role, password_hash FROM _hbf_users WHERE username = 'ann'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(role, "owner");
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(henv::signup::verify_password(&phc, "long enough"));
    let owner = Registry::open(srv.storage())
        .unwrap()
        .get("mine.test")
        .unwrap()
        .unwrap()
        .owner;
    assert_eq!(owner.as_deref(), Some("ann"));
}

#[test]
fn an_infinite_loop_in_one_henv_does_not_stall_another() {
    let dir = TempDir::new("loop");
    create(dir.path(), "spin.test", KV_APP);
    create(dir.path(), "calm.test", KV_APP);
    let srv = start(dir, "", |c| {
        c.workers = 2;
        c.qjs_timeout_ms = 2000;
    });
    // Warm up and measure calm.test's normal latency.
    let mut normal = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        assert_eq!(srv.get("calm.test", "/get").status, 200);
        normal = normal.max(t.elapsed());
    }
    let spin_done = Arc::new(AtomicBool::new(false));
    let spinner = {
        let (addr, done) = (srv.addr, spin_done.clone());
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = request(addr, "GET", "spin.test", "/spin", b"");
            done.store(true, Ordering::SeqCst);
            (r.status, t.elapsed())
        })
    };
    // Let the loop take its worker (it then spins for 2 s).
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let mut worst = Duration::ZERO;
    let mut served = 0;
    while started.elapsed() < Duration::from_millis(1200) {
        let t = Instant::now();
        let r = srv.get("calm.test", "/get");
        assert_eq!(r.status, 200, "{}", r.text());
        worst = worst.max(t.elapsed());
        served += 1;
    }
    assert!(
        !spin_done.load(Ordering::SeqCst),
        "the loop was still running"
    );
    let (status, spun) = spinner.join().unwrap();
    assert_eq!(status, 504);
    assert!(spun >= Duration::from_millis(1500), "{spun:?}");
    assert!(served >= 10, "calm.test kept being served ({served})");
    // Waiting behind the loop would have taken seconds.
    assert!(
        worst < Duration::from_millis(500),
        "worst {worst:?} (normal {normal:?})"
    );
}

#[test]
fn sql_from_js_cannot_reach_other_files() {
    let dir = TempDir::new("isolate");
    create(dir.path(), "a.test", KV_APP);
    let victim = create(dir.path(), "b.test", KV_APP);
    let srv = start(dir, "", |_| {});
    let path = srv.storage().join(format!("{victim}.db"));
    let r = srv.get("a.test", &format!("/attach?path={}", path.display()));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("authoriz"), "{}", r.text());
    let r = srv.get("a.test", "/pragma");
    assert_eq!(r.status, 403, "{}", r.text());
}

/// Polls the operator's /health every few milliseconds while `work` runs; returns the highest
/// `db_connections` and `active_henvs` seen.
fn max_gauges_during(addr: SocketAddr, work: impl FnOnce()) -> (u64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut conns, mut active) = (0, 0);
            while !stop.load(Ordering::SeqCst) {
                let h = request(addr, "GET", "localhost", "/health", b"").json();
                conns = conns.max(h["db_connections"].as_u64().unwrap());
                active = active.max(h["active_henvs"].as_u64().unwrap());
                std::thread::sleep(Duration::from_millis(2));
            }
            (conns, active)
        })
    };
    work();
    stop.store(true, Ordering::SeqCst);
    poller.join().unwrap()
}

#[test]
fn db_max_open_bounds_connections_across_workers() {
    let dir = TempDir::new("budget");
    let hosts: Vec<String> = (0..10).map(|i| format!("h{i}.test")).collect();
    for h in &hosts {
        create(dir.path(), h, KV_APP);
    }
    let srv = start(dir, "", |c| {
        c.workers = 2;
        c.db_max_open = 3;
    });
    for h in &hosts {
        assert_eq!(
            srv.request("POST", h, &format!("/set?v={h}"), b"").status,
            200
        );
    }
    let addr = srv.addr;
    let hosts = Arc::new(hosts);
    let (conns, _) = max_gauges_during(srv.admin_addr(), || {
        let clients: Vec<_> = (0..2)
            .map(|t| {
                let hosts = hosts.clone();
                std::thread::spawn(move || {
                    for round in 0..3 {
                        for i in 0..hosts.len() {
                            let h = &hosts[(i + t * 5 + round) % hosts.len()];
                            let r = request(addr, "GET", h, "/get", b"");
                            assert_eq!(r.status, 200, "{h}: {}", r.text());
                            assert_eq!(r.json()["v"], h.as_str(), "{h} answered with its own data");
                        }
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
    });
    assert!(conns <= 3, "db_connections reached {conns}");
    assert!(srv.health()["db_connections"].as_u64().unwrap() <= 3);
}

#[test]
fn runtimes_per_worker_are_bounded_and_idle_henvs_are_closed() {
    let dir = TempDir::new("runtimes");
    let hosts: Vec<String> = (0..5).map(|i| format!("r{i}.test")).collect();
    for h in &hosts {
        create(dir.path(), h, KV_APP);
    }
    let srv = start(dir, "", |c| {
        c.workers = 1;
        c.js_max_runtimes = 2;
        c.henv_idle_secs = 1;
    });
    let addr = srv.addr;
    let (conns, active) = max_gauges_during(srv.admin_addr(), || {
        for _ in 0..2 {
            for h in &hosts {
                assert_eq!(request(addr, "GET", h, "/get", b"").status, 200);
            }
        }
    });
    assert!(active <= 2, "active_henvs reached {active}");
    assert!(
        conns >= 3,
        "connections stay open beyond the runtimes ({conns})"
    );
    // Idle henvs give back their connection and runtime.
    assert!(wait_until(Duration::from_secs(5), || {
        let h = srv.health();
        h["db_connections"] == 0 && h["active_henvs"] == 0
    }));
}

#[test]
fn writes_are_recorded_as_activity_and_deleted_henvs_stop_answering() {
    let dir = TempDir::new("activity");
    let hash = create(dir.path(), "act.test", KV_APP);
    registry_sql(dir.path(), "UPDATE henvs SET last_activity_ts = 1");
    let srv = start(dir, "", |c| c.activity_flush_secs = 1);
    let last = || {
        Registry::open(srv.storage())
            .unwrap()
            .get("act.test")
            .unwrap()
            .map_or(0, |e| e.last_activity_ts)
    };
    assert_eq!(srv.get("act.test", "/get").status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(last(), 1, "reads are not activity");
    assert_eq!(srv.request("POST", "act.test", "/set?v=1", b"").status, 200);
    assert!(wait_until(Duration::from_secs(5), || last() > 1));

    // Deleted while the server has it open: it stops answering, and a henv created again
    // under the same name starts empty (no stale connection to the trashed file).
    hbf_ok(srv.storage(), &["henv", "delete", "act.test"]);
    assert!(wait_until(Duration::from_secs(5), || srv
        .get("act.test", "/get")
        .status
        == 404));
    assert_eq!(create(srv.storage(), "act.test", KV_APP), hash);
    assert!(wait_until(Duration::from_secs(5), || srv
        .get("act.test", "/get")
        .status
        == 200));
    assert_eq!(
        srv.get("act.test", "/get").json()["v"],
        serde_json::Value::Null
    );
}

#[test]
fn init_and_import_register_their_hostname() {
    let dir = TempDir::new("register");
    let storage = dir.path();
    hbf_ok(storage, &["init", "--host", "started.test"]);
    let src = TempDir::new("register-src");
    std::fs::write(src.path().join("server.js"), KV_APP).unwrap();
    hbf_ok(
        storage,
        &[
            "import",
            src.path().to_str().unwrap(),
            "--host",
            "imported.test",
        ],
    );
    let reg = Registry::open(storage).unwrap();
    for host in ["started.test", "imported.test"] {
        let e = reg.get(host).unwrap().unwrap();
        assert_eq!(e.hash, henv::dns_safe_hash(host));
    }
    let srv = start(dir, "", |_| {});
    assert_eq!(srv.get("imported.test", "/get").status, 200);
    assert_eq!(srv.get("started.test", "/hello").status, 200);
}
