//! Behind a real nginx (Debian package `nginx`, installed by scripts/install-deps.sh) on
//! loopback: nginx terminates TLS and proxies to two HBF servers, one that trusts it
//! (`--trust_proxy 127.0.0.1/32`) and one that does not. The client reaches nginx from
//! 127.0.0.2, so the address nginx forwards differs from nginx's own. Skipped (with a note) when
//! nginx, curl or openssl is missing.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::tls::*;
use common::*;

/// nginx as the test runs it: its own prefix, config, pid and logs in a temp dir, no daemon.
struct Nginx {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "nginx"].into_iter().find(|p| {
        Command::new(p)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `location` block docs/deploy.md recommends, pointed at `upstream`.
fn location(prefix: &str, upstream: &str) -> String {
    format!(
        r#"
        location {prefix} {{
            proxy_pass http://{upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
            proxy_send_timeout 60s;
        }}"#
    )
}

fn start_nginx(bin: &str, trusting: SocketAddr, not_trusting: SocketAddr) -> Nginx {
    let (crt, key) = pki().leaf("localhost");
    for _attempt in 0..5 {
        let dir = TempDir::new("nginx");
        let d = dir.path().display();
        let port = free_port();
        let conf = format!(
            r#"
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream hbf_trusting {{ server {trusting}; keepalive 8; }}
    upstream hbf_not_trusting {{ server {not_trusting}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name app.test;
        ssl_certificate {crt};
        ssl_certificate_key {key};
        client_max_body_size 10m;
        {trusted}
        {untrusted}
    }}
}}
"#,
            crt = crt.display(),
            key = key.display(),
            trusted = location("/trusted/", "hbf_trusting"),
            untrusted = location("/untrusted/", "hbf_not_trusting"),
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        let mut nginx = Nginx { child, port, dir };
        let deadline = Instant::now() + IO_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = nginx.child.try_wait() {
                break; // exited: most likely the port was taken meanwhile; try another
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return nginx;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let log = std::fs::read_to_string(nginx.dir.path().join("error.log")).unwrap_or_default();
        eprintln!("nginx did not start on port {port}: {log}");
    }
    panic!("nginx would not start");
}

/// curl from 127.0.0.2 with extra `args`; returns the one response.
fn curl_from_127_0_0_2(args: &[&str]) -> Resp {
    let out = Command::new("curl")
        .args(["-q", "-sS", "-i", "--noproxy", "*", "--max-time", "10"])
        .args(["--interface", "127.0.0.2"])
        .args(args)
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all = parse_all(&out.stdout);
    all.pop().expect("a response")
}

fn via_nginx(nginx: &Nginx, path: &str, extra: &[&str]) -> Resp {
    let port = nginx.port;
    let ca = pki().ca();
    let resolve = format!("app.test:{port}:127.0.0.1");
    let url = format!("https://app.test:{port}{path}");
    let mut args = vec!["--cacert", ca.to_str().unwrap(), "--resolve", &resolve];
    args.extend_from_slice(extra);
    args.push(&url);
    curl_from_127_0_0_2(&args)
}

#[test]
fn forwarded_headers_are_honoured_from_the_trusted_nginx_only() {
    let Some(bin) = nginx_binary() else {
        eprintln!("note: nginx not found; skipping this test");
        return;
    };
    if !have_openssl() || !have_program("curl") {
        return;
    }
    let trusting = start(|c| c.trust_proxy = vec!["127.0.0.1/32".parse().unwrap()]);
    let not_trusting = start(|c| c.trust_proxy = vec!["10.0.0.0/8".parse().unwrap()]);
    let nginx = start_nginx(bin, trusting.addr, not_trusting.addr);

    // Through nginx to the server that trusts it: the original client, scheme and host, even
    // when the client tries to inject its own X-Forwarded-For (nginx appends the real one).
    let resp = via_nginx(
        &nginx,
        "/trusted/whoami",
        &["-H", "X-Forwarded-For: 6.6.6.6"],
    );
    assert_eq!(resp.status, 200);
    let who = resp.json();
    assert_eq!(who["client_ip"], "127.0.0.2", "{who}");
    assert_eq!(who["secure"], true, "{who}");
    assert_eq!(who["protocol"], "https", "{who}");
    assert_eq!(who["host"], "app.test", "{who}");
    assert!(
        who["peer"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{who}"
    );

    // The same through nginx to a server that does not trust it: the proxy is the client.
    let who = via_nginx(&nginx, "/untrusted/whoami", &[]).json();
    assert_eq!(who["client_ip"], "127.0.0.1", "{who}");
    assert_eq!(who["secure"], false, "{who}");

    // A big body and keep-alive to the upstream work through the proxy.
    let body = vec![b'z'; 3 << 20];
    let body_file = nginx.dir.path().join("body.bin");
    std::fs::write(&body_file, &body).unwrap();
    let data = format!("@{}", body_file.display());
    let resp = via_nginx(
        &nginx,
        "/trusted/echo",
        &[
            "--data-binary",
            &data,
            "-H",
            "Content-Type: application/octet-stream",
        ],
    );
    assert_eq!(resp.status, 200);
    assert!(resp.body == body, "body changed through the proxy");

    // Straight to the trusting server from an address it does not trust: forged headers are
    // ignored.
    let forged = [
        "-H",
        "X-Forwarded-For: 203.0.113.9",
        "-H",
        "X-Forwarded-Proto: https",
        "-H",
        "X-Forwarded-Host: forged.test",
        "-H",
        "Forwarded: for=203.0.113.10;proto=https;host=forged2.test",
    ];
    let url = format!("http://{}/whoami", trusting.addr);
    let mut args = forged.to_vec();
    args.push(&url);
    let who = curl_from_127_0_0_2(&args).json();
    assert_eq!(who["client_ip"], "127.0.0.2", "{who}");
    assert_eq!(who["secure"], false, "{who}");
    assert_eq!(who["host"], trusting.addr.to_string(), "{who}");

    // From the trusted address the same headers are believed (trust is by peer address).
    let mut c = trusting.client();
    let resp = c.request(
        b"GET /whoami HTTP/1.1\r\nHost: internal\r\nX-Forwarded-For: 203.0.113.9\r\n\
          X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.test\r\n\r\n",
    );
    let who = resp.json();
    assert_eq!(who["client_ip"], "203.0.113.9", "{who}");
    assert_eq!(who["secure"], true, "{who}");
    assert_eq!(who["host"], "app.test", "{who}");
    assert_nginx_log_clean(nginx.dir.path());
}

fn assert_nginx_log_clean(dir: &Path) {
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert!(
        !log.contains("[error]") && !log.contains("[crit]"),
        "nginx logged errors: {log}"
    );
}
