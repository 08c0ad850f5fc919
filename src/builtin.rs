//! Built-in endpoints answered on the event loop without a worker: `/health` and `/metrics`.
//! They read only atomics and a per-second snapshot, so they stay cheap under any load.

use std::time::Duration;

use crate::http::{RequestHead, Response};
use crate::observe::Metrics;

/// Process figures refreshed by the loop about once a second (reading /proc per request
/// would cost more than answering it).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Snapshot {
    pub uptime: Duration,
    pub rss_bytes: u64,
}

/// The built-in response for `head`, if its path is a built-in one.
/// Built-ins always answer under `/_hbf/`; the bare `/health` and `/metrics` too unless
/// `--builtin_bare_paths false` leaves those paths to the apps.
pub(crate) fn answer(
    head: &RequestHead,
    bare_paths: bool,
    metrics: &Metrics,
    snap: &Snapshot,
) -> Option<Response> {
    let path = match head.path.strip_prefix("/_hbf") {
        Some(rest) => rest,
        None if bare_paths => head.path.as_str(),
        None => return None,
    };
    if path != "/health" && path != "/metrics" {
        return None;
    }
    if head.method != "GET" && head.method != "HEAD" {
        return Some(Response::error(405, "method not allowed").with_header("Allow", "GET, HEAD"));
    }
    Some(match path {
        "/health" => health(metrics, snap),
        _ => Response::new(200)
            .with_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .with_header("Cache-Control", "no-store")
            .with_body(
                metrics
                    .render_prometheus(snap.uptime, snap.rss_bytes)
                    .into_bytes(),
            ),
    })
}

fn health(metrics: &Metrics, snap: &Snapshot) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let body = serde_json::json!({
        "status": "ok",
        "version": crate::VERSION,
        "uptime_seconds": snap.uptime.as_secs(),
        "active_henvs": metrics.active_henvs.load(Relaxed),
        "db_connections": metrics.db_connections.load(Relaxed),
        "memory_mb": snap.rss_bytes / (1024 * 1024),
    });
    Response::json(200, &body).with_header("Cache-Control", "no-store")
}
