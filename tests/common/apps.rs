//! A real server running henv apps (`AppHandler`) over a throwaway storage directory, and the
//! requests the app tests send it.

use std::net::SocketAddr;
use std::path::Path;

use hbf::js::{AppConfig, AppHandler};
use hbf::{db, henv, Config, Server, ServerHandle};

use super::{Client, Resp, TempDir};

/// A running server whose default host (`localhost`) is the henv in `dir`.
pub struct AppServer {
    pub handle: ServerHandle,
    pub addr: SocketAddr,
    pub dir: TempDir,
}

/// Starts a server over `dir` (its henvs already set up) with two workers and no access log;
/// `tweak` adjusts the configuration, `dev` puts error details in responses.
pub fn start_app_server(dir: TempDir, dev: bool, tweak: impl FnOnce(&mut Config)) -> AppServer {
    let mut config = Config {
        workers: 2,
        access_log: false,
        dev,
        ..Config::ephemeral(dir.path())
    };
    tweak(&mut config);
    let handler = AppHandler::new(AppConfig {
        storage_dir: dir.path().to_path_buf(),
        default_host: "localhost".into(),
        mem_limit_bytes: config.qjs_mem_mb * 1024 * 1024,
        dev: config.dev,
    });
    let handle = Server::new(config)
        .handler(handler)
        .start()
        .expect("server starts");
    let addr = handle.local_addr();
    AppServer { handle, addr, dir }
}

/// Writes a file into the `localhost` henv through a separate connection (as `hbf import`
/// would).
pub fn put_file(storage: &Path, path: &str, content: &[u8]) {
    let (conn, _) = henv::open_henv(storage, "localhost").expect("open henv");
    db::put_file(&conn, path, content).expect("put file");
}

impl AppServer {
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], b"")
    }

    /// One request on a new connection, `Host: localhost`, with a Content-Length.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut raw = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (n, v) in headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        raw.push_str("\r\n");
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        let mut c = self.client();
        if method == "HEAD" {
            c.send(&bytes);
            c.read_head_response()
        } else {
            c.request(&bytes)
        }
    }

    pub fn post_json(&self, path: &str, json: &str) -> Resp {
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            json.as_bytes(),
        )
    }

    /// Replaces a file in the henv through a separate connection.
    pub fn put(&self, path: &str, content: &[u8]) {
        put_file(self.dir.path(), path, content);
    }
}

/// `hbf import SRC` into the `localhost` henv of `storage`, with the real binary; panics with
/// its error output if it fails.
pub fn hbf_import(src: &Path, storage: &Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hbf"))
        .arg("import")
        .arg(src)
        .args(["--host", "localhost", "--storage_dir"])
        .arg(storage)
        .output()
        .expect("run hbf import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets the `localhost` henv's `workers` setting (a Node cluster of `n`) through a separate
/// connection, and waits until the server has seen the write.
pub fn set_henv_workers(storage: &Path, n: usize) {
    let (conn, _) = henv::open_henv(storage, "localhost").expect("open henv");
    conn.execute(
        "INSERT OR REPLACE INTO _hbf_config (key, value) VALUES ('workers', ?1)",
        [n.to_string()],
    )
    .expect("set workers");
    std::thread::sleep(std::time::Duration::from_millis(150)); // (outside writes are seen within 100 ms)
}
