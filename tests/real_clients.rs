//! Real HTTP clients against the server: curl and Python's http.client. Each test is skipped
//! (with a note on stderr) when its client is not installed.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering::SeqCst;

use common::*;

fn have(program: &str) -> bool {
    if have_program(program) {
        return true;
    }
    eprintln!("note: {program} not found; skipping this test");
    false
}

/// Runs `curl -sS -i` (ignoring ~/.curlrc, never through a proxy) with `args`, feeding `stdin`.
fn curl(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new("curl")
        .args(["-q", "-sS", "-i", "--noproxy", "*", "--max-time", "10"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn curl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin)
        .expect("write curl stdin");
    let out = child.wait_with_output().expect("run curl");
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The final (non-1xx) response in curl's `-i` output.
fn final_response(out: &Output) -> Resp {
    let all = parse_all(&out.stdout);
    all.into_iter()
        .rfind(|r| r.status >= 200)
        .expect("a final response")
}

/// Runs a Python script with `host port` as arguments; returns its stdout as JSON.
fn python(script: &str, srv: &TestServer) -> serde_json::Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(srv.addr.ip().to_string())
        .arg(srv.addr.port().to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python3 failed: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("python output {stdout:?}: {e}"))
}

#[test]
fn curl_get_health() {
    if !have("curl") {
        return;
    }
    let srv = start_default();
    let admin = srv.handle.admin_addr().expect("operator listener");
    let out = curl(&[&format!("http://{admin}/health")], b"");
    let resp = final_response(&out);
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    let health = resp.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], hbf::VERSION);
}

#[test]
fn curl_post_to_echo() {
    if !have("curl") {
        return;
    }
    let srv = start_default();
    let url = format!("http://{}/echo", srv.addr);
    let out = curl(&["--data-binary", "hello from curl", &url], b"");
    let resp = final_response(&out);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-method"), Some("POST"));
    assert_eq!(resp.text(), "hello from curl");
    // With `Expect: 100-continue` curl waits for the interim response before sending the body.
    let out = curl(
        &[
            "-H",
            "Expect: 100-continue",
            "--data-binary",
            "after continue",
            &url,
        ],
        b"",
    );
    let all = parse_all(&out.stdout);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [100, 200]);
    assert_eq!(all[1].text(), "after continue");
}

#[test]
fn curl_chunked_upload() {
    if !have("curl") {
        return;
    }
    let srv = start_default();
    let url = format!("http://{}/echo", srv.addr);
    let body: Vec<u8> = (0..50_000u32)
        .flat_map(|i| format!("{i},").into_bytes())
        .collect();
    let out = curl(
        &[
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &url,
        ],
        &body,
    );
    let resp = final_response(&out);
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(
        resp.header("x-transfer-encoding"),
        Some("chunked"),
        "curl did not send chunked"
    );
    assert_eq!(resp.body.len(), body.len());
    assert!(resp.body == body, "echoed body differs");
}

#[test]
fn curl_reuses_one_connection_for_several_urls() {
    if !have("curl") {
        return;
    }
    let srv = start_default();
    let urls: Vec<String> = ["/hello", "/_hbf/health", "/hello"]
        .iter()
        .map(|p| format!("http://{}{p}", srv.addr))
        .collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let out = curl(&args, b"");
    let all = parse_all(&out.stdout);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200]);
    assert_eq!(all[0].text(), "hello");
    assert_eq!(srv.metrics().connections_opened.load(SeqCst), 1);
}

const PY_KEEP_ALIVE: &str = r#"
import http.client, json, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
results, ports = [], set()
for i in range(5):
    path = "/_hbf/health" if i % 2 == 0 else "/hello"
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    ports.add(conn.sock.getsockname()[1])
    results.append({"status": resp.status, "path": path, "body": body.decode()})
conn.close()
print(json.dumps({"results": results, "connections": len(ports)}))
"#;

#[test]
fn python_http_client_keep_alive() {
    if !have("python3") {
        return;
    }
    let srv = start_default();
    let out = python(PY_KEEP_ALIVE, &srv);
    assert_eq!(out["connections"], 1, "{out}");
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for r in results {
        assert_eq!(r["status"], 200, "{r}");
        if r["path"] == "/_hbf/health" {
            let health: serde_json::Value =
                serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
            assert_eq!(health["status"], "ok");
        } else {
            assert_eq!(r["body"], "hello");
        }
    }
    assert_eq!(srv.metrics().connections_opened.load(SeqCst), 1);
}

const PY_POST: &str = r#"
import http.client, json, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
body = ("snowman \u2603 " * 100).encode("utf-8")
conn.request("POST", "/echo?from=python", body=body, headers={"Content-Type": "text/plain"})
resp = conn.getresponse()
echoed = resp.read()
print(json.dumps({
    "status": resp.status,
    "same": echoed == body,
    "method": resp.getheader("X-Method"),
    "query": resp.getheader("X-Query"),
}))
"#;

#[test]
fn python_http_client_post() {
    if !have("python3") {
        return;
    }
    let srv = start_default();
    let out = python(PY_POST, &srv);
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["same"], true, "{out}");
    assert_eq!(out["method"], "POST");
    assert_eq!(out["query"], "from=python");
}
