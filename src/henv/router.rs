//! Host → henv, per request, from an in-memory copy of the registry.
//!
//! Order: `{hash}.{base_domain}` selects that henv; a registered custom domain or hostname
//! selects its henv; anything else gets the default henv (`--default_host`) when it exists,
//! else a JSON 404 naming the host. A Host that is not a valid hostname is a JSON 400.
//! `POST /new` on the base domain itself is the signup route.
//!
//! The table is reloaded by a background thread when the registry's `routes_version` changes
//! (checked about once a second, after a cheap `PRAGMA data_version`), and at once after a
//! signup on this server. A request costs one atomic load and hash-map lookups on the
//! worker's own copy of the table: no registry query.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::name::{dns_safe_hash, normalize_hostname, HASH_LEN};
use super::registry::{Registry, RegistryError, RouteTable};
use super::store;
use crate::http::{Request, Response};

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// A henv: its hash and the normalised hostname the request named.
    Henv { hash: String, host: String },
    /// `POST /new` on the base domain.
    Signup,
}

/// Why a request has no henv; `response()` is the JSON answer.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("invalid hostname {host:?}: {reason}")]
    BadHost { host: String, reason: String },
    #[error("no app for host {host:?}")]
    UnknownHost { host: String },
    #[error("signup is disabled on this server (--allow_signup)")]
    SignupDisabled,
}

impl RouteError {
    pub fn response(&self) -> Response {
        let status = match self {
            RouteError::BadHost { .. } => 400,
            RouteError::UnknownHost { .. } | RouteError::SignupDisabled => 404,
        };
        Response::error(status, &self.to_string())
    }
}

/// Routing settings.
#[derive(Clone, Debug, Default)]
pub struct RouterConfig {
    pub storage_dir: PathBuf,
    /// Normalised `--default_host`; `None` disables the fallback.
    pub default_host: Option<String>,
    /// Normalised `--base_domain`.
    pub base_domain: Option<String>,
    pub allow_signup: bool,
}

/// The shared route table and its reloading.
pub struct Router {
    config: RouterConfig,
    default_hash: Option<String>,
    default_exists: AtomicBool,
    version: AtomicU64,
    table: RwLock<Arc<RouteTable>>,
    registry: Mutex<Option<RegistryState>>,
}

struct RegistryState {
    registry: Registry,
    data_version: i64,
    routes_version: i64,
}

impl Router {
    pub fn new(config: RouterConfig) -> Router {
        let default_hash = config.default_host.as_deref().map(dns_safe_hash);
        let router = Router {
            default_hash,
            default_exists: AtomicBool::new(false),
            version: AtomicU64::new(1),
            table: RwLock::new(Arc::new(RouteTable::default())),
            registry: Mutex::new(None),
            config,
        };
        let _ = router.refresh(true);
        router
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The default henv's hash, when a default host is configured.
    pub fn default_hash(&self) -> Option<&str> {
        self.default_hash.as_deref()
    }

    /// Bumped whenever the table is replaced.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The current table.
    pub fn table(&self) -> Arc<RouteTable> {
        self.table
            .read()
            .map(|t| t.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Runs `f` with the router's registry connection (opening it if needed).
    pub fn with_registry<T>(
        &self,
        f: impl FnOnce(&mut Registry) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let mut guard = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(RegistryState {
                registry: Registry::open(&self.config.storage_dir)?,
                data_version: -1,
                routes_version: -1,
            });
        }
        match guard.as_mut() {
            Some(state) => f(&mut state.registry),
            None => unreachable!("registry opened above"),
        }
    }

    /// Reloads the table if the registry's routes changed (or always, with `force`). Returns
    /// whether the table was replaced.
    pub fn refresh(&self, force: bool) -> Result<bool, RegistryError> {
        if let Some(hash) = &self.default_hash {
            let exists = store::hash_path(&self.config.storage_dir, hash).exists();
            self.default_exists.store(exists, Ordering::Relaxed);
        }
        let mut guard = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(RegistryState {
                registry: Registry::open(&self.config.storage_dir)?,
                data_version: -1,
                routes_version: -1,
            });
        }
        let Some(state) = guard.as_mut() else {
            return Ok(false);
        };
        let data_version = state.registry.data_version()?;
        if !force && data_version == state.data_version {
            return Ok(false);
        }
        state.data_version = data_version;
        let routes_version = state.registry.routes_version()?;
        if !force && routes_version == state.routes_version {
            return Ok(false);
        }
        let table = state.registry.route_table()?;
        state.routes_version = routes_version;
        drop(guard);
        *self.table.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(table);
        self.version.fetch_add(1, Ordering::AcqRel);
        Ok(true)
    }

    /// The henv a request is for, from the in-memory table only (no file system access, so
    /// the event loop may call it to place requests on workers). `None` for signup and for
    /// unknown hosts without a default henv; a hint, not a route: `resolve` decides.
    pub fn henv_hint(&self, table: &RouteTable, req: &Request) -> Option<String> {
        let host = match req.head.host.as_deref() {
            Some(h) if !h.is_empty() => normalize_hostname(h).ok()?,
            _ => return self.default_hash.clone(),
        };
        if let Some(base) = &self.config.base_domain {
            if host == *base {
                return None;
            }
            if let Some(hash) = hash_label(&host, base) {
                if table.hashes.contains_key(hash) || self.default_hash.as_deref() == Some(hash) {
                    return Some(hash.to_owned());
                }
            }
        }
        if let Some(hash) = table.names.get(&host) {
            return Some(hash.clone());
        }
        self.default_hash.clone()
    }

    fn default_route(&self, host: String) -> Result<Route, RouteError> {
        match &self.default_hash {
            Some(hash) if self.default_available(hash) => Ok(Route::Henv {
                hash: hash.clone(),
                host,
            }),
            _ => Err(RouteError::UnknownHost { host }),
        }
    }

    fn default_available(&self, hash: &str) -> bool {
        if self.default_exists.load(Ordering::Relaxed) {
            return true;
        }
        // Created since the last refresh? (Costs a stat only on this rare path.)
        let exists = store::hash_path(&self.config.storage_dir, hash).exists();
        if exists {
            self.default_exists.store(true, Ordering::Relaxed);
        }
        exists
    }

    /// Resolves a request against `table`.
    pub fn resolve(&self, table: &RouteTable, req: &Request) -> Result<Route, RouteError> {
        let raw = match req.head.host.as_deref() {
            Some(h) if !h.is_empty() => h,
            // HTTP/1.0 without Host: the default henv.
            _ => {
                let host = self.config.default_host.clone().unwrap_or_default();
                return self.default_route(host);
            }
        };
        let host = normalize_hostname(raw).map_err(|e| RouteError::BadHost {
            host: raw.to_owned(),
            reason: e.to_string(),
        })?;
        if let Some(base) = &self.config.base_domain {
            if host == *base {
                if req.head.method == "POST" && req.head.path == "/new" {
                    return if self.config.allow_signup {
                        Ok(Route::Signup)
                    } else {
                        Err(RouteError::SignupDisabled)
                    };
                }
            } else if let Some(hash) = hash_label(&host, base) {
                if table.hashes.contains_key(hash)
                    || (self.default_hash.as_deref() == Some(hash) && self.default_available(hash))
                {
                    return Ok(Route::Henv {
                        hash: hash.to_owned(),
                        host,
                    });
                }
            }
        }
        if let Some(hash) = table.names.get(&host) {
            return Ok(Route::Henv {
                hash: hash.clone(),
                host,
            });
        }
        self.default_route(host)
    }

    /// The storage directory.
    pub fn storage_dir(&self) -> &Path {
        &self.config.storage_dir
    }
}

/// `abcd1234` for `abcd1234.{base}`: a single label of `HASH_LEN` base-36 digits.
pub fn hash_label<'a>(host: &'a str, base: &str) -> Option<&'a str> {
    let label = host.strip_suffix(base)?.strip_suffix('.')?;
    (label.len() == HASH_LEN
        && label
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
    .then_some(label)
}

/// A worker's view: its own copy of the table, refreshed when the router's version moves.
pub struct RouterView {
    router: Arc<Router>,
    seen: u64,
    table: Arc<RouteTable>,
}

impl RouterView {
    pub fn new(router: Arc<Router>) -> RouterView {
        let seen = router.version();
        let table = router.table();
        RouterView {
            router,
            seen,
            table,
        }
    }

    /// Picks up a new table if there is one; returns whether it changed.
    pub fn sync(&mut self) -> bool {
        let v = self.router.version();
        if v == self.seen {
            return false;
        }
        self.seen = v;
        self.table = self.router.table();
        true
    }

    pub fn resolve(&self, req: &Request) -> Result<Route, RouteError> {
        self.router.resolve(&self.table, req)
    }

    /// Whether `hash` is still served (registered, or the default henv).
    pub fn serves(&self, hash: &str) -> bool {
        self.table.hashes.contains_key(hash) || self.router.default_hash() == Some(hash)
    }

    pub fn router(&self) -> &Arc<Router> {
        &self.router
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn req(method: &str, host: Option<&str>, path: &str) -> Request {
        let raw = match host {
            Some(h) => format!("{method} {path} HTTP/1.1\r\nHost: {h}\r\n\r\n"),
            None => format!("{method} {path} HTTP/1.0\r\n\r\n"),
        };
        let (head, _) = crate::http::parse_head(raw.as_bytes(), &crate::http::Limits::default())
            .unwrap()
            .unwrap();
        Request {
            id: 1,
            head,
            body: Vec::new(),
            peer: "127.0.0.1:1".parse().unwrap(),
            client_ip: "127.0.0.1".parse().unwrap(),
            secure: false,
            received_at: Instant::now(),
            deadline: Instant::now(),
        }
    }

    #[test]
    fn resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut reg = Registry::open(dir.path()).unwrap();
        let app = reg.create("app.test", None).unwrap();
        reg.add_domain("app.test", "custom.example").unwrap();
        let router = Router::new(RouterConfig {
            storage_dir: dir.path().into(),
            default_host: Some("localhost".into()),
            base_domain: Some("hbf.test".into()),
            allow_signup: false,
        });
        let view = RouterView::new(Arc::new(router));
        let go = |host: &str| view.resolve(&req("GET", Some(host), "/"));
        let henv = |hash: &str, host: &str| {
            Ok(Route::Henv {
                hash: hash.into(),
                host: host.into(),
            })
        };
        assert_eq!(go("APP.test:8080"), henv(&app.hash, "app.test"));
        assert_eq!(go("custom.example."), henv(&app.hash, "custom.example"));
        let by_hash = format!("{}.hbf.test", app.hash);
        assert_eq!(go(&by_hash), henv(&app.hash, &by_hash));
        // No default henv file yet: unknown hosts are 404.
        assert!(
            matches!(go("other.test"), Err(RouteError::UnknownHost { host }) if host == "other.test")
        );
        assert!(matches!(go("a_b.test"), Err(RouteError::BadHost { .. })));
        assert_eq!(go("a_b.test").unwrap_err().response().status, 400);
        std::fs::write(dir.path().join("w8f5ws4j.db"), b"").unwrap();
        assert_eq!(go("other.test"), henv("w8f5ws4j", "other.test"));
        assert_eq!(
            view.resolve(&req("POST", Some("hbf.test"), "/new")),
            Err(RouteError::SignupDisabled)
        );
        assert_eq!(
            hash_label("abcdefgh.hbf.test", "hbf.test"),
            Some("abcdefgh")
        );
        assert_eq!(hash_label("x.abcdefgh.hbf.test", "hbf.test"), None);
        assert_eq!(hash_label("abcdefgh.xhbf.test", "hbf.test"), None);
    }

    #[test]
    fn views_follow_registry_changes() {
        let dir = tempfile::tempdir().unwrap();
        let router = Arc::new(Router::new(RouterConfig {
            storage_dir: dir.path().into(),
            ..RouterConfig::default()
        }));
        let mut view = RouterView::new(router.clone());
        assert!(view.resolve(&req("GET", Some("late.test"), "/")).is_err());
        // Another process (the CLI) registers a henv.
        Registry::open(dir.path())
            .unwrap()
            .create("late.test", None)
            .unwrap();
        assert!(router.refresh(false).unwrap());
        assert!(!router.refresh(false).unwrap());
        assert!(view.sync());
        assert!(view.resolve(&req("GET", Some("late.test"), "/")).is_ok());
    }
}
