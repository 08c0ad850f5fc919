//! The real `hbf` binary as a child process, for the operations tests (crash, backup,
//! restore): spawn `hbf serve` on ephemeral ports, read the addresses from its "listening"
//! log line, SIGKILL or stop it; run one-shot CLI commands; a minimal HTTP/1.1 client that
//! reports whether a response was received at all (a crash test must know exactly which
//! writes were acknowledged).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `hbf` binary under test.
pub fn hbf_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hbf"))
}

/// The repository root (apps under `stress/apps/`).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `hbf ARGS...` to completion; panics with its output when it fails.
pub fn hbf_ok(args: &[&str]) -> Output {
    let out = Command::new(hbf_bin())
        .args(args)
        .output()
        .expect("run hbf");
    assert!(
        out.status.success(),
        "hbf {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A running `hbf serve`. Killed (SIGKILL) on drop if still running.
pub struct HbfProcess {
    child: Child,
    pub addr: SocketAddr,
    pub admin: Option<SocketAddr>,
}

impl HbfProcess {
    /// Starts `hbf serve --port 0 --admin_bind 127.0.0.1:0 --log_level info --storage_dir DIR
    /// EXTRA...` and waits for its "listening" line.
    pub fn serve(storage: &Path, extra: &[&str]) -> HbfProcess {
        let mut child = Command::new(hbf_bin())
            .args(["serve", "--port", "0", "--admin_bind", "127.0.0.1:0"])
            .args(["--log_level", "info", "--access_log", "false"])
            .arg("--storage_dir")
            .arg(storage)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hbf serve");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = mpsc::channel::<String>();
        // Drains the log for the life of the process, so the server never blocks on the pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut seen = Vec::new();
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("hbf serve did not log \"listening\"; log: {seen:#?}");
                }
            };
            seen.push(line.clone());
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["msg"] == "listening" {
                let addr = v["addr"].as_str().and_then(|a| a.parse().ok());
                let admin = v["admin_addr"].as_str().and_then(|a| a.parse().ok());
                return HbfProcess {
                    child,
                    addr: addr.expect("addr in the listening line"),
                    admin,
                };
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reap.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (graceful stop), then reap; panics if it does not exit within 15 s.
    pub fn stop(mut self) {
        // SAFETY: kill(2) with a valid pid and signal number has no memory-safety requirements.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        for _ in 0..150 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("hbf serve did not stop within 15 s of SIGTERM");
    }
}

impl Drop for HbfProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on a fresh connection (`Connection: close`). `Ok((status, body))` only when a
/// complete response was received; any I/O error or truncation is `Err`.
pub fn http(
    addr: SocketAddr,
    method: &str,
    host: &str,
    path: &str,
    json: Option<&serde_json::Value>,
) -> io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    let body = json.map(|j| j.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if json.is_some() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no complete head"))?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    let length = head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    if length.is_some_and(|n| n != body.len()) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "truncated body",
        ));
    }
    Ok((status, body.to_owned()))
}

/// A small deterministic PRNG (xorshift64*), so a failing run can be replayed from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// A seed from `HBF_TEST_SEED` or the clock.
    pub fn seed_from_env() -> u64 {
        std::env::var("HBF_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi` (hi > lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}
