//! `/metrics` is valid Prometheus text and its counters move with what happens; `/health`
//! reports the documented fields. Both live on the operator listener; app hosts get liveness
//! only and never the metrics.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn scrape(srv: &TestServer) -> String {
    let resp = srv.admin().request(&get_close("/metrics"));
    assert_eq!(resp.status, 200);
    let ct = resp.header("content-type").unwrap_or("");
    assert!(
        ct.starts_with("text/plain; version=0.0.4"),
        "Content-Type {ct:?}"
    );
    String::from_utf8(resp.body).expect("metrics are UTF-8")
}

/// The value of the sample written exactly as `series` (`name` or `name{labels}`).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.split(' ').next()?.parse().ok()
    })
}

fn counter(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

// --- a small Prometheus text-format (0.0.4) checker --------------------------------------------

fn valid_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__")
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ if s
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

type Labels = Vec<(String, String)>;

/// A histogram as read so far: `(le, cumulative count)` buckets in order, `_sum` seen, `_count`.
#[derive(Default)]
struct HistogramSeen {
    buckets: Vec<(f64, f64)>,
    has_sum: bool,
    count: Option<f64>,
}

/// Parses `a="x",b="y"}` (what follows `{`); returns the labels and the text after `}`.
fn parse_labels(mut rest: &str) -> Result<(Labels, &str), String> {
    let mut labels: Labels = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest.find('=').ok_or("label without '='")?;
        let name = &rest[..eq];
        if !valid_label_name(name) {
            return Err(format!("invalid label name {name:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or_else(|| format!("label {name} not quoted"))?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in label {name}")),
                },
                Some((i, '"')) => break i,
                Some((_, '\n')) | None => return Err(format!("unterminated label {name}")),
                Some((_, c)) => value.push(c),
            }
        };
        rest = &rest[end + 1..];
        if labels.iter().any(|(n, _)| n == name) {
            return Err(format!("duplicate label {name}"));
        }
        labels.push((name.to_owned(), value));
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if !rest.starts_with('}') {
            return Err(format!("expected ',' or '}}' after label {name}"));
        }
    }
}

/// Splits `name{a="x",b="y"} value [timestamp]` into name, labels and value.
fn parse_sample(line: &str) -> Result<(String, Labels, f64), String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !valid_metric_name(name) {
        return Err(format!("invalid metric name {name:?}"));
    }
    let (labels, rest) = match line[name_end..].strip_prefix('{') {
        Some(after) => parse_labels(after)?,
        None => (Vec::new(), &line[name_end..]),
    };
    let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let mut parts = rest.split(' ');
    let value_text = parts.next().unwrap_or("");
    let value = parse_value(value_text).ok_or_else(|| format!("invalid value {value_text:?}"))?;
    if let Some(ts) = parts.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("invalid timestamp {ts:?}"))?;
    }
    if parts.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok((name.to_owned(), labels, value))
}

/// Checks the exposition: syntax, every sample's family declared by a TYPE line before it,
/// families contiguous, no duplicate series, counters non-negative and named `_total`,
/// histograms with cumulative `le` buckets ending in `+Inf` = `_count`, and a `_sum`.
fn check_exposition(text: &str) -> Result<(), String> {
    if !text.ends_with('\n') {
        return Err("exposition does not end with a newline".into());
    }
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashSet<String> = HashSet::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut series: HashSet<String> = HashSet::new();
    let mut hist: HashMap<String, HistogramSeen> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let fail = |e: String| format!("line {n} {line:?}: {e}");
        if line.is_empty() {
            continue;
        }
        let family_of_line;
        if let Some(rest) = line.strip_prefix('#') {
            let mut words = rest.trim_start().splitn(3, ' ');
            match words.next() {
                Some("HELP") => {
                    let name = words
                        .next()
                        .ok_or_else(|| fail("HELP without name".into()))?;
                    if !valid_metric_name(name) || !helps.insert(name.to_owned()) {
                        return Err(fail("invalid or repeated HELP".into()));
                    }
                    family_of_line = name.to_owned();
                }
                Some("TYPE") => {
                    let name = words
                        .next()
                        .ok_or_else(|| fail("TYPE without name".into()))?;
                    let kind = words
                        .next()
                        .ok_or_else(|| fail("TYPE without type".into()))?;
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(fail(format!("unknown type {kind}")));
                    }
                    if !valid_metric_name(name) || types.contains_key(name) {
                        return Err(fail("invalid or repeated TYPE".into()));
                    }
                    if series.iter().any(|s| s.split('{').next() == Some(name)) {
                        return Err(fail("TYPE after samples of the family".into()));
                    }
                    if kind == "counter" && !name.ends_with("_total") {
                        return Err(fail("counter name without _total".into()));
                    }
                    types.insert(name.to_owned(), kind.to_owned());
                    family_of_line = name.to_owned();
                }
                _ => continue, // plain comment
            }
        } else {
            let (name, labels, value) = parse_sample(line).map_err(fail)?;
            let family = if types.contains_key(&name) {
                name.clone()
            } else {
                ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| {
                        let base = name.strip_suffix(suffix)?;
                        matches!(
                            types.get(base).map(String::as_str),
                            Some("histogram" | "summary")
                        )
                        .then(|| base.to_owned())
                    })
                    .ok_or_else(|| fail(format!("sample of undeclared family {name}")))?
            };
            let mut sorted = labels.clone();
            sorted.sort();
            let key = format!("{name}{sorted:?}");
            if !series.insert(key) {
                return Err(fail("duplicate series".into()));
            }
            let kind = types[&family].as_str();
            if kind == "counter" && (value.is_nan() || value < 0.0) {
                return Err(fail("negative or NaN counter".into()));
            }
            if kind == "histogram" {
                let entry = hist.entry(family.clone()).or_default();
                if name.ends_with("_bucket") {
                    let le = labels
                        .iter()
                        .find(|(k, _)| k == "le")
                        .and_then(|(_, v)| parse_value(v))
                        .ok_or_else(|| fail("bucket without a numeric le".into()))?;
                    if let Some(&(prev_le, prev)) = entry.buckets.last() {
                        if le <= prev_le || value < prev {
                            return Err(fail("buckets not increasing/cumulative".into()));
                        }
                    }
                    entry.buckets.push((le, value));
                } else if name.ends_with("_sum") {
                    entry.has_sum = true;
                } else if name.ends_with("_count") {
                    entry.count = Some(value);
                }
            }
            family_of_line = family;
        }
        if current.as_deref() != Some(family_of_line.as_str()) {
            if finished.contains(&family_of_line) {
                return Err(fail(format!("family {family_of_line} is not contiguous")));
            }
            if let Some(prev) = current.take() {
                finished.insert(prev);
            }
            current = Some(family_of_line);
        }
    }
    for (
        family,
        HistogramSeen {
            buckets,
            has_sum,
            count,
        },
    ) in &hist
    {
        let inf = buckets
            .last()
            .filter(|(le, _)| le.is_infinite())
            .map(|&(_, v)| v);
        let inf = inf.ok_or_else(|| format!("{family}: no +Inf bucket"))?;
        if count != &Some(inf) || !has_sum {
            return Err(format!(
                "{family}: _count {count:?} / _sum {has_sum} vs +Inf {inf}"
            ));
        }
    }
    Ok(())
}

fn assert_prometheus_valid(text: &str) {
    if let Err(e) = check_exposition(text) {
        panic!("invalid exposition: {e}\n{text}");
    }
    if have_program("promtool") {
        let mut child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn promtool");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool check metrics: {}{}\n{text}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("note: promtool not found; checked /metrics with the built-in checker only");
    }
}

#[test]
fn checker_rejects_what_it_should() {
    let ok = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"q\\\"\"} 1\n";
    assert!(check_exposition(ok).is_ok(), "{:?}", check_exposition(ok));
    for bad in [
        "x_total 1\n",                                    // undeclared
        "# TYPE x_total counter\nx_total one\n",          // value
        "# TYPE x_total counter\nx_total{a=b} 1\n",       // unquoted label
        "# TYPE x_total counter\nx_total{1a=\"b\"} 1\n",  // label name
        "# TYPE x_total counter\nx_total 1\nx_total 2\n", // duplicate series
        "# TYPE x counter\nx 1\n",                        // no _total
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 1\n", // not contiguous
        "# TYPE x_total counter\nx_total 1",                        // no final newline
    ] {
        assert!(check_exposition(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn metrics_text_is_valid_prometheus() {
    let srv = start(|c| c.header_timeout_ms = 300);
    // Put something in every kind of family first: latencies, labelled counters.
    let mut c = srv.client();
    assert_eq!(c.request(&get("/hello")).status, 200);
    assert_eq!(c.request(&get("/missing")).status, 404);
    refused_and_closed(srv.addr, b"GET / HTTP/1.1\nHost: x\n\n");
    refused_and_closed(srv.addr, b"GET / HTTP/1.1\r\nHost: x\r\n");
    let text = scrape(&srv);
    assert_prometheus_valid(&text);
    for family in [
        "hbf_connections_accepted_total",
        "hbf_connections_active",
        "hbf_requests_total",
        "hbf_parse_errors_total",
        "hbf_timeouts_total",
        "hbf_rate_limited_total",
        "hbf_worker_queue_depth",
        "hbf_request_duration_seconds",
        "hbf_handler_duration_seconds",
        "hbf_uptime_seconds",
        "hbf_resident_memory_bytes",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("# TYPE {family} "))),
            "no {family}"
        );
    }
}

#[test]
fn request_counters_move_by_status_class() {
    let srv = start_default();
    let before = scrape(&srv);
    let mut c = srv.client();
    assert_eq!(c.request(&get("/hello")).status, 200);
    assert_eq!(c.request(&get("/hello")).status, 200);
    assert_eq!(c.request(&get("/nope")).status, 404);
    refused_and_closed(srv.addr, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    let after = scrape(&srv);
    let delta = |series: &str| counter(&after, series) - counter(&before, series);
    // The first scrape itself is counted once its response is written: +1 2xx.
    assert_eq!(delta("hbf_requests_total{class=\"2xx\"}"), 3.0);
    assert_eq!(delta("hbf_requests_total{class=\"4xx\"}"), 2.0);
    assert_eq!(delta("hbf_requests_total{class=\"5xx\"}"), 0.0);
    assert!(delta("hbf_request_duration_seconds_count") >= 4.0);
    assert!(delta("hbf_handler_duration_seconds_count") >= 3.0);
    assert!(delta("hbf_received_bytes_total") > 0.0 && delta("hbf_sent_bytes_total") > 0.0);
    assert!(delta("hbf_connections_accepted_total") >= 2.0);
}

#[test]
fn parse_errors_are_counted_by_kind() {
    let srv = start_default();
    refused_and_closed(srv.addr, b"GET / HTTP/1.1\nHost: x\n\n");
    refused_and_closed(srv.addr, b"GET / HTTP/1.1\r\nHost: x\n\n");
    refused_and_closed(srv.addr, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n");
    let chunked = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n";
    refused_and_closed(srv.addr, chunked);
    let text = scrape(&srv);
    assert_eq!(
        counter(&text, "hbf_parse_errors_total{kind=\"bare_lf\"}"),
        2.0
    );
    assert_eq!(
        counter(
            &text,
            "hbf_parse_errors_total{kind=\"unsupported_version\"}"
        ),
        1.0
    );
    assert_eq!(
        counter(&text, "hbf_parse_errors_total{kind=\"chunk_empty_size\"}"),
        1.0
    );
    assert_eq!(srv.metrics().labelled("parse_errors", "bare_lf"), 2);
    assert_prometheus_valid(&text);
}

#[test]
fn timeouts_are_counted_by_kind() {
    let srv = start(|c| {
        c.header_timeout_ms = 300;
        c.qjs_timeout_ms = 300;
    });
    let resp = refused_and_closed(srv.addr, b"GET /hello HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(resp.status, 408);
    let resp = srv.client().request(&get("/sleep?ms=600"));
    assert_eq!(resp.status, 504);
    let text = scrape(&srv);
    assert_eq!(counter(&text, "hbf_timeouts_total{kind=\"header\"}"), 1.0);
    assert_eq!(counter(&text, "hbf_timeouts_total{kind=\"handler\"}"), 1.0);
}

#[test]
fn rate_limited_counter_moves() {
    let srv = start(|c| {
        c.rate_limit_rps = 0.01;
        c.rate_limit_burst = 2.0;
    });
    let mut c = srv.client();
    assert_eq!(c.request(&get("/hello")).status, 200);
    assert_eq!(c.request(&get("/_hbf/health")).status, 200);
    assert_eq!(c.request(&get("/hello")).status, 429);
    assert_eq!(c.request(&get("/_hbf/health")).status, 429);
    // Read through the public API, as the limiter also guards the built-ins. A response is counted
    // right after it is written, so the client may see it a moment before the counter moves.
    let m = srv.metrics();
    assert!(wait_until(IO_TIMEOUT, || m.requests_in_class(4) == 2));
    let text = m.render_prometheus(std::time::Duration::ZERO, 0);
    assert_eq!(counter(&text, "hbf_rate_limited_total"), 2.0);
    assert_eq!(counter(&text, "hbf_requests_total{class=\"4xx\"}"), 2.0);
}

#[test]
fn health_reports_the_documented_fields() {
    let srv = start_default();
    let resp = srv.admin().request(&get("/health"));
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let h = resp.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["version"], hbf::VERSION);
    for field in [
        "uptime_seconds",
        "active_henvs",
        "db_connections",
        "memory_mb",
    ] {
        assert!(
            h[field].is_u64(),
            "{field} is not a non-negative integer in {h}"
        );
    }
    assert!(
        h["memory_mb"].as_u64().unwrap() > 0,
        "memory_mb is 0 on Linux: {h}"
    );
    // HEAD is answered too, without a body.
    let mut c = srv.admin();
    c.send(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
    let head = c.read_head_response();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn app_hosts_get_liveness_only_and_never_metrics() {
    let srv = start_default();
    for host in ["any-tenant", "localhost", "shop.example.com"] {
        for path in ["/metrics", "/_hbf/metrics"] {
            let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            let resp = srv.client().request(raw.as_bytes());
            assert!(
                resp.status == 404 || resp.status == 401,
                "{path} on {host}: {}",
                resp.status
            );
            assert!(
                !resp.text().contains("hbf_requests_total"),
                "{path} on {host}"
            );
        }
        let raw = format!("GET /_hbf/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let resp = srv.client().request(raw.as_bytes());
        assert_eq!(resp.status, 200);
        assert_eq!(
            resp.text().trim_end(),
            r#"{"status":"ok"}"#,
            "liveness only on {host}"
        );
    }
    // The bare paths belong to the app (the test handler's JSON 404 here).
    let resp = srv.client().request(&get_close("/health"));
    assert_eq!(resp.json()["error"], "no such test route");
    // With curl, as an operator would try it.
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Host: any-tenant",
        ])
        .arg(format!("http://{}/metrics", srv.addr))
        .output();
    if let Ok(out) = out {
        let code = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(code == "404" || code == "401", "curl got {code}");
    }
    // The operator listener answers both, whatever the Host.
    let mut admin = srv.admin();
    let raw = b"GET /metrics HTTP/1.1\r\nHost: any-tenant\r\n\r\n";
    assert_eq!(admin.request(raw).status, 200);
    assert_eq!(
        admin.request(&get("/")).status,
        404,
        "nothing else on the operator port"
    );
}

#[test]
fn metrics_token_opens_public_metrics_to_its_bearer() {
    let srv = start(|c| {
        c.metrics_token = Some("tok-123".into());
        c.admin_bind = hbf::AdminBind(None);
    });
    assert!(srv.handle.admin_addr().is_none(), "--admin_bind '' is off");
    let ask = |auth: &str| {
        let raw = format!(
            "GET /_hbf/metrics HTTP/1.1\r\nHost: any-tenant\r\n{auth}Connection: close\r\n\r\n"
        );
        srv.client().request(raw.as_bytes())
    };
    assert_eq!(ask("").status, 401);
    assert_eq!(ask("Authorization: Bearer tok-12\r\n").status, 401);
    let resp = ask("Authorization: Bearer tok-123\r\n");
    assert_eq!(resp.status, 200);
    assert_prometheus_valid(&resp.text());
}
