//! Counters, gauges and latency histograms behind the `Hook` trait, and their Prometheus text.
//!
//! The server reports each event once, where it happens, to every registered hook. `Metrics` is
//! the built-in hook behind `/metrics` and `/health`; embedders add their own with
//! `Server::with_hook`. Hot-path events touch only atomics; rare ones (errors by kind) take a
//! short lock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// Something worth counting, reported by the loop or a worker as it happens.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A TCP connection was accepted and registered.
    ConnectionOpened,
    /// A registered connection was closed.
    ConnectionClosed,
    /// A connection was refused at accept (`max_conn`, `max_conn_per_ip`).
    ConnectionRejected { reason: &'static str },
    /// accept() failed (`emfile`, `enfile`, `other`).
    AcceptError { kind: &'static str },
    /// A request was refused while parsing (label from `HeadError::kind`/`ChunkError::kind`).
    ParseError { kind: &'static str },
    /// A deadline passed (`header`, `body`, `keepalive`, `write`, `handler`).
    Timeout { kind: &'static str },
    /// A request got 503 without running (`queue_full`, `henv_busy`, `shutting_down`).
    Overload { reason: &'static str },
    /// A request got 429 from the per-IP rate limiter.
    RateLimited,
    /// A request entered the worker queue.
    Queued,
    /// A worker took a request off the queue.
    Dequeued,
    /// A handler finished running a request.
    HandlerDone {
        duration: Duration,
        henv: Option<&'a str>,
    },
    /// A TLS handshake ended: `ok`, or why it failed (`timeout`, `eof`, `not_tls`, `version`,
    /// `no_shared_cipher`, `client_alert`, `bad_message`, `io`, `other`). `duration` is from
    /// accept to the end of the handshake.
    Handshake {
        result: &'static str,
        duration: Duration,
    },
    /// A response was fully written (or the connection died trying).
    RequestDone {
        status: u16,
        duration: Duration,
        bytes_in: u64,
        bytes_out: u64,
    },
}

/// Receives every event. Implementations must be cheap and must not block: they run on the
/// event loop and worker threads.
pub trait Hook: Send + Sync {
    fn on_event(&self, event: &Event<'_>);
}

/// Latency buckets in seconds (upper bounds), Prometheus style.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A fixed-bucket histogram of durations.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Relaxed);
    }

    /// Total number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Relaxed)).sum()
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// The built-in hook: every counter HBF exports.
#[derive(Default)]
pub struct Metrics {
    pub connections_opened: AtomicU64,
    pub connections_closed: AtomicU64,
    pub connections_active: AtomicI64,
    /// Requests by status class: index 1..=5 for 1xx..5xx (0 unused).
    pub requests_by_class: [AtomicU64; 6],
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub queue_depth: AtomicI64,
    pub rate_limited: AtomicU64,
    /// Set by the henv layer: henvs with open state.
    pub active_henvs: AtomicU64,
    /// Set by the henv layer: open SQLite connections.
    pub db_connections: AtomicU64,
    pub request_duration: Histogram,
    pub handler_duration: Histogram,
    /// Accept to completed TLS handshake, successful handshakes only.
    pub handshake_duration: Histogram,
    labelled: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Requests handled per henv (`HandlerDone { henv: Some(..) }`).
    pub henv_requests: HenvCounters,
}

/// Henvs counted one by one; more distinct henvs than this are counted as "other" from the
/// start (memory stays bounded whatever the number of henvs).
const HENV_COUNTERS_MAX: usize = 10_000;
const HENV_SHARDS: usize = 16;

/// Per-henv request counters with bounded memory and bounded output: exposition shows the
/// `top` busiest henvs and sums the rest as `henv="other"`.
pub struct HenvCounters {
    shards: [Mutex<std::collections::HashMap<String, u64>>; HENV_SHARDS],
    distinct: AtomicU64,
    overflow: AtomicU64,
    top: AtomicU64,
}

impl Default for HenvCounters {
    fn default() -> Self {
        HenvCounters {
            shards: Default::default(),
            distinct: AtomicU64::new(0),
            overflow: AtomicU64::new(0),
            top: AtomicU64::new(20),
        }
    }
}

impl HenvCounters {
    /// Henvs shown one by one in /metrics (`--metrics_henv_top`; 0 = none).
    pub fn set_top(&self, n: usize) {
        self.top.store(n as u64, Relaxed);
    }

    fn shard(&self, henv: &str) -> &Mutex<std::collections::HashMap<String, u64>> {
        let h = henv.bytes().fold(0usize, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        &self.shards[h % HENV_SHARDS]
    }

    /// Counts one request for `henv`.
    pub fn record(&self, henv: &str) {
        if self.top.load(Relaxed) == 0 {
            return;
        }
        let Ok(mut map) = self.shard(henv).lock() else {
            return;
        };
        if let Some(n) = map.get_mut(henv) {
            *n += 1;
        } else if self.distinct.fetch_add(1, Relaxed) < HENV_COUNTERS_MAX as u64 {
            map.insert(henv.to_owned(), 1);
        } else {
            self.distinct.fetch_sub(1, Relaxed);
            self.overflow.fetch_add(1, Relaxed);
        }
    }

    /// Requests counted for `henv` (0 if none or not tracked).
    pub fn get(&self, henv: &str) -> u64 {
        self.shard(henv)
            .lock()
            .ok()
            .and_then(|m| m.get(henv).copied())
            .unwrap_or(0)
    }

    /// The `top` busiest henvs (most requests first, then by name) and the sum of the rest.
    pub fn top(&self) -> (Vec<(String, u64)>, u64) {
        let n = self.top.load(Relaxed) as usize;
        let mut all: Vec<(String, u64)> = Vec::new();
        for shard in &self.shards {
            if let Ok(m) = shard.lock() {
                all.extend(m.iter().map(|(k, v)| (k.clone(), *v)));
            }
        }
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let rest = all.iter().skip(n).map(|(_, v)| v).sum::<u64>() + self.overflow.load(Relaxed);
        all.truncate(n);
        (all, rest)
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    fn bump(&self, family: &'static str, label: &'static str) {
        if let Ok(mut map) = self.labelled.lock() {
            *map.entry((family, label)).or_insert(0) += 1;
        }
    }

    /// Value of a labelled counter, e.g. `("parse_errors", "bare_lf")`.
    pub fn labelled(&self, family: &str, label: &str) -> u64 {
        self.labelled
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|((f, l), _)| *f == family && *l == label)
                    .map(|(_, v)| *v)
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Requests answered with this status class (2 for 2xx, ...).
    pub fn requests_in_class(&self, class: usize) -> u64 {
        self.requests_by_class
            .get(class)
            .map_or(0, |c| c.load(Relaxed))
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render_prometheus(&self, uptime: Duration, rss_bytes: u64) -> String {
        let mut out = String::with_capacity(4096);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        let gauge = |out: &mut String, name: &str, help: &str, v: i64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        counter(
            &mut out,
            "hbf_connections_accepted_total",
            "TCP connections accepted.",
            self.connections_opened.load(Relaxed),
        );
        counter(
            &mut out,
            "hbf_connections_closed_total",
            "TCP connections closed.",
            self.connections_closed.load(Relaxed),
        );
        gauge(
            &mut out,
            "hbf_connections_active",
            "TCP connections open now.",
            self.connections_active.load(Relaxed),
        );
        let _ = writeln!(out, "# HELP hbf_requests_total Responses sent, by status class.\n# TYPE hbf_requests_total counter");
        for class in 1..=5 {
            let _ = writeln!(
                out,
                "hbf_requests_total{{class=\"{class}xx\"}} {}",
                self.requests_by_class[class].load(Relaxed)
            );
        }
        counter(
            &mut out,
            "hbf_received_bytes_total",
            "Request bytes received (heads and bodies).",
            self.bytes_in.load(Relaxed),
        );
        counter(
            &mut out,
            "hbf_sent_bytes_total",
            "Response bytes sent.",
            self.bytes_out.load(Relaxed),
        );
        gauge(
            &mut out,
            "hbf_worker_queue_depth",
            "Requests waiting for a worker.",
            self.queue_depth.load(Relaxed),
        );
        counter(
            &mut out,
            "hbf_rate_limited_total",
            "Requests refused with 429 by the per-IP limiter.",
            self.rate_limited.load(Relaxed),
        );
        gauge(
            &mut out,
            "hbf_active_henvs",
            "Henvs with open state.",
            self.active_henvs.load(Relaxed) as i64,
        );
        gauge(
            &mut out,
            "hbf_db_connections",
            "Open SQLite connections.",
            self.db_connections.load(Relaxed) as i64,
        );
        gauge(
            &mut out,
            "hbf_resident_memory_bytes",
            "Resident set size of the process.",
            rss_bytes as i64,
        );
        let _ = writeln!(out, "# HELP hbf_uptime_seconds Seconds since the server started.\n# TYPE hbf_uptime_seconds gauge\nhbf_uptime_seconds {}", uptime.as_secs());
        let families: [(&str, &str, &str); 6] = [
            (
                "parse_errors",
                "kind",
                "Requests refused while parsing, by reason.",
            ),
            ("timeouts", "kind", "Deadlines that passed, by kind."),
            (
                "overload",
                "reason",
                "Requests answered 503 without running, by reason.",
            ),
            (
                "connections_rejected",
                "reason",
                "Connections refused at accept, by reason.",
            ),
            ("accept_errors", "kind", "accept() failures, by kind."),
            ("handshakes", "result", "TLS handshakes, by result."),
        ];
        let labelled = self.labelled.lock().map(|m| m.clone()).unwrap_or_default();
        for (family, label, help) in families {
            let name = format!("hbf_{family}_total");
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((f, l), v) in &labelled {
                if *f == family {
                    let _ = writeln!(out, "{name}{{{label}=\"{l}\"}} {v}");
                }
            }
        }
        self.request_duration.render(
            &mut out,
            "hbf_request_duration_seconds",
            "Time from complete request head to response written.",
        );
        self.handler_duration.render(
            &mut out,
            "hbf_handler_duration_seconds",
            "Time a worker spent running a handler.",
        );
        self.handshake_duration.render(
            &mut out,
            "hbf_tls_handshake_duration_seconds",
            "Time from accept to a completed TLS handshake.",
        );
        let (top, rest) = self.henv_requests.top();
        if !top.is_empty() || rest > 0 {
            let _ = writeln!(out, "# HELP hbf_henv_requests_total Requests handled per henv (hash): the busiest henvs, the rest summed as henv=\"other\".\n# TYPE hbf_henv_requests_total counter");
            for (henv, n) in &top {
                let _ = writeln!(out, "hbf_henv_requests_total{{henv=\"{henv}\"}} {n}");
            }
            let _ = writeln!(out, "hbf_henv_requests_total{{henv=\"other\"}} {rest}");
        }
        out
    }
}

impl Hook for Metrics {
    fn on_event(&self, event: &Event<'_>) {
        match *event {
            Event::ConnectionOpened => {
                self.connections_opened.fetch_add(1, Relaxed);
                self.connections_active.fetch_add(1, Relaxed);
            }
            Event::ConnectionClosed => {
                self.connections_closed.fetch_add(1, Relaxed);
                self.connections_active.fetch_sub(1, Relaxed);
            }
            Event::ConnectionRejected { reason } => self.bump("connections_rejected", reason),
            Event::AcceptError { kind } => self.bump("accept_errors", kind),
            Event::ParseError { kind } => self.bump("parse_errors", kind),
            Event::Timeout { kind } => self.bump("timeouts", kind),
            Event::Overload { reason } => self.bump("overload", reason),
            Event::RateLimited => {
                self.rate_limited.fetch_add(1, Relaxed);
            }
            Event::Queued => {
                self.queue_depth.fetch_add(1, Relaxed);
            }
            Event::Dequeued => {
                self.queue_depth.fetch_sub(1, Relaxed);
            }
            Event::HandlerDone { duration, henv } => {
                self.handler_duration.observe(duration);
                if let Some(henv) = henv {
                    self.henv_requests.record(henv);
                }
            }
            Event::Handshake { result, duration } => {
                self.bump("handshakes", result);
                if result == "ok" {
                    self.handshake_duration.observe(duration);
                }
            }
            Event::RequestDone {
                status,
                duration,
                bytes_in,
                bytes_out,
            } => {
                let class = usize::from(status / 100).min(5);
                self.requests_by_class[class].fetch_add(1, Relaxed);
                self.bytes_in.fetch_add(bytes_in, Relaxed);
                self.bytes_out.fetch_add(bytes_out, Relaxed);
                self.request_duration.observe(duration);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_is_well_formed() {
        let m = Metrics::new();
        m.on_event(&Event::ConnectionOpened);
        m.on_event(&Event::ParseError { kind: "bare_lf" });
        m.on_event(&Event::RequestDone {
            status: 404,
            duration: Duration::from_millis(3),
            bytes_in: 10,
            bytes_out: 20,
        });
        m.henv_requests.set_top(1);
        for henv in ["aaaaaaaa", "bbbbbbbb", "bbbbbbbb", "cccccccc"] {
            m.on_event(&Event::HandlerDone {
                duration: Duration::from_millis(1),
                henv: Some(henv),
            });
        }
        let text = m.render_prometheus(Duration::from_secs(5), 1 << 20);
        assert!(text.contains("hbf_henv_requests_total{henv=\"bbbbbbbb\"} 2\n"));
        assert!(text.contains("hbf_henv_requests_total{henv=\"other\"} 2\n"));
        assert!(!text.contains("aaaaaaaa"));
        assert!(text.contains("hbf_requests_total{class=\"4xx\"} 1\n"));
        assert!(text.contains("hbf_parse_errors_total{kind=\"bare_lf\"} 1\n"));
        assert!(text.contains("hbf_request_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("hbf_request_duration_seconds_count 1\n"));
        // Every sample line belongs to a family declared by a preceding TYPE line.
        let mut declared = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.insert(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let base = name
                    .strip_suffix("_bucket")
                    .or_else(|| name.strip_suffix("_sum"))
                    .or_else(|| name.strip_suffix("_count"))
                    .unwrap_or(name);
                assert!(
                    declared.contains(name) || declared.contains(base),
                    "undeclared {line}"
                );
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "bad value in {line}");
            }
        }
    }
}
