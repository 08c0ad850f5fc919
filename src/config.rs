//! Every tunable of the server in one struct, with its default and its documentation.
//!
//! `Config` is both the library's configuration and the `hbf serve` command line: clap derives
//! the flags, their `HBF_*` environment variables and `--help` from the attributes below, so a
//! default is written exactly once. `Config::default()` is what `hbf serve` with no flags gives.
//!
//! Size: over 800 lines on purpose: the one place every flag, its default, its `HBF_*`
//! variable and its validation live (STYLE.md: `Config` is the only place a default lives);
//! most of the length is the documented attributes themselves.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use crate::http::Limits;
pub use crate::net::IpNet;

/// Log verbosity, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// `timestamp level message key=value ...`, for a terminal.
    Text,
}

/// `--durability`: what a committed transaction survives (SQLite `synchronous` in WAL mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Durability {
    /// `synchronous=NORMAL`: a commit survives a crash of the process (SIGKILL, panic, OOM
    /// kill) but the last commits before a power loss or kernel crash may be lost (never
    /// half-applied: the database stays consistent). One fsync per checkpoint, not per commit.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced to the WAL before it is acknowledged, so
    /// it also survives a power loss. Costs one fsync per write transaction.
    Full,
}

/// `--admin_bind`: where the operator listener binds, or `None` (empty value) for no listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminBind(pub Option<SocketAddr>);

impl std::str::FromStr for AdminBind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(AdminBind(None));
        }
        s.parse::<SocketAddr>()
            .map(|a| AdminBind(Some(a)))
            .map_err(|_| {
                format!("{s:?} is not ADDR:PORT (e.g. 127.0.0.1:9309, [::1]:9309; empty for off)")
            })
    }
}

impl std::fmt::Display for AdminBind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => Ok(()),
        }
    }
}

/// Server configuration: listener, storage, workers, and every protocol limit and timeout.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// TCP port to listen on (0 picks a free port).
    #[arg(long = "port", env = "HBF_PORT", default_value_t = 5309)]
    pub port: u16,

    /// Address to bind; use 0.0.0.0 in containers.
    #[arg(long = "bind", env = "HBF_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Directory holding the henv SQLite files (created 0700 if missing).
    #[arg(
        long = "storage_dir",
        env = "HBF_STORAGE_DIR",
        default_value = "./henvs"
    )]
    pub storage_dir: PathBuf,

    /// Hostname whose henv serves requests for hosts that have none (local development);
    /// empty for none (unknown hosts then get 404).
    #[arg(
        long = "default_host",
        env = "HBF_DEFAULT_HOST",
        default_value = "localhost"
    )]
    pub default_host: String,

    /// Domain under which every henv answers as `{hash}.DOMAIN`; `POST /new` on DOMAIN itself
    /// is the signup route (with --allow_signup).
    #[arg(long = "base_domain", env = "HBF_BASE_DOMAIN", value_name = "DOMAIN")]
    pub base_domain: Option<String>,

    /// Let anyone create a henv with `POST /new` on --base_domain (off: 404).
    #[arg(long = "allow_signup", env = "HBF_ALLOW_SIGNUP")]
    pub allow_signup: bool,

    /// Minimum level of log lines written to stderr.
    #[arg(long = "log_level", env = "HBF_LOG_LEVEL", value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,

    /// Format of log lines.
    #[arg(long = "log_format", env = "HBF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,

    /// Write one access-log line per request (at info level).
    #[arg(long = "access_log", env = "HBF_ACCESS_LOG", default_value_t = true, action = clap::ArgAction::Set)]
    pub access_log: bool,

    /// Development mode: error details (stacks) in response bodies.
    #[arg(long = "dev", env = "HBF_DEV")]
    pub dev: bool,

    /// Worker threads running request handlers (0 = number of CPU cores).
    #[arg(long = "workers", env = "HBF_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Requests waiting for a worker before new ones get 503 (0 = 64 per worker).
    #[arg(
        long = "queue_capacity",
        env = "HBF_QUEUE_CAPACITY",
        default_value_t = 0
    )]
    pub queue_capacity: usize,

    /// Open client connections; past it a new connection gets 503 and is closed.
    #[arg(long = "max_conn", env = "HBF_MAX_CONN", default_value_t = 10_000)]
    pub max_conn: usize,

    /// Connections the kernel queues for accept() (listen backlog, capped by
    /// net.core.somaxconn); past it, new connection attempts are dropped and clients retry
    /// after a second or more.
    #[arg(
        long = "listen_backlog",
        env = "HBF_LISTEN_BACKLOG",
        default_value_t = 1024
    )]
    pub listen_backlog: u32,

    /// Concurrent connections from one client IP (0 = unlimited); past it, 429.
    #[arg(
        long = "max_conn_per_ip",
        env = "HBF_MAX_CONN_PER_IP",
        default_value_t = 0
    )]
    pub max_conn_per_ip: usize,

    /// Sustained requests per second from one client IP (0 = unlimited); past it, 429.
    #[arg(
        long = "rate_limit_rps",
        env = "HBF_RATE_LIMIT_RPS",
        default_value_t = 0.0
    )]
    pub rate_limit_rps: f64,

    /// Burst size of the per-IP request rate limiter (token bucket capacity).
    #[arg(
        long = "rate_limit_burst",
        env = "HBF_RATE_LIMIT_BURST",
        default_value_t = 50.0
    )]
    pub rate_limit_burst: f64,

    /// SQLite connections open at once across all henvs and workers (each worker closes its
    /// least recently used beyond; at least one per worker).
    #[arg(long = "db_max_open", env = "HBF_DB_MAX_OPEN", default_value_t = 100)]
    pub db_max_open: usize,

    /// JavaScript runtimes one worker keeps built (least recently used dropped beyond).
    #[arg(
        long = "js_max_runtimes",
        env = "HBF_JS_MAX_RUNTIMES",
        default_value_t = 64
    )]
    pub js_max_runtimes: usize,

    /// Memory of all JavaScript runtimes of one worker together, in MiB (least recently used
    /// dropped beyond).
    #[arg(
        long = "js_max_memory_mb",
        env = "HBF_JS_MAX_MEMORY_MB",
        default_value_t = 512
    )]
    pub js_max_memory_mb: usize,

    /// Requests of one henv in flight at once (queued, running or waiting on timers and
    /// I/O) before its new ones get 503; a henv's `max_inflight` setting overrides it
    /// (0 = half the worker queue, at least 64).
    #[arg(
        long = "henv_max_inflight",
        env = "HBF_HENV_MAX_INFLIGHT",
        default_value_t = 0
    )]
    pub henv_max_inflight: usize,

    /// A henv unused for this long closes its connection and runtime, in seconds.
    #[arg(
        long = "henv_idle_secs",
        env = "HBF_HENV_IDLE_SECS",
        default_value_t = 300
    )]
    pub henv_idle_secs: u64,

    /// How often writes noted by the workers are recorded as henv activity in the registry,
    /// in seconds.
    #[arg(
        long = "activity_flush_secs",
        env = "HBF_ACTIVITY_FLUSH_SECS",
        default_value_t = 60
    )]
    pub activity_flush_secs: u64,

    /// Henvs with their own request counter in /metrics (the busiest; the rest are summed as
    /// henv="other"). 0 turns per-henv counters off.
    #[arg(
        long = "metrics_henv_top",
        env = "HBF_METRICS_HENV_TOP",
        default_value_t = 20
    )]
    pub metrics_henv_top: usize,

    /// SQLite heap of the whole process past which SQLite frees cached pages, in MiB (0 = off).
    #[arg(
        long = "sqlite_soft_heap_limit_mb",
        env = "HBF_SQLITE_SOFT_HEAP_LIMIT_MB",
        default_value_t = 256
    )]
    pub sqlite_soft_heap_limit_mb: u64,

    /// SQLite heap of the whole process past which an allocation fails (the statement gets
    /// "out of memory"), in MiB (0 = off). Bounds all henvs' SQL together; each connection's
    /// values are bounded by the henv's `sql_limits` setting.
    #[arg(
        long = "sqlite_hard_heap_limit_mb",
        env = "HBF_SQLITE_HARD_HEAP_LIMIT_MB",
        default_value_t = 1024
    )]
    pub sqlite_hard_heap_limit_mb: u64,

    /// Memory limit of one JavaScript runtime, in MiB.
    #[arg(long = "qjs_mem_mb", env = "HBF_QJS_MEM_MB", default_value_t = 64)]
    pub qjs_mem_mb: usize,

    /// Deadline of one request handler in milliseconds; past it the client gets 504.
    #[arg(
        long = "qjs_timeout_ms",
        env = "HBF_QJS_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub qjs_timeout_ms: u64,

    /// On SIGTERM/SIGINT, time given to in-flight requests to finish, in milliseconds.
    #[arg(
        long = "shutdown_timeout_ms",
        env = "HBF_SHUTDOWN_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub shutdown_timeout_ms: u64,

    /// Time a client has to send a complete request head, in milliseconds (slowloris guard).
    #[arg(
        long = "header_timeout_ms",
        env = "HBF_HEADER_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_timeout_ms: u64,

    /// Longest pause allowed between two reads of a request body, in milliseconds.
    #[arg(
        long = "body_timeout_ms",
        env = "HBF_BODY_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub body_timeout_ms: u64,

    /// Idle time before a keep-alive connection is closed, in milliseconds.
    #[arg(
        long = "keepalive_timeout_ms",
        env = "HBF_KEEPALIVE_TIMEOUT_MS",
        default_value_t = 15_000
    )]
    pub keepalive_timeout_ms: u64,

    /// Longest time a response write may make no progress, in milliseconds.
    #[arg(
        long = "write_timeout_ms",
        env = "HBF_WRITE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub write_timeout_ms: u64,

    /// After a response that closes the connection, how long to wait for the client to close
    /// its side (discarding its input) before closing ours, in milliseconds. This keeps a final
    /// error response from being destroyed by a TCP reset.
    #[arg(
        long = "linger_timeout_ms",
        env = "HBF_LINGER_TIMEOUT_MS",
        default_value_t = 2_000
    )]
    pub linger_timeout_ms: u64,

    /// Requests served on one connection before it is closed.
    #[arg(
        long = "max_requests_per_conn",
        env = "HBF_MAX_REQUESTS_PER_CONN",
        default_value_t = 1_000
    )]
    pub max_requests_per_conn: u32,

    /// Longest request line (method, target, version), in bytes; past it, 414.
    #[arg(long = "max_request_line_bytes", env = "HBF_MAX_REQUEST_LINE_BYTES", default_value_t = 8 * 1024)]
    pub max_request_line_bytes: usize,

    /// Longest single header line, in bytes; past it, 431.
    #[arg(long = "max_header_line_bytes", env = "HBF_MAX_HEADER_LINE_BYTES", default_value_t = 8 * 1024)]
    pub max_header_line_bytes: usize,

    /// All header lines of one request together, in bytes; past it, 431.
    #[arg(long = "max_header_bytes", env = "HBF_MAX_HEADER_BYTES", default_value_t = 32 * 1024)]
    pub max_header_bytes: usize,

    /// Header fields in one request; past it, 431.
    #[arg(long = "max_headers", env = "HBF_MAX_HEADERS", default_value_t = 100)]
    pub max_headers: usize,

    /// Largest request body, in bytes; past it, 413 before the body is read.
    #[arg(long = "max_body_bytes", env = "HBF_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: u64,

    /// Longest chunk-size line (size plus extensions) of a chunked body, in bytes; past it, 400.
    #[arg(
        long = "max_chunk_line_bytes",
        env = "HBF_MAX_CHUNK_LINE_BYTES",
        default_value_t = 1024
    )]
    pub max_chunk_line_bytes: usize,

    /// All trailer lines of a chunked body together, in bytes (trailers are discarded); past it, 431.
    #[arg(long = "max_trailer_bytes", env = "HBF_MAX_TRAILER_BYTES", default_value_t = 8 * 1024)]
    pub max_trailer_bytes: usize,

    /// Let `TRACE` requests reach apps (off: 501 before any app code runs; TRACE echoes the
    /// request, credentials included, back to the client).
    #[arg(long = "allow_trace", env = "HBF_ALLOW_TRACE")]
    pub allow_trace: bool,

    /// Let `CONNECT` requests (authority-form target, e.g. `host:443`) reach apps, which see
    /// path `/` (off: 501; HBF is not a tunnelling proxy).
    #[arg(long = "allow_connect", env = "HBF_ALLOW_CONNECT")]
    pub allow_connect: bool,

    /// Also answer the bare `/health` (liveness) and `/metrics` (with --metrics_token) on app
    /// hosts, not only `/_hbf/health` and `/_hbf/metrics`; by default the apps own those paths.
    #[arg(long = "builtin_bare_paths", env = "HBF_BUILTIN_BARE_PATHS", default_value_t = false, action = clap::ArgAction::Set)]
    pub builtin_bare_paths: bool,

    /// What an acknowledged write survives: `normal` (process crash; the last commits may be
    /// lost on power loss) or `full` (also power loss; one fsync per write transaction).
    #[arg(long = "durability", env = "HBF_DURABILITY", value_enum, default_value_t = Durability::Normal)]
    pub durability: Durability,

    /// Operator listener (`ADDR:PORT`) serving `/metrics` and the full `/health` JSON; process-wide
    /// data is never answered on app hosts. Empty turns it off. Port 0 picks a free port.
    #[arg(
        long = "admin_bind",
        env = "HBF_ADMIN_BIND",
        default_value = "127.0.0.1:9309",
        value_name = "ADDR:PORT"
    )]
    pub admin_bind: AdminBind,

    /// Bearer token that unlocks `/_hbf/metrics` on the public port (`Authorization: Bearer
    /// TOKEN`, compared in constant time), for scrapers that cannot reach --admin_bind. Unset:
    /// the public port never answers metrics.
    #[arg(
        long = "metrics_token",
        env = "HBF_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// Send `Server: hbf` on every response.
    #[arg(long = "server_header", env = "HBF_SERVER_HEADER", default_value_t = true, action = clap::ArgAction::Set)]
    pub server_header: bool,

    /// After accept() fails for lack of file descriptors, pause accepting this long, in milliseconds.
    #[arg(
        long = "accept_backoff_ms",
        env = "HBF_ACCEPT_BACKOFF_MS",
        default_value_t = 100
    )]
    pub accept_backoff_ms: u64,

    /// HTTPS port (0 picks a free port). Setting it turns TLS on; it needs --tls_cert and
    /// --tls_key, or --tls_cert_dir. Plain HTTP stays on --port unless --tls_only.
    #[arg(long = "tls_port", env = "HBF_TLS_PORT")]
    pub tls_port: Option<u16>,

    /// PEM certificate chain for TLS (leaf first, then intermediates): the default certificate.
    #[arg(long = "tls_cert", env = "HBF_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key (EC or RSA, PKCS#1/SEC1/PKCS#8, unencrypted) of --tls_cert.
    #[arg(long = "tls_key", env = "HBF_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Directory of certificates chosen by SNI: HOST.crt + HOST.key per hostname
    /// (`*.example.com.crt` for a wildcard), and default.crt + default.key for other names
    /// unless --tls_cert/--tls_key are given. Reloaded with the rest on SIGHUP.
    #[arg(long = "tls_cert_dir", env = "HBF_TLS_CERT_DIR")]
    pub tls_cert_dir: Option<PathBuf>,

    /// Serve HTTPS only: no plain HTTP listener on --port.
    #[arg(long = "tls_only", env = "HBF_TLS_ONLY")]
    pub tls_only: bool,

    /// Answer plain-HTTP requests with 308 to the same URL on https://HOST:TLS_PORT
    /// (the built-in /health and /metrics are still answered).
    #[arg(long = "redirect_http_to_https", env = "HBF_REDIRECT_HTTP_TO_HTTPS")]
    pub redirect_http_to_https: bool,

    /// Add `Strict-Transport-Security: max-age=N` to responses sent over TLS, in seconds (0 = off).
    #[arg(long = "hsts_max_age", env = "HBF_HSTS_MAX_AGE", default_value_t = 0)]
    pub hsts_max_age: u64,

    /// Time a client has to complete the TLS handshake, in milliseconds; then it is closed.
    #[arg(
        long = "tls_handshake_timeout_ms",
        env = "HBF_TLS_HANDSHAKE_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub tls_handshake_timeout_ms: u64,

    /// Threads that run TLS handshake crypto, so that a flood of new TLS connections never
    /// occupies the event loop (0 = handshakes on the loop thread).
    #[arg(
        long = "tls_handshake_threads",
        env = "HBF_TLS_HANDSHAKE_THREADS",
        default_value_t = 1
    )]
    pub tls_handshake_threads: usize,

    /// Handshake steps waiting for a handshake thread; past it, the new TLS connection whose
    /// step does not fit is closed.
    #[arg(
        long = "tls_handshake_queue",
        env = "HBF_TLS_HANDSHAKE_QUEUE",
        default_value_t = 256
    )]
    pub tls_handshake_queue: usize,

    /// Lifetime of TLS session tickets (resumption without a full handshake), in seconds; the
    /// ticket key rotates this often and the previous key is still accepted. 0 turns tickets off.
    #[arg(
        long = "tls_ticket_lifetime_secs",
        env = "HBF_TLS_TICKET_LIFETIME_SECS",
        default_value_t = 3600
    )]
    pub tls_ticket_lifetime_secs: u32,

    /// Reverse proxies to believe, as comma-separated CIDR ranges (e.g. 127.0.0.1/32,10.0.0.0/8).
    /// Only from these peers are Forwarded / X-Forwarded-For / -Proto / -Host honoured.
    #[arg(
        long = "trust_proxy",
        env = "HBF_TRUST_PROXY",
        value_delimiter = ',',
        value_name = "CIDRS"
    )]
    pub trust_proxy: Vec<IpNet>,

    /// Let app `fetch()` reach private, loopback, link-local, unique-local, CGNAT and cloud
    /// metadata addresses (development and tests only: it opens the internal network to apps).
    #[arg(long = "fetch_allow_private", env = "HBF_FETCH_ALLOW_PRIVATE")]
    pub fetch_allow_private: bool,

    /// PEM bundle of the CAs outbound HTTPS trusts (default: the system store,
    /// /etc/ssl/certs/ca-certificates.crt).
    #[arg(long = "fetch_ca_file", env = "HBF_FETCH_CA_FILE")]
    pub fetch_ca_file: Option<PathBuf>,

    /// Time an outbound request has to connect (TCP and TLS), in milliseconds; always within
    /// the inbound request's own deadline.
    #[arg(
        long = "fetch_connect_timeout_ms",
        env = "HBF_FETCH_CONNECT_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub fetch_connect_timeout_ms: u64,

    /// Longest silence while an outbound request waits for response bytes, in milliseconds.
    #[arg(
        long = "fetch_read_timeout_ms",
        env = "HBF_FETCH_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub fetch_read_timeout_ms: u64,

    /// Largest outbound response body, in bytes (a henv's `fetch_max_response_bytes` may lower it).
    #[arg(
        long = "fetch_max_response_bytes",
        env = "HBF_FETCH_MAX_RESPONSE_BYTES",
        default_value_t = 10 * 1024 * 1024
    )]
    pub fetch_max_response_bytes: u64,

    /// Outbound requests one inbound request may make, redirect hops included (a henv's
    /// `fetch_max_subrequests` may lower it).
    #[arg(
        long = "fetch_max_subrequests",
        env = "HBF_FETCH_MAX_SUBREQUESTS",
        default_value_t = 50
    )]
    pub fetch_max_subrequests: u32,

    /// Outbound requests one henv may have in flight at once (a henv's
    /// `fetch_max_connections` may lower it).
    #[arg(
        long = "fetch_max_conns_per_henv",
        env = "HBF_FETCH_MAX_CONNS_PER_HENV",
        default_value_t = 32
    )]
    pub fetch_max_conns_per_henv: usize,
}

/// Wrapper so `Config::default()` can reuse clap's defaults (and `HBF_*` variables).
#[derive(Parser)]
#[command(name = "hbf")]
struct DefaultsOnly {
    #[command(flatten)]
    config: Config,
}

impl Default for Config {
    /// The configuration `hbf serve` would run with no flags: the documented defaults,
    /// overridden by any `HBF_*` environment variables that are set.
    fn default() -> Self {
        DefaultsOnly::parse_from(["hbf"]).config
    }
}

impl Config {
    /// A configuration for tests and embedders: defaults, ephemeral port on loopback, quiet logs.
    pub fn ephemeral(storage_dir: impl Into<PathBuf>) -> Self {
        Config {
            port: 0,
            bind: IpAddr::from([127, 0, 0, 1]),
            admin_bind: AdminBind(Some(SocketAddr::from(([127, 0, 0, 1], 0)))),
            storage_dir: storage_dir.into(),
            log_level: LogLevel::Warn,
            ..Config::default()
        }
    }

    /// Worker thread count after resolving 0 to the number of cores.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// Worker queue capacity after resolving 0 to 64 per worker.
    pub fn queue_len(&self) -> usize {
        if self.queue_capacity > 0 {
            self.queue_capacity
        } else {
            64 * self.worker_count()
        }
    }

    /// The per-henv in-flight cap after resolving 0.
    pub fn henv_inflight_cap(&self) -> usize {
        if self.henv_max_inflight > 0 {
            return self.henv_max_inflight;
        }
        (self.queue_len() / 2).max(64)
    }

    /// The HTTP parser's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_request_line: self.max_request_line_bytes,
            max_header_line: self.max_header_line_bytes,
            max_header_bytes: self.max_header_bytes,
            max_headers: self.max_headers,
            max_body: self.max_body_bytes,
            max_chunk_line: self.max_chunk_line_bytes,
            max_trailer_bytes: self.max_trailer_bytes,
            methods: crate::http::MethodPolicy {
                allow_trace: self.allow_trace,
                allow_connect: self.allow_connect,
            },
        }
    }

    /// Checks values clap cannot check on its own. The error names the flag.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive: [(&'static str, u64); 15] = [
            ("--max_conn", self.max_conn as u64),
            ("--listen_backlog", u64::from(self.listen_backlog)),
            ("--qjs_timeout_ms", self.qjs_timeout_ms),
            ("--qjs_mem_mb", self.qjs_mem_mb as u64),
            ("--header_timeout_ms", self.header_timeout_ms),
            ("--body_timeout_ms", self.body_timeout_ms),
            ("--keepalive_timeout_ms", self.keepalive_timeout_ms),
            ("--write_timeout_ms", self.write_timeout_ms),
            (
                "--max_requests_per_conn",
                u64::from(self.max_requests_per_conn),
            ),
            (
                "--max_request_line_bytes",
                self.max_request_line_bytes as u64,
            ),
            ("--max_header_line_bytes", self.max_header_line_bytes as u64),
            ("--max_header_bytes", self.max_header_bytes as u64),
            ("--max_headers", self.max_headers as u64),
            ("--fetch_connect_timeout_ms", self.fetch_connect_timeout_ms),
            ("--fetch_read_timeout_ms", self.fetch_read_timeout_ms),
        ];
        for (flag, value) in positive {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    flag,
                    reason: "must be greater than 0".into(),
                });
            }
        }
        if let Some(ca) = &self.fetch_ca_file {
            if let Err(e) = std::fs::metadata(ca) {
                return Err(ConfigError::Invalid {
                    flag: "--fetch_ca_file",
                    reason: format!("cannot read {}: {e}", ca.display()),
                });
            }
        }
        if self
            .metrics_token
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err(ConfigError::Invalid {
                flag: "--metrics_token",
                reason: "must not be empty (unset it to keep metrics off the public port)".into(),
            });
        }
        if self.max_chunk_line_bytes < 3 {
            return Err(ConfigError::Invalid {
                flag: "--max_chunk_line_bytes",
                reason: "must be at least 3 (a size digit and CRLF)".into(),
            });
        }
        if self.rate_limit_rps < 0.0 || !self.rate_limit_rps.is_finite() {
            return Err(ConfigError::Invalid {
                flag: "--rate_limit_rps",
                reason: "must be a finite number >= 0".into(),
            });
        }
        if self.rate_limit_burst < 1.0 || !self.rate_limit_burst.is_finite() {
            return Err(ConfigError::Invalid {
                flag: "--rate_limit_burst",
                reason: "must be a finite number >= 1".into(),
            });
        }
        self.validate_tls()?;
        self.validate_tenancy()
    }

    /// The multi-tenancy flags.
    fn validate_tenancy(&self) -> Result<(), ConfigError> {
        let invalid = |flag, reason: String| Err(ConfigError::Invalid { flag, reason });
        for (flag, value) in [
            ("--db_max_open", self.db_max_open as u64),
            ("--js_max_runtimes", self.js_max_runtimes as u64),
            ("--js_max_memory_mb", self.js_max_memory_mb as u64),
            ("--henv_idle_secs", self.henv_idle_secs),
            ("--activity_flush_secs", self.activity_flush_secs),
        ] {
            if value == 0 {
                return invalid(flag, "must be greater than 0".into());
            }
        }
        if let Some(domain) = &self.base_domain {
            if let Err(e) = crate::henv::normalize_hostname(domain) {
                return invalid("--base_domain", format!("{domain:?}: {e}"));
            }
        }
        if self.allow_signup && self.base_domain.is_none() {
            return invalid("--allow_signup", "needs --base_domain".into());
        }
        if !self.default_host.is_empty() {
            if let Err(e) = crate::henv::normalize_hostname(&self.default_host) {
                return invalid("--default_host", format!("{:?}: {e}", self.default_host));
            }
        }
        Ok(())
    }

    /// The TLS flags make sense together. (The files themselves are read at start.)
    fn validate_tls(&self) -> Result<(), ConfigError> {
        let invalid = |flag, reason: &str| {
            Err(ConfigError::Invalid {
                flag,
                reason: reason.into(),
            })
        };
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            let flag = if self.tls_cert.is_some() {
                "--tls_key"
            } else {
                "--tls_cert"
            };
            return invalid(flag, "--tls_cert and --tls_key go together");
        }
        let has_certs = self.tls_cert.is_some() || self.tls_cert_dir.is_some();
        match self.tls_port {
            None if has_certs => {
                let flag = if self.tls_cert.is_some() {
                    "--tls_cert"
                } else {
                    "--tls_cert_dir"
                };
                return invalid(flag, "needs --tls_port (the HTTPS port)");
            }
            None if self.tls_only => return invalid("--tls_only", "needs --tls_port"),
            None if self.redirect_http_to_https => {
                return invalid("--redirect_http_to_https", "needs --tls_port")
            }
            Some(_) if !has_certs => {
                return invalid(
                    "--tls_port",
                    "needs --tls_cert and --tls_key, or --tls_cert_dir",
                )
            }
            Some(p) if p != 0 && p == self.port && !self.tls_only => {
                return invalid("--tls_port", "must differ from --port")
            }
            _ => {}
        }
        if self.tls_only && self.redirect_http_to_https {
            return invalid(
                "--redirect_http_to_https",
                "needs the plain HTTP listener (drop --tls_only)",
            );
        }
        if self.tls_handshake_timeout_ms == 0 {
            return invalid("--tls_handshake_timeout_ms", "must be greater than 0");
        }
        Ok(())
    }

    /// Creates the storage directory (mode 0700) if needed and proves it is writable.
    pub fn prepare_storage_dir(&self) -> Result<(), ConfigError> {
        let dir = &self.storage_dir;
        let fail = |e: std::io::Error| ConfigError::StorageDir {
            path: dir.clone(),
            reason: e.to_string(),
        };
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(fail)?;
        }
        let probe = dir.join(format!(".hbf-write-probe-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(fail)?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    pub(crate) fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms)
    }
    pub(crate) fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms)
    }
    pub(crate) fn keepalive_timeout(&self) -> Duration {
        Duration::from_millis(self.keepalive_timeout_ms)
    }
    pub(crate) fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.write_timeout_ms)
    }
    pub(crate) fn handler_timeout(&self) -> Duration {
        Duration::from_millis(self.qjs_timeout_ms)
    }
    pub(crate) fn shutdown_timeout(&self) -> Duration {
        Duration::from_millis(self.shutdown_timeout_ms)
    }
    pub(crate) fn tls_handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.tls_handshake_timeout_ms)
    }
}

/// A configuration value that cannot be used. `Display` names the flag and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{flag}: {reason}")]
    Invalid { flag: &'static str, reason: String },
    #[error("--storage_dir: cannot use {}: {reason}", path.display())]
    StorageDir { path: PathBuf, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let c = Config::default();
        assert_eq!(c.port, 5309);
        assert_eq!(c.bind.to_string(), "127.0.0.1");
        assert_eq!(c.max_conn, 10_000);
        assert_eq!(c.db_max_open, 100);
        assert_eq!(c.js_max_runtimes, 64);
        assert_eq!(c.metrics_henv_top, 20);
        assert_eq!(c.admin_bind.to_string(), "127.0.0.1:9309");
        assert!(!c.builtin_bare_paths && c.metrics_token.is_none());
        assert!(c.base_domain.is_none() && !c.allow_signup);
        assert_eq!(c.qjs_mem_mb, 64);
        assert_eq!(c.qjs_timeout_ms, 5_000);
        assert_eq!(c.max_request_line_bytes, 8192);
        assert_eq!(c.max_header_bytes, 32768);
        assert_eq!(c.max_headers, 100);
        assert_eq!(c.max_body_bytes, 10 * 1024 * 1024);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn zero_limits_are_rejected_with_the_flag_name() {
        let c = Config {
            max_headers: 0,
            ..Config::default()
        };
        let err = c.validate().unwrap_err().to_string();
        assert!(err.starts_with("--max_headers:"), "{err}");
    }

    #[test]
    fn unwritable_storage_dir_is_named() {
        let c = Config {
            storage_dir: "/proc/hbf-cannot-exist".into(),
            ..Config::default()
        };
        let err = c.prepare_storage_dir().unwrap_err().to_string();
        assert!(
            err.starts_with("--storage_dir: cannot use /proc/hbf-cannot-exist"),
            "{err}"
        );
    }

    #[test]
    fn tls_flags_are_checked_together() {
        let base = Config::default();
        assert_eq!(base.tls_port, None);
        assert_eq!(base.tls_handshake_timeout_ms, 10_000);
        assert!(base.trust_proxy.is_empty());
        let check = |c: Config| c.validate().map_err(|e| e.to_string());
        let err = check(Config {
            tls_port: Some(8443),
            ..Config::default()
        })
        .unwrap_err();
        assert!(err.starts_with("--tls_port: needs --tls_cert"), "{err}");
        let err = check(Config {
            tls_cert: Some("c.pem".into()),
            tls_port: Some(8443),
            ..Config::default()
        })
        .unwrap_err();
        assert!(err.starts_with("--tls_key:"), "{err}");
        let err = check(Config {
            tls_cert: Some("c.pem".into()),
            tls_key: Some("k.pem".into()),
            ..Config::default()
        })
        .unwrap_err();
        assert!(err.starts_with("--tls_cert: needs --tls_port"), "{err}");
        let ok = Config {
            tls_cert: Some("c.pem".into()),
            tls_key: Some("k.pem".into()),
            tls_port: Some(8443),
            ..Config::default()
        };
        assert!(check(ok.clone()).is_ok());
        let err = check(Config {
            tls_port: Some(ok.port),
            ..ok.clone()
        })
        .unwrap_err();
        assert!(err.starts_with("--tls_port: must differ"), "{err}");
        let err = check(Config {
            tls_only: true,
            redirect_http_to_https: true,
            ..ok
        })
        .unwrap_err();
        assert!(err.starts_with("--redirect_http_to_https:"), "{err}");
    }

    #[test]
    fn tenancy_flags_are_checked() {
        let check = |c: Config| c.validate().map_err(|e| e.to_string());
        let err = check(Config {
            allow_signup: true,
            ..Config::default()
        })
        .unwrap_err();
        assert!(
            err.starts_with("--allow_signup: needs --base_domain"),
            "{err}"
        );
        let err = check(Config {
            base_domain: Some("bad_domain".into()),
            ..Config::default()
        })
        .unwrap_err();
        assert!(err.starts_with("--base_domain:"), "{err}");
        let err = check(Config {
            db_max_open: 0,
            ..Config::default()
        })
        .unwrap_err();
        assert!(err.starts_with("--db_max_open:"), "{err}");
        assert!(check(Config {
            default_host: String::new(),
            base_domain: Some("hbf.example".into()),
            allow_signup: true,
            ..Config::default()
        })
        .is_ok());
    }

    #[test]
    fn trust_proxy_parses_a_cidr_list() {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            config: Config,
        }
        let c = Cli::parse_from(["hbf", "--trust_proxy", "127.0.0.1/32,10.0.0.0/8"]).config;
        assert_eq!(c.trust_proxy.len(), 2);
        assert!(c.trust_proxy[1].contains("10.9.8.7".parse().unwrap()));
        let err = Cli::try_parse_from(["hbf", "--trust_proxy", "10.0.0.0/40"]).err();
        assert!(err.is_some());
    }
}
