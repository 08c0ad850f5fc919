//! Native TLS, black-box: real handshakes from curl, `openssl s_client`, Python's `ssl` and an
//! mbed TLS client, against a server using certificates made for the test (root CA →
//! intermediate → leaves; the server sends the chain, clients trust only the root).
//! Every test is skipped (with a note) when the `openssl` CLI is missing.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::tls::*;
use common::*;
use hbf::Config;

/// A TLS server (plain HTTP too) with the `localhost` certificate chain.
fn start_tls(tweak: impl FnOnce(&mut Config)) -> TestServer {
    let (crt, key) = pki().leaf("localhost");
    start(|c| {
        c.tls_port = Some(0);
        c.tls_cert = Some(crt);
        c.tls_key = Some(key);
        tweak(c);
    })
}

fn tls_addr(srv: &TestServer) -> SocketAddr {
    srv.handle.tls_addr().expect("TLS listener")
}

fn handshakes(srv: &TestServer, result: &str) -> u64 {
    srv.metrics().labelled("handshakes", result)
}

fn active(srv: &TestServer) -> i64 {
    srv.metrics().connections_active.load(SeqCst)
}

fn wait_no_connections(srv: &TestServer) {
    assert!(
        wait_until(IO_TIMEOUT, || active(srv) == 0),
        "connections still open: {}",
        active(srv)
    );
}

/// The server still completes handshakes and answers.
fn assert_healthy(srv: &TestServer) {
    let mut c = tls_connect(tls_addr(srv), Some("localhost")).expect("handshake");
    let resp = c.request(&get_localhost("/hello"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello");
}

fn run(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().expect("wait")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// curl over https to `name` (resolved to the TLS listener), trusting the test root.
fn curl_https(srv: &TestServer, name: &str, path: &str) -> Output {
    let port = tls_addr(srv).port();
    run(
        "curl",
        &[
            "-q",
            "-sS",
            "-i",
            "--noproxy",
            "*",
            "--max-time",
            "10",
            "--cacert",
            pki().ca().to_str().unwrap(),
            "--resolve",
            &format!("{name}:{port}:127.0.0.1"),
            &format!("https://{name}:{port}{path}"),
        ],
        b"",
    )
}

fn s_client(addr: SocketAddr, extra: &[&str], stdin: &[u8]) -> Output {
    let connect = addr.to_string();
    let ca = pki().ca();
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-CAfile",
        ca.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run("openssl", &args, stdin)
}

#[test]
fn curl_gets_https_and_plain_http_is_served_beside_it() {
    if !have_openssl() || !have_program("curl") {
        return;
    }
    let srv = start_tls(|_| {});
    let out = curl_https(&srv, "localhost", "/whoami");
    assert!(out.status.success(), "curl failed: {}", text(&out));
    let resp = &parse_all(&out.stdout)[0];
    assert_eq!(resp.status, 200);
    let who = resp.json();
    assert_eq!(who["secure"], true, "{who}");
    assert_eq!(who["protocol"], "https");
    assert_eq!(who["client_ip"], "127.0.0.1");
    // Plain HTTP on --port at the same time, same handler.
    let resp = srv.client().request(&get("/whoami"));
    assert_eq!(resp.json()["secure"], false);
    // Handshakes are counted and timed.
    assert_eq!(handshakes(&srv, "ok"), 1);
    assert_eq!(srv.metrics().handshake_duration.count(), 1);
    let metrics = srv.admin().request(&get("/metrics")).text();
    assert!(
        metrics.contains("hbf_handshakes_total{result=\"ok\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("hbf_tls_handshake_duration_seconds_count 1\n"));
}

#[test]
fn openssl_s_client_negotiates_tls12_aead_with_alpn_and_no_compression() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|_| {});
    let request = b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let out = s_client(
        tls_addr(&srv),
        &[
            "-servername",
            "localhost",
            "-alpn",
            "h2,http/1.1",
            "-ign_eof",
        ],
        request,
    );
    let all = text(&out);
    assert!(all.contains("Protocol  : TLSv1.2"), "{all}");
    assert!(
        all.contains("Cipher    : ECDHE-ECDSA-AES128-GCM-SHA256"),
        "{all}"
    );
    assert!(all.contains("ALPN protocol: http/1.1"), "{all}");
    assert!(all.contains("Compression: NONE"), "{all}");
    assert!(all.contains("Verify return code: 0 (ok)"), "{all}");
    assert!(all.contains("\r\n\r\nhello"), "no HTTP response in {all}");
    // The RSA certificate gets an ECDHE-RSA AEAD suite; ChaCha20 when the client prefers it.
    let dir = TempDir::new("tls-rsa");
    pki().fill_cert_dir(dir.path(), &[("other.test", "default")]);
    let rsa = start(|c| {
        c.tls_port = Some(0);
        c.tls_cert_dir = Some(dir.path().to_owned());
    });
    let out = s_client(
        tls_addr(&rsa),
        &[
            "-servername",
            "other.test",
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ],
        b"",
    );
    let all = text(&out);
    assert!(
        all.contains("Cipher    : ECDHE-RSA-CHACHA20-POLY1305"),
        "{all}"
    );
    assert!(all.contains("Verify return code: 0 (ok)"), "{all}");
}

#[test]
fn python_ssl_client_gets_a_response() {
    if !have_openssl() || !have_program("python3") {
        return;
    }
    let srv = start_tls(|_| {});
    let script = r#"
import json, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.set_alpn_protocols(["http/1.1"])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"GET /whoami HTTP/1.1\r\nHost: localhost\r\n\r\n")
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        print(json.dumps({"version": s.version(), "alpn": s.selected_alpn_protocol(),
                          "cipher": s.cipher()[0], "data": data.decode()}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(pki().ca())
        .arg(tls_addr(&srv).port().to_string())
        .output()
        .expect("python3");
    assert!(out.status.success(), "python failed: {}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "TLSv1.2", "{v}");
    assert_eq!(v["alpn"], "http/1.1");
    assert!(v["cipher"].as_str().unwrap().contains("GCM"), "{v}");
    let responses = parse_all(v["data"].as_str().unwrap().as_bytes());
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].json()["secure"], true);
    assert_eq!(responses[1].text(), "hello");
}

#[test]
fn sni_picks_the_certificate_from_the_directory() {
    if !have_openssl() {
        return;
    }
    let dir = TempDir::new("tls-sni");
    pki().fill_cert_dir(
        dir.path(),
        &[
            ("localhost", "localhost"),
            ("other.test", "other.test"),
            ("wild.test", "*.wild.test"),
            ("default", "default"),
        ],
    );
    let srv = start(|c| {
        c.tls_port = Some(0);
        c.tls_cert_dir = Some(dir.path().to_owned());
    });
    let addr = tls_addr(&srv);
    for (sni, leaf) in [
        ("localhost", "localhost"),
        ("other.test", "other.test"),
        ("OTHER.test", "other.test"),
        ("a.wild.test", "wild.test"),
    ] {
        let mut c = tls_connect(addr, Some(sni)).unwrap_or_else(|e| panic!("{sni}: {e}"));
        assert_eq!(c.peer_leaf(), leaf, "for SNI {sni}");
        assert_eq!(c.request(&get_localhost("/hello")).status, 200);
    }
    // Unknown names and clients without SNI get the default certificate.
    for sni in [None, Some("unknown.test")] {
        let cfg = client_config(&pki().ca(), false);
        let c = tls_connect_with(addr, sni, cfg).unwrap();
        assert_eq!(c.peer_leaf(), "default", "for SNI {sni:?}");
    }
    // curl checks the name too.
    if have_program("curl") {
        let out = curl_https(&srv, "other.test", "/hello");
        assert!(out.status.success(), "{}", text(&out));
    }
    // `--tls_cert/--tls_key` override default.crt as the default certificate.
    let (crt, key) = pki().leaf("localhost-v2");
    let srv2 = start(|c| {
        c.tls_port = Some(0);
        c.tls_cert_dir = Some(dir.path().to_owned());
        c.tls_cert = Some(crt);
        c.tls_key = Some(key);
    });
    let cfg = client_config(&pki().ca(), false);
    let c = tls_connect_with(tls_addr(&srv2), None, cfg).unwrap();
    assert_eq!(c.peer_leaf(), "localhost-v2");
}

fn install(pki_leaf: &str, dir: &Path) {
    let (crt, key) = pki().leaf(pki_leaf);
    std::fs::copy(crt, dir.join("server.crt")).unwrap();
    std::fs::copy(key, dir.join("server.key")).unwrap();
}

#[test]
fn reload_tls_swaps_the_certificate_for_new_connections_only() {
    if !have_openssl() {
        return;
    }
    let dir = TempDir::new("tls-reload");
    install("localhost", dir.path());
    let srv = start(|c| {
        c.tls_port = Some(0);
        c.tls_cert = Some(dir.path().join("server.crt"));
        c.tls_key = Some(dir.path().join("server.key"));
    });
    let addr = tls_addr(&srv);
    let mut old = tls_connect(addr, Some("localhost")).unwrap();
    assert_eq!(old.peer_leaf(), "localhost");
    assert_eq!(old.request(&get_localhost("/hello")).status, 200);

    install("localhost-v2", dir.path());
    srv.handle.reload_tls().expect("reload");
    let mut new = tls_connect(addr, Some("localhost")).unwrap();
    assert_eq!(new.peer_leaf(), "localhost-v2");
    assert_eq!(new.request(&get_localhost("/hello")).status, 200);
    // The connection opened before the reload keeps working (and keeps its session).
    assert_eq!(old.request(&get_localhost("/hello")).text(), "hello");

    // A broken reload is refused, names the file, and leaves the current certificate in use.
    std::fs::write(dir.path().join("server.key"), "not a key").unwrap();
    let err = srv.handle.reload_tls().unwrap_err().to_string();
    assert!(
        err.starts_with("--tls_key: cannot parse") && err.contains("server.key"),
        "{err}"
    );
    let c = tls_connect(addr, Some("localhost")).unwrap();
    assert_eq!(c.peer_leaf(), "localhost-v2");
    assert_eq!(old.request(&get_localhost("/hello")).status, 200);
}

#[test]
fn sighup_reloads_certificates_of_the_hbf_binary() {
    if !have_openssl() {
        return;
    }
    let dir = TempDir::new("tls-sighup");
    install("localhost", dir.path());
    let crt = dir.path().join("server.crt");
    let key = dir.path().join("server.key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args(["serve", "--port", "0", "--tls_port", "0", "--workers", "1"])
        .args(["--admin_bind", ""])
        .args(["--log_level", "info", "--access_log", "false"])
        .arg("--tls_cert")
        .arg(&crt)
        .arg("--tls_key")
        .arg(&key)
        .arg("--storage_dir")
        .arg(dir.path().join("henvs"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hbf");
    let pid = child.id().to_string();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr: SocketAddr = loop {
        line.clear();
        let n = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(n > 0, "hbf exited before listening");
        if line.contains("\"listening\"") {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            break v["tls_addr"].as_str().unwrap().parse().unwrap();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    let log = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    let health = b"GET /_hbf/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut old = tls_connect(addr, Some("localhost")).unwrap();
    assert_eq!(old.peer_leaf(), "localhost");
    assert_eq!(old.request(health).status, 200);

    install("localhost-v2", dir.path());
    let kill = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(kill.success());
    assert!(
        wait_until(IO_TIMEOUT, || {
            tls_connect(addr, Some("localhost")).is_ok_and(|c| c.peer_leaf() == "localhost-v2")
        }),
        "SIGHUP did not switch to the new certificate"
    );
    assert_eq!(old.request(health).status, 200, "old connection survives");

    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(status.success(), "hbf exited with {status}: {log}");
    assert!(log.contains("tls certificates reloaded"), "{log}");
}

#[test]
fn plaintext_http_to_the_tls_port_is_closed_without_harm() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|_| {});
    let mut c = Client::connect(tls_addr(&srv));
    c.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let (bytes, _end) = c.read_to_end();
    assert!(
        bytes.is_empty() || bytes[0] == 0x15,
        "expected nothing or a TLS alert, got {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(wait_until(IO_TIMEOUT, || handshakes(&srv, "not_tls") == 1));
    assert_healthy(&srv);
    wait_no_connections(&srv);
}

/// A real ClientHello record, from the mbed TLS client talking to a listener that never answers
/// (so the bytes are exactly one first flight, whatever the timing).
fn client_hello() -> Vec<u8> {
    let fake = TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = TcpStream::connect(fake.local_addr().unwrap()).unwrap();
    let (mut peer, _) = fake.accept().unwrap();
    stream.set_nonblocking(true).unwrap();
    let mut ctx = mbedtls::ssl::Context::new(client_config(&pki().ca(), true));
    let err = ctx.establish(stream, Some("localhost")).unwrap_err();
    assert_eq!(
        err.high_level(),
        Some(mbedtls::error::codes::SslWantRead),
        "{err}"
    );
    peer.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut record = vec![0u8; 5];
    peer.read_exact(&mut record).unwrap();
    assert_eq!(record[0], 0x16, "a handshake record");
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    record.resize(5 + len, 0);
    peer.read_exact(&mut record[5..]).unwrap();
    record
}

#[test]
fn aborted_handshakes_and_garbage_records_leave_the_server_healthy() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|_| {});
    let addr = tls_addr(&srv);

    // 1. Truncated ClientHello, then the client goes away.
    let mut c = Client::connect(addr);
    let mut partial = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    partial.extend_from_slice(&[0x42; 40]);
    c.send(&partial);
    c.shutdown_write();
    let _ = c.read_to_end();
    drop(c);

    // 2. A real ClientHello, the server's answer read, then the client vanishes mid-handshake.
    let mut c = Client::connect(addr);
    c.send(&client_hello());
    let mut first = [0u8; 1];
    c.stream
        .read_exact(&mut first)
        .expect("the server's first flight");
    assert_eq!(first[0], 0x16, "ServerHello");
    drop(c);

    // 3. A handshake record that is not a ClientHello.
    let mut c = Client::connect(addr);
    c.send(&[0x16, 0x03, 0x03, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let _ = c.read_to_end();

    // 4. A record header claiming more than the maximum record size.
    let mut c = Client::connect(addr);
    c.send(&[0x16, 0x03, 0x03, 0xff, 0xff, 0x01, 0x02, 0x03]);
    let _ = c.read_to_end();

    // 5. Garbage application data after a completed handshake: the MAC check fails.
    let mut tls = tls_connect(addr, Some("localhost")).unwrap();
    assert_eq!(tls.request(&get_localhost("/hello")).status, 200);
    let mut garbage = vec![0x17, 0x03, 0x03, 0x00, 0x30];
    garbage.extend((0..0x30u8).map(|i| i.wrapping_mul(37)));
    tls.raw.write_all(&garbage).unwrap();
    let mut rest = Vec::new();
    let _ = tls.raw.read_to_end(&mut rest); // an alert (or nothing), then the close
    assert!(
        rest.is_empty() || rest[0] == 0x15,
        "expected a TLS alert, got {rest:?}"
    );

    // 6. Garbage in place of a ClientHello from a client that then waits silently.
    let mut c = Client::connect(addr);
    c.send(&[0x16, 0x00, 0x00, 0x00, 0x00, 0x00]);
    let _ = c.read_to_end();

    // 1 and 2 end as `eof` (or `io` had the kernel turned the close into a reset).
    assert!(
        wait_until(IO_TIMEOUT, || handshakes(&srv, "eof")
            + handshakes(&srv, "io")
            == 2),
        "aborted handshakes not counted"
    );
    assert_eq!(
        handshakes(&srv, "bad_message"),
        3,
        "bad handshakes not counted"
    );
    assert_eq!(handshakes(&srv, "ok"), 1);
    assert_healthy(&srv);
    wait_no_connections(&srv);
}

#[test]
fn the_handshake_deadline_closes_silent_and_stalled_clients() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|c| c.tls_handshake_timeout_ms = 300);
    let addr = tls_addr(&srv);
    let began = Instant::now();
    let mut silent = Client::connect(addr);
    let mut stalled = Client::connect(addr);
    stalled.send(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]); // half a ClientHello, then nothing
    let (bytes, _) = silent.read_to_end();
    assert!(bytes.is_empty());
    let _ = stalled.read_to_end();
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "closed after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    assert!(wait_until(IO_TIMEOUT, || handshakes(&srv, "timeout") == 2));
    assert_eq!(srv.metrics().labelled("timeouts", "handshake"), 2);
    wait_no_connections(&srv);
    assert_healthy(&srv);
}

#[test]
fn tls_1_0_and_1_1_and_non_aead_suites_are_refused() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|_| {});
    let addr = tls_addr(&srv);
    // SECLEVEL=0 so that the client really offers the old protocol.
    for version in ["-tls1", "-tls1_1"] {
        let out = s_client(addr, &[version, "-cipher", "DEFAULT@SECLEVEL=0"], b"");
        assert!(!out.status.success(), "{version} accepted: {}", text(&out));
        assert!(
            !text(&out).contains("Cipher is ECDHE"),
            "{version} negotiated: {}",
            text(&out)
        );
    }
    assert!(wait_until(IO_TIMEOUT, || handshakes(&srv, "version") == 2));
    // TLS 1.2 with only CBC or static-RSA suites: no shared cipher.
    for suite in ["AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"] {
        let out = s_client(addr, &["-tls1_2", "-cipher", suite], b"");
        assert!(!out.status.success(), "{suite} accepted: {}", text(&out));
    }
    assert!(wait_until(IO_TIMEOUT, || handshakes(
        &srv,
        "no_shared_cipher"
    ) == 2));
    assert_eq!(handshakes(&srv, "ok"), 0);
    assert_healthy(&srv);
}

#[test]
fn a_handshake_flood_is_bounded_by_max_conn_and_the_deadline() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|c| {
        c.max_conn = 3;
        c.tls_handshake_timeout_ms = 1_000;
    });
    let addr = tls_addr(&srv);
    let idle: Vec<Client> = (0..3).map(|_| Client::connect(addr)).collect();
    assert!(wait_until(IO_TIMEOUT, || active(&srv) == 3));
    // Past max_conn the TLS port closes at once (a plain-text 503 would be noise to TLS),
    // while the three silent clients still hold their slots.
    let mut extra = Client::connect(addr);
    let (bytes, _) = extra.read_to_end();
    assert!(bytes.is_empty());
    assert_eq!(
        srv.metrics().labelled("connections_rejected", "max_conn"),
        1
    );
    assert_eq!(
        handshakes(&srv, "timeout"),
        0,
        "refused at once, not at the deadline"
    );
    // The deadline frees the slots; then a real client gets in.
    for mut c in idle {
        let _ = c.read_to_end();
    }
    wait_no_connections(&srv);
    assert_eq!(handshakes(&srv, "timeout"), 3);
    assert_healthy(&srv);
}

#[test]
fn big_bodies_pipelining_and_close_notify() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|_| {});
    let mut c = tls_connect(tls_addr(&srv), Some("localhost")).unwrap();
    // Three requests in one TLS record: all three are in mbed TLS's buffer after one read.
    let mut three = get_localhost("/hello");
    three.extend(get_localhost("/whoami"));
    three.extend(get_localhost("/hello"));
    c.send(&three);
    assert_eq!(c.read_response().text(), "hello");
    assert_eq!(c.read_response().json()["secure"], true);
    assert_eq!(c.read_response().text(), "hello");
    // A 1 MiB upload (many records) and a 3 MB download (many partial writes).
    let body: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    let mut req =
        b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    req.extend_from_slice(&body);
    let resp = c.request(&req);
    assert_eq!(resp.status, 200);
    assert!(resp.body == body, "echoed body differs");
    let resp = c.request(&get_localhost("/big?bytes=3000000"));
    assert_eq!(resp.body.len(), 3_000_000);
    // `Connection: close`: the response, then close_notify (a clean end, not a TCP EOF).
    c.send(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let resp = c.read_response();
    assert!(resp.says_close());
    let rest = c
        .read_to_close()
        .expect("close_notify after the last response");
    assert!(rest.is_empty());
    // A graceful stop sends close_notify on idle keep-alive connections.
    let mut idle = tls_connect(tls_addr(&srv), Some("localhost")).unwrap();
    assert_eq!(idle.request(&get_localhost("/hello")).status, 200);
    srv.handle.stop();
    let rest = idle.read_to_close().expect("close_notify at stop");
    assert!(rest.is_empty());
}

#[test]
fn redirect_to_https_and_hsts() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|c| {
        c.redirect_http_to_https = true;
        c.hsts_max_age = 600;
    });
    let tls_port = tls_addr(&srv).port();
    let resp = srv.client().request(
        format!(
            "POST /form?x=1 HTTP/1.1\r\nHost: localhost:{}\r\nContent-Length: 0\r\n\r\n",
            srv.addr.port()
        )
        .as_bytes(),
    );
    assert_eq!(resp.status, 308);
    assert_eq!(
        resp.header("location"),
        Some(format!("https://localhost:{tls_port}/form?x=1").as_str())
    );
    assert!(!resp.has_header("strict-transport-security"));
    assert_eq!(
        srv.probe.started(),
        0,
        "redirected requests never reach the handler"
    );
    // Built-ins still answer on the plain port (local health checks).
    assert_eq!(srv.client().request(&get("/_hbf/health")).status, 200);
    // HTTPS responses carry HSTS.
    let mut c = tls_connect(tls_addr(&srv), Some("localhost")).unwrap();
    let resp = c.request(&get_localhost("/hello"));
    assert_eq!(
        resp.header("strict-transport-security"),
        Some("max-age=600")
    );
}

#[test]
fn tls_only_serves_no_plain_http() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|c| c.tls_only = true);
    assert_eq!(srv.handle.local_addr(), tls_addr(&srv));
    assert_healthy(&srv);
}

fn start_error(tweak: impl FnOnce(&mut Config)) -> String {
    let dir = TempDir::new("tls-err");
    let mut config = test_config(dir.path());
    config.tls_port = Some(0);
    tweak(&mut config);
    match hbf::Server::new(config).start() {
        Ok(_) => panic!("server started"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unreadable_or_mismatched_certificates_are_startup_errors_naming_the_file() {
    if !have_openssl() {
        return;
    }
    let (crt, key) = pki().leaf("localhost");
    let (_, other_key) = pki().leaf("other.test");
    let err = start_error(|c| {
        c.tls_cert = Some(crt.clone());
        c.tls_key = Some("/nonexistent/key.pem".into());
    });
    assert!(
        err.starts_with("--tls_key: cannot read /nonexistent/key.pem: No such file"),
        "{err}"
    );
    let err = start_error(|c| {
        c.tls_cert = Some(crt.clone());
        c.tls_key = Some(other_key.clone());
    });
    assert!(
        err.starts_with("--tls_key: ") && err.contains("does not match the certificate in"),
        "{err}"
    );
    let err = start_error(|c| {
        c.tls_cert = Some(key.clone()); // a key is not a certificate
        c.tls_key = Some(key.clone());
    });
    assert!(err.starts_with("--tls_cert: cannot parse"), "{err}");
    let empty = TempDir::new("tls-empty-dir");
    let err = start_error(|c| c.tls_cert_dir = Some(empty.path().to_owned()));
    assert!(
        err.starts_with("--tls_cert_dir: ") && err.contains("no default.crt"),
        "{err}"
    );
    // The binary reports the same line and fails.
    let out = Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args([
            "serve",
            "--port",
            "0",
            "--tls_port",
            "0",
            "--admin_bind",
            "",
        ])
        .arg("--tls_cert")
        .arg(&crt)
        .arg("--tls_key")
        .arg(&other_key)
        .arg("--storage_dir")
        .arg(empty.path().join("henvs"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hbf: --tls_key: "), "{stderr}");
}

#[test]
fn session_tickets_resume_without_a_full_handshake() {
    if !have_openssl() {
        return;
    }
    let srv = start_tls(|_| {});
    let dir = TempDir::new("tls-sess");
    let sess = dir.path().join("session.pem");
    let sess = sess.to_str().unwrap();
    let request = b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let first = s_client(
        tls_addr(&srv),
        &["-servername", "localhost", "-sess_out", sess, "-ign_eof"],
        request,
    );
    let all = text(&first);
    assert!(all.contains("New, TLSv1.2"), "{all}");
    assert!(
        all.contains("TLS session ticket lifetime hint: 3600"),
        "{all}"
    );
    let again = s_client(
        tls_addr(&srv),
        &["-servername", "localhost", "-sess_in", sess, "-ign_eof"],
        request,
    );
    let all = text(&again);
    assert!(all.contains("Reused, TLSv1.2"), "{all}");
    assert!(all.contains("\r\n\r\nhello"), "no HTTP response in {all}");
    // A reload keeps the ticket keys: the session still resumes.
    srv.handle.reload_tls().expect("reload");
    let after = s_client(
        tls_addr(&srv),
        &["-servername", "localhost", "-sess_in", sess],
        b"",
    );
    assert!(text(&after).contains("Reused, TLSv1.2"), "{}", text(&after));
    // Tickets off: every connection is a full handshake.
    let off = start_tls(|c| c.tls_ticket_lifetime_secs = 0);
    let out = s_client(tls_addr(&off), &["-sess_out", sess], b"");
    assert!(!text(&out).contains("session ticket lifetime hint"));
    let out = s_client(tls_addr(&off), &["-sess_in", sess], b"");
    assert!(text(&out).contains("New, TLSv1.2"), "{}", text(&out));
}

#[test]
fn handshakes_run_on_the_loop_when_the_pool_is_off() {
    if !have_openssl() || !have_program("curl") {
        return;
    }
    for threads in [0, 3] {
        let srv = start_tls(|c| c.tls_handshake_threads = threads);
        for _ in 0..3 {
            let out = curl_https(&srv, "localhost", "/hello");
            assert!(out.status.success(), "curl failed: {}", text(&out));
            assert_eq!(parse_all(&out.stdout)[0].text(), "hello");
        }
        assert_eq!(handshakes(&srv, "ok"), 3, "threads={threads}");
        assert_healthy(&srv);
    }
}
