//! In-process benchmark of the JavaScript request path: an `AppHandler` worker serving the
//! benchmark app (`stress/apps/bench/server.js`) with no network in between.
//!
//!     cargo bench --bench app_handler                  # every route, 20,000 requests each
//!     cargo bench --bench app_handler -- hello 100000  # one route (name filter), N requests
//!
//!     HBF_BENCH_APP=dir cargo bench --bench app_handler  # another app with the same routes
//!
//! Prints µs/request and requests/s per route (best of 5 rounds, which discounts other
//! processes on the machine). For a noise-free figure count instructions instead:
//!     perf stat -e instructions target/release/deps/app_handler-* hello 100000

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hbf::http::{BodyFraming, Request, RequestHead, Version};
use hbf::js::{AppConfig, AppHandler};
use hbf::observe::Logger;
use hbf::{Handler, LogFormat, LogLevel, Metrics, WorkerEnv};

const ECHO_BODY: &str = r#"{"name":"tobi","tags":["a","b"],"n":42}"#;
const ROUNDS: usize = 5;

struct Route {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: &'static str,
}

const ROUTES: &[Route] = &[
    Route {
        name: "hello",
        method: "GET",
        path: "/hello",
        body: "",
        expect: "Hello, world!",
    },
    Route {
        name: "json",
        method: "GET",
        path: "/json",
        body: "",
        expect: r#"{"message":"Hello, world!","n":42,"ok":true}"#,
    },
    Route {
        name: "users",
        method: "GET",
        path: "/users/5000",
        body: "",
        expect: r#"{"id":5000,"name":"user 5000","email":"user5000@example.com","created_at":1700005000}"#,
    },
    Route {
        name: "echo",
        method: "POST",
        path: "/echo",
        body: ECHO_BODY,
        expect: ECHO_BODY,
    },
];

/// The request wrk sends (`wrk -t2 -c64`, plus the Lua script's headers for POST /echo).
fn request(route: &Route) -> Request {
    let mut headers = vec![("host".to_owned(), "127.0.0.1:5397".to_owned())];
    let framing = if route.body.is_empty() {
        BodyFraming::None
    } else {
        headers.push(("content-type".into(), "application/json".into()));
        headers.push(("content-length".into(), route.body.len().to_string()));
        BodyFraming::Length(route.body.len() as u64)
    };
    let peer = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40000);
    let now = Instant::now();
    Request {
        id: 1,
        head: RequestHead {
            method: route.method.into(),
            target: route.path.into(),
            path: route.path.into(),
            query: None,
            version: Version::Http11,
            headers,
            host: Some("127.0.0.1:5397".into()),
            framing,
            keep_alive: true,
            expect_continue: false,
        },
        body: route.body.as_bytes().to_vec(),
        peer,
        client_ip: peer.ip(),
        secure: false,
        received_at: now,
        deadline: now + Duration::from_secs(3600), // never reached, even under valgrind
    }
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a route filter or a request count.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let filter: Vec<&str> = args
        .iter()
        .filter(|a| a.parse::<u64>().is_err())
        .map(String::as_str)
        .collect();

    let dir = tempfile::tempdir().expect("temp dir");
    // HBF_BENCH_APP: another app directory to serve (same routes), for experiments.
    let app_dir = std::env::var_os("HBF_BENCH_APP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("stress/apps/bench"));
    {
        let (mut conn, _) = hbf::henv::open_henv(dir.path(), "localhost").expect("open henv");
        hbf::henv::import_dir(&mut conn, &app_dir, false).expect("import the bench app");
    }
    let handler = AppHandler::new(AppConfig {
        storage_dir: dir.path().to_path_buf(),
        default_host: "localhost".into(),
        mem_limit_bytes: 64 << 20,
        dev: false,
    });
    let env = WorkerEnv {
        completions: hbf::js::completion::channel().0,
        henvs: Default::default(),
        index: 0,
        log: Arc::new(Logger::new(LogLevel::Warn, LogFormat::Json).expect("logger")),
        metrics: Arc::new(Metrics::new()),
    };
    let mut worker = handler.worker(&env);

    println!(
        "command: cargo bench --bench app_handler -- {}",
        args.join(" ")
    );
    println!("{n} requests per round, best of {ROUNDS} rounds, one worker, one henv");
    println!(
        "{:<8} {:>10} {:>12} {:>10}",
        "route", "µs/req", "req/s", "bytes"
    );
    for route in ROUTES
        .iter()
        .filter(|r| filter.is_empty() || filter.contains(&r.name))
    {
        let req = request(route);
        // Warm up (the first request builds the runtime and seeds the table) and check.
        for _ in 0..200 {
            let resp = worker.handle(&req);
            assert_eq!(resp.status, 200, "{} {}", route.method, route.path);
            assert_eq!(
                String::from_utf8_lossy(&resp.body),
                route.expect,
                "{} {}",
                route.method,
                route.path
            );
        }
        let mut best = Duration::MAX;
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..n {
                let resp = worker.handle(&req);
                bytes = resp.body.len();
            }
            best = best.min(start.elapsed());
        }
        let per = best.as_secs_f64() / n as f64;
        println!(
            "{:<8} {:>10.2} {:>12.0} {:>10}",
            route.name,
            per * 1e6,
            1.0 / per,
            bytes
        );
    }
}
