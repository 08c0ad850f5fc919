//! Per-henv settings kept in `_hbf_config` (JSON values), and the response defaults they
//! control: security headers, CORS, and the JavaScript isolation mode.
//!
//! Keys: `isolation` ("worker" | "request"), `security_headers` (true | false | {name: value}),
//! `cors` (null | {"origins": ["https://a.example"] or "*", "methods": [...], "headers": [...],
//! "credentials": bool, "max_age": seconds}), `cache_control` (string for static assets),
//! `sql_limits` ({"length": bytes, "sql_length": bytes, "column": n, ...}; see `sql_limits`),
//! `documents_max_bytes`, `documents_max_id_bytes`, `documents_max_depth` (document limits,
//! see `docs::Limits`), `documents_serve` (true | false: default serving of documents),
//! `workers` (how many workers the henv's requests spread over, each with its own runtime,
//! as a Node cluster; default 1: one runtime, one process), `max_inflight` (requests in
//! flight at once before 503; default `--henv_max_inflight`).

use rusqlite::Connection;

use crate::http::{Request, Response};

/// Security headers added to every app response that does not set them itself.
pub const DEFAULT_SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
];

/// How JavaScript contexts are reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Isolation {
    /// One context per worker and henv, reused across requests (the default).
    #[default]
    Worker,
    /// A fresh context for every request (about 100 µs more per request).
    Request,
}

/// Cross-origin resource sharing for a henv.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins; `None` means any (`*`).
    pub origins: Option<Vec<String>>,
    pub methods: String,
    pub headers: String,
    pub credentials: bool,
    pub max_age: u64,
}

/// The settings of one henv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HenvSettings {
    pub isolation: Isolation,
    pub security_headers: Vec<(String, String)>,
    pub cors: Option<Cors>,
    pub cache_control: String,
    /// Workers the henv's requests spread over (1: all on one, as one Node process).
    pub workers: usize,
    /// Requests in flight at once (0: the server default).
    pub max_inflight: usize,
    /// Per-connection SQLite limits of app SQL.
    pub sql_limits: super::sql_limits::SqlLimits,
    /// Document size and id limits.
    pub documents: crate::docs::Limits,
    /// Serve documents by path before the 404 (`docs::serve`).
    pub documents_serve: bool,
}

impl Default for HenvSettings {
    fn default() -> Self {
        HenvSettings {
            isolation: Isolation::Worker,
            security_headers: DEFAULT_SECURITY_HEADERS
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            cors: None,
            cache_control: super::assets::DEFAULT_CACHE_CONTROL.into(),
            workers: 1,
            max_inflight: 0,
            sql_limits: Default::default(),
            documents: crate::docs::Limits::default(),
            documents_serve: true,
        }
    }
}

impl HenvSettings {
    /// Reads the settings; unknown keys are ignored and malformed values keep their defaults.
    /// The henv's `sql_limits` are applied to `conn` (the app connection they belong to) here,
    /// so they follow every (re)load.
    pub fn load(conn: &Connection) -> rusqlite::Result<HenvSettings> {
        let mut settings = HenvSettings::default();
        let mut stmt = conn.prepare_cached(
            "SELECT key, value FROM _hbf_config WHERE key IN ('isolation', 'security_headers', 'cors', 'cache_control', \
             'sql_limits', 'documents_max_bytes', 'documents_max_id_bytes', 'documents_max_depth', 'documents_serve', \
             'workers', 'max_inflight')",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (key, value) = row?;
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&value) else {
                continue;
            };
            settings.apply(&key, &value);
        }
        settings.sql_limits.apply(conn)?;
        Ok(settings)
    }

    fn apply(&mut self, key: &str, value: &serde_json::Value) {
        use serde_json::Value as J;
        match (key, value) {
            ("isolation", J::String(s)) if s == "request" => self.isolation = Isolation::Request,
            ("isolation", _) => self.isolation = Isolation::Worker,
            ("workers", J::Number(n)) => {
                self.workers = n.as_u64().map_or(1, |n| n.clamp(1, 1024) as usize);
            }
            ("max_inflight", J::Number(n)) => {
                self.max_inflight = n.as_u64().map_or(0, |n| n.min(1 << 20) as usize);
            }
            ("security_headers", J::Bool(false)) => self.security_headers.clear(),
            ("security_headers", J::Object(map)) => {
                self.security_headers = map
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect();
            }
            ("cors", J::Object(map)) => {
                let list = |key: &str, default: &str| match map.get(key) {
                    Some(J::Array(items)) => items
                        .iter()
                        .filter_map(J::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    Some(J::String(s)) => s.clone(),
                    _ => default.to_owned(),
                };
                let origins = match map.get("origins") {
                    Some(J::Array(items)) => Some(
                        items
                            .iter()
                            .filter_map(J::as_str)
                            .map(str::to_owned)
                            .collect(),
                    ),
                    Some(J::String(s)) if s != "*" => Some(vec![s.clone()]),
                    _ => None,
                };
                self.cors = Some(Cors {
                    origins,
                    methods: list("methods", "GET, HEAD, PUT, PATCH, POST, DELETE"),
                    headers: list("headers", "Content-Type, Authorization"),
                    credentials: map.get("credentials").and_then(J::as_bool).unwrap_or(false),
                    max_age: map.get("max_age").and_then(J::as_u64).unwrap_or(600),
                });
            }
            ("cache_control", J::String(s)) => self.cache_control = s.clone(),
            ("sql_limits", v) => self.sql_limits = super::sql_limits::SqlLimits::from_setting(v),
            ("documents_max_bytes", J::Number(n)) => {
                if let Some(n) = n.as_u64().filter(|n| *n > 0) {
                    self.documents.max_bytes = n.min(usize::MAX as u64) as usize;
                }
            }
            ("documents_max_id_bytes", J::Number(n)) => {
                if let Some(n) = n.as_u64().filter(|n| (1..=4096).contains(n)) {
                    self.documents.max_id_bytes = n as usize;
                }
            }
            ("documents_max_depth", J::Number(n)) => {
                if let Some(n) = n.as_u64().filter(|n| (1..=256).contains(n)) {
                    self.documents.max_depth = n as usize;
                }
            }
            ("documents_serve", J::Bool(b)) => self.documents_serve = *b,
            _ => {}
        }
    }

    /// Answers a CORS preflight without running the app, if CORS is on and this is one.
    pub fn preflight(&self, req: &Request) -> Option<Response> {
        let cors = self.cors.as_ref()?;
        if req.head.method != "OPTIONS" || req.header("access-control-request-method").is_none() {
            return None;
        }
        let origin = req.header("origin")?;
        let mut resp = Response::new(204);
        if let Some(allowed) = cors.allow_origin(origin) {
            resp.headers
                .push(("Access-Control-Allow-Origin".into(), allowed));
            resp.headers
                .push(("Access-Control-Allow-Methods".into(), cors.methods.clone()));
            resp.headers
                .push(("Access-Control-Allow-Headers".into(), cors.headers.clone()));
            resp.headers
                .push(("Access-Control-Max-Age".into(), cors.max_age.to_string()));
            if cors.credentials {
                resp.headers
                    .push(("Access-Control-Allow-Credentials".into(), "true".into()));
            }
        }
        resp.headers.push((
            "Vary".into(),
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers".into(),
        ));
        Some(resp)
    }

    /// Adds security and CORS headers the app did not set.
    pub fn decorate(&self, req: &Request, resp: &mut Response) {
        for (name, value) in &self.security_headers {
            if resp.header(name).is_none() {
                resp.headers.push((name.clone(), value.clone()));
            }
        }
        if let (Some(cors), Some(origin)) = (&self.cors, req.header("origin")) {
            if resp.header("access-control-allow-origin").is_none() {
                if let Some(allowed) = cors.allow_origin(origin) {
                    resp.headers
                        .push(("Access-Control-Allow-Origin".into(), allowed));
                    if cors.credentials {
                        resp.headers
                            .push(("Access-Control-Allow-Credentials".into(), "true".into()));
                    }
                    resp.headers.push(("Vary".into(), "Origin".into()));
                }
            }
        }
        resp.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("x-powered-by"));
    }
}

impl Cors {
    /// The `Access-Control-Allow-Origin` value for `origin`, if it is allowed.
    fn allow_origin(&self, origin: &str) -> Option<String> {
        match &self.origins {
            // With credentials the origin must be echoed; `*` is not allowed by browsers.
            None if self.credentials => Some(origin.to_owned()),
            None => Some("*".to_owned()),
            Some(list) => list.iter().any(|o| o == origin).then(|| origin.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> HenvSettings {
        let mut s = HenvSettings::default();
        for (k, v) in pairs {
            s.apply(k, &serde_json::from_str(v).unwrap());
        }
        s
    }

    #[test]
    fn parses_settings() {
        let s = settings(&[("isolation", "\"request\""), ("security_headers", "false")]);
        assert_eq!(s.isolation, Isolation::Request);
        assert!(s.security_headers.is_empty());
        let s = settings(&[(
            "cors",
            r#"{"origins":["https://a.test"],"credentials":true}"#,
        )]);
        let cors = s.cors.unwrap();
        assert_eq!(
            cors.allow_origin("https://a.test").as_deref(),
            Some("https://a.test")
        );
        assert_eq!(cors.allow_origin("https://evil.test"), None);
        assert_eq!(
            settings(&[("cors", r#"{"origins":"*"}"#)])
                .cors
                .unwrap()
                .allow_origin("x")
                .as_deref(),
            Some("*")
        );
    }
}
