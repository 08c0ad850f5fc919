//! Built-in endpoints answered on the event loop without a worker: health and metrics.
//! They read only atomics and a per-second snapshot, so they stay cheap under any load.
//!
//! Two surfaces, because process-wide data must not leak to tenants:
//! - **public** (the app ports): `/_hbf/health` answers liveness only (`{"status":"ok"}`);
//!   `/_hbf/metrics` only with `Authorization: Bearer <--metrics_token>` (constant-time
//!   compare), otherwise 404 (no token configured) or 401. The bare `/health` and `/metrics`
//!   belong to the apps unless `--builtin_bare_paths true`.
//! - **operator** (`--admin_bind`, loopback by default): `/health` with the full JSON
//!   (version, uptime, active henvs, connections, memory) and `/metrics`, with or without the
//!   `/_hbf` prefix; anything else is a JSON 404. Requests there never reach a worker or an app.

use std::time::Duration;

use subtle::ConstantTimeEq;

use crate::http::{RequestHead, Response};
use crate::observe::Metrics;

/// Process figures refreshed by the loop about once a second (reading /proc per request
/// would cost more than answering it).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Snapshot {
    pub uptime: Duration,
    pub rss_bytes: u64,
}

/// Which listener a request came in on, and what that listener may see.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Surface<'a> {
    /// An app port (plain or TLS): tenants' traffic.
    Public {
        /// `--builtin_bare_paths`: also claim `/health` and `/metrics` from the apps.
        bare_paths: bool,
        /// `--metrics_token`: the bearer token that unlocks `/_hbf/metrics` here.
        metrics_token: Option<&'a str>,
    },
    /// The operator listener (`--admin_bind`).
    Operator,
}

/// The built-in response for `head` on `surface`, if its path is a built-in one. On the
/// operator surface every request is answered here.
pub(crate) fn answer(
    head: &RequestHead,
    surface: Surface<'_>,
    metrics: &Metrics,
    snap: &Snapshot,
) -> Option<Response> {
    let path = match (head.path.strip_prefix("/_hbf"), surface) {
        (Some(rest), _) => rest,
        (None, Surface::Operator) => head.path.as_str(),
        (None, Surface::Public { bare_paths, .. }) if bare_paths => head.path.as_str(),
        (None, Surface::Public { .. }) => return None,
    };
    let known = path == "/health" || path == "/metrics";
    if !known {
        return match surface {
            Surface::Operator => Some(Response::error(
                404,
                "operator listener: only /health and /metrics",
            )),
            Surface::Public { .. } => None,
        };
    }
    if head.method != "GET" && head.method != "HEAD" {
        return Some(Response::error(405, "method not allowed").with_header("Allow", "GET, HEAD"));
    }
    Some(match (path, surface) {
        ("/health", Surface::Operator) => health(metrics, snap),
        ("/health", Surface::Public { .. }) => liveness(),
        (_, Surface::Operator) => prometheus(metrics, snap),
        (_, Surface::Public { metrics_token, .. }) => match metrics_token {
            None => Response::error(404, "not found"),
            Some(token) if bearer_matches(head, token) => prometheus(metrics, snap),
            Some(_) => Response::error(401, "metrics need the operator's bearer token")
                .with_header("WWW-Authenticate", "Bearer realm=\"hbf-metrics\""),
        },
    })
}

/// Whether `Authorization: Bearer <token>` is present and equal to `token`. Both sides are
/// hashed first, so the comparison takes the same time whatever the lengths and contents.
fn bearer_matches(head: &RequestHead, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    let Some(given) = head
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let a = Sha256::digest(given.trim().as_bytes());
    let b = Sha256::digest(token.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

fn prometheus(metrics: &Metrics, snap: &Snapshot) -> Response {
    Response::new(200)
        .with_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .with_header("Cache-Control", "no-store")
        .with_body(
            metrics
                .render_prometheus(snap.uptime, snap.rss_bytes)
                .into_bytes(),
        )
}

/// What an app host may learn: the process is up. Nothing about other tenants.
fn liveness() -> Response {
    Response::json(200, &serde_json::json!({ "status": "ok" }))
        .with_header("Cache-Control", "no-store")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn head(path: &str, auth: Option<&str>) -> RequestHead {
        let mut raw = format!("GET {path} HTTP/1.1\r\nHost: shop.example\r\n");
        if let Some(a) = auth {
            raw.push_str(&format!("Authorization: {a}\r\n"));
        }
        raw.push_str("\r\n");
        match crate::http::parse_head(raw.as_bytes(), &crate::Config::default().limits()) {
            Ok(Some((head, _))) => head,
            other => panic!("test head does not parse: {other:?}"),
        }
    }

    fn status(path: &str, auth: Option<&str>, surface: Surface<'_>) -> Option<u16> {
        answer(
            &head(path, auth),
            surface,
            &Metrics::new(),
            &Snapshot::default(),
        )
        .map(|r| r.status)
    }

    const PUBLIC: Surface<'static> = Surface::Public {
        bare_paths: false,
        metrics_token: None,
    };
    const TOKEN: Surface<'static> = Surface::Public {
        bare_paths: false,
        metrics_token: Some("s3cret"),
    };

    #[test]
    fn public_surface_answers_liveness_and_hides_metrics() {
        assert_eq!(status("/_hbf/health", None, PUBLIC), Some(200));
        assert_eq!(status("/_hbf/metrics", None, PUBLIC), Some(404));
        assert_eq!(
            status("/metrics", None, PUBLIC),
            None,
            "bare paths are the app's"
        );
        assert_eq!(status("/health", None, PUBLIC), None);
        let body = answer(
            &head("/_hbf/health", None),
            PUBLIC,
            &Metrics::new(),
            &Snapshot::default(),
        )
        .map(|r| r.body)
        .unwrap_or_default();
        assert_eq!(body, b"{\"status\":\"ok\"}\n");
    }

    #[test]
    fn metrics_token_unlocks_public_metrics() {
        assert_eq!(status("/_hbf/metrics", None, TOKEN), Some(401));
        assert_eq!(
            status("/_hbf/metrics", Some("Bearer nope"), TOKEN),
            Some(401)
        );
        assert_eq!(
            status("/_hbf/metrics", Some("Basic s3cret"), TOKEN),
            Some(401)
        );
        assert_eq!(
            status("/_hbf/metrics", Some("Bearer s3cret"), TOKEN),
            Some(200)
        );
    }

    #[test]
    fn operator_surface_answers_everything_itself() {
        assert_eq!(status("/metrics", None, Surface::Operator), Some(200));
        assert_eq!(status("/_hbf/metrics", None, Surface::Operator), Some(200));
        assert_eq!(status("/health", None, Surface::Operator), Some(200));
        assert_eq!(status("/", None, Surface::Operator), Some(404));
        assert_eq!(status("/_api/tables/x", None, Surface::Operator), Some(404));
    }
}
