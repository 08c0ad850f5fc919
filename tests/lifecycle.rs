//! Server lifecycle: graceful stop, resource hygiene over many start/stop cycles, and the `hbf`
//! binary's command line and signal handling.
//!
//! Every test here takes `serial()` first: the leak test counts this process's descriptors and
//! threads, which other tests running alongside would disturb.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::*;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn graceful_stop_finishes_the_in_flight_request() {
    let _serial = serial();
    let srv = start_default();
    let addr = srv.addr;
    let mut c = srv.client();
    c.send(&get("/sleep?ms=500"));
    assert!(wait_until(IO_TIMEOUT, || srv.probe.started() == 1));
    srv.handle.stop();
    // New connections are refused once the stop has begun...
    assert!(
        wait_until(IO_TIMEOUT, || TcpStream::connect(addr).is_err()),
        "listener still accepting after stop()"
    );
    // ...while the in-flight request still gets its whole response, and the connection ends.
    let resp = c.read_response();
    assert_eq!((resp.status, resp.text().as_str()), (200, "slept 500"));
    assert!(
        resp.says_close(),
        "a response during shutdown must close: {resp:?}"
    );
    c.expect_closed();
    drop(c);
    let TestServer { handle, dir, .. } = srv;
    handle.wait().expect("clean stop");
    assert!(TcpStream::connect(addr).is_err());
    drop(dir);
}

#[test]
fn stop_closes_idle_keep_alive_connections() {
    let _serial = serial();
    let srv = start_default();
    let mut used = srv.client();
    assert_eq!(used.request(&get("/hello")).status, 200);
    let mut fresh = srv.client();
    // Make sure the fresh connection is registered before stopping.
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .connections_active
        .load(SeqCst)
        == 2));
    srv.handle.stop();
    used.expect_closed();
    fresh.expect_closed();
    srv.stop_and_wait().expect("clean stop");
}

#[test]
fn stop_closes_a_keep_alive_connection_once_its_response_is_written() {
    let _serial = serial();
    let srv = start_default();
    let mut c = srv.client();
    // A response far larger than the socket buffers: it is still being written at stop().
    const BIG: usize = 32 << 20;
    c.send(&get(&format!("/big?bytes={BIG}")));
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut c.stream, &mut first).expect("response starts");
    c.buf.push(first[0]);
    srv.handle.stop();
    let resp = c.read_response();
    assert_eq!((resp.status, resp.body.len()), (200, BIG));
    // The connection was keep-alive when the response began; stopping closes it now.
    c.expect_closed();
    srv.stop_and_wait().expect("clean stop");
}

#[test]
fn stop_with_nothing_open_returns_at_once() {
    let _serial = serial();
    let srv = start_default();
    assert_eq!(srv.client().request(&get_close("/_hbf/health")).status, 200);
    srv.stop_and_wait().expect("clean stop");
}

#[test]
fn start_stop_100_times_leaks_no_fd_thread_or_memory() {
    let _serial = serial();
    let dir = TempDir::new("cycle");
    let cycle = || {
        let handle = hbf::Server::new(test_config(dir.path()))
            .handler(TestHandler::default())
            .start()
            .expect("server starts");
        let mut c = Client::connect(handle.local_addr());
        assert_eq!(c.request(&get("/hello")).status, 200);
        assert_eq!(c.request(&get("/_hbf/health")).status, 200);
        handle.stop();
        c.expect_closed();
        handle.wait().expect("clean stop");
    };
    // Warm up lazily initialised process state (allocator arenas, std's statics).
    for _ in 0..5 {
        cycle();
    }
    let (fds, threads, rss) = (open_fds(), thread_count(), rss_kib());
    for _ in 0..100 {
        cycle();
    }
    let (fds_after, threads_after, rss_after) = (open_fds(), thread_count(), rss_kib());
    // Slack: a leak shows as ~100 (one per cycle); libtest may start a few test threads (which
    // then wait on `serial()`) meanwhile.
    assert!(
        fds_after <= fds + 3,
        "descriptors: {fds} before, {fds_after} after 100 cycles"
    );
    assert!(
        threads_after <= threads + 8,
        "threads: {threads} before, {threads_after} after"
    );
    // Measured growth is ~100 KiB; leaking one 64 KiB read buffer per cycle would be 6 MiB.
    assert!(
        rss_after <= rss + 4 * 1024,
        "resident memory grew from {rss} KiB to {rss_after} KiB over 100 cycles"
    );
}

// --- the binary -------------------------------------------------------------------------------

fn hbf() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hbf"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HBF_") {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs `hbf args`, expecting a non-zero exit and one stderr line naming `flag`.
fn assert_usage_error(args: &[&str], flag: &str) {
    let out = hbf().args(args).output().expect("run hbf");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "hbf {args:?} succeeded; stderr {stderr:?}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "hbf {args:?}: expected one stderr line, got {stderr:?}"
    );
    assert!(
        lines[0].contains(flag),
        "hbf {args:?}: {:?} does not name {flag}",
        lines[0]
    );
    assert!(out.stdout.is_empty(), "hbf {args:?} wrote to stdout");
}

#[test]
fn bad_flags_exit_non_zero_with_one_line_naming_the_flag() {
    let _serial = serial();
    let dir = TempDir::new("cli");
    let storage = dir.path().to_str().unwrap();
    assert_usage_error(
        &["serve", "--port", "70000", "--storage_dir", storage],
        "--port",
    );
    assert_usage_error(
        &[
            "serve",
            "--port",
            "0",
            "--log_level",
            "nope",
            "--storage_dir",
            storage,
        ],
        "--log_level",
    );
    assert_usage_error(
        &["serve", "--port", "0", "--storage_dir", "/proc/x"],
        "--storage_dir",
    );
    assert_usage_error(
        &[
            "serve",
            "--port",
            "0",
            "--max_headers",
            "0",
            "--storage_dir",
            storage,
        ],
        "--max_headers",
    );
    assert_usage_error(&["serve", "--no_such_flag"], "--no_such_flag");
}

#[test]
fn help_succeeds_and_lists_the_flags() {
    let _serial = serial();
    let out = hbf().arg("--help").output().expect("run hbf");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve"), "{text}");
    let out = hbf().args(["serve", "--help"]).output().expect("run hbf");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--port",
        "--bind",
        "--storage_dir",
        "--log_level",
        "--max_conn",
        "--header_timeout_ms",
        "--max_body_bytes",
    ] {
        assert!(
            text.contains(flag),
            "serve --help does not mention {flag}:\n{text}"
        );
    }
    let out = hbf().arg("--version").output().expect("run hbf");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(hbf::VERSION));
}

/// Kills the child if the test fails before it exits.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_stops_the_binary_cleanly() {
    let _serial = serial();
    let dir = TempDir::new("bin");
    let child = hbf()
        .args([
            "serve",
            "--port",
            "0",
            "--log_level",
            "info",
            "--workers",
            "2",
            "--admin_bind",
            "127.0.0.1:0",
        ])
        .arg("--storage_dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hbf serve");
    let mut child = Reap(child);
    // Forward stderr lines; keep draining so the server never blocks on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let (addr, admin) = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no \"listening\" log line; stderr so far: {seen:#?}"));
        seen.push(line.clone());
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["msg"] == "listening" {
            let field = |name: &str| {
                v[name]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name} field in {v}"))
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
            };
            break (field("addr"), field("admin_addr"));
        }
    };
    let resp = Client::connect(admin).request(&get_close("/health"));
    assert_eq!(resp.json()["version"], hbf::VERSION);
    let mut c = Client::connect(addr);
    let resp = c.request(&get("/_hbf/health"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["status"], "ok");
    // An idle keep-alive connection is open when the signal arrives.
    let pid = child.0.id() as libc::pid_t;
    // SAFETY: kill(2) with a valid signal number has no memory-safety requirements.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    c.expect_closed();
    let status =
        wait_exit(&mut child.0, Duration::from_secs(10)).expect("hbf did not exit after SIGTERM");
    assert!(status.success(), "hbf exited with {status}");
    drop(rx);
    reader.join().unwrap();
}
