//! The admin UI of a henv: the `/_admin` pages and assets (packed by `build.rs` behind the
//! default-on cargo feature `admin`) and the admin-only `/_api/admin/...` endpoints the UI
//! uses (files with history, SQL, first-run setup).
//!
//! Access: owner and admin users only. An anonymous caller sees the sign-in and setup pages
//! (and the few assets they load); any other admin page redirects it to sign-in, any admin
//! asset or API answers 401. A signed-in user of another role gets 403 on everything here.
//!
//! Every response carries a strict Content-Security-Policy (no inline script or style, only
//! this origin; workers from this origin, which Monaco's language services need), and may
//! never be framed. The app's own JavaScript never runs on these paths: the worker answers
//! them before the app sees the request.

pub mod files;
pub mod people;
pub mod query;
pub mod setup;

use serde_json::{json, Map, Value as J};

use crate::api::{ApiEnv, Caller};
use crate::auth::User;
use crate::http::{Request, Response};

#[cfg(feature = "admin")]
#[allow(dead_code)] // (MONACO_DIR: the pages name it; kept for tests and tools)
mod packed {
    include!(concat!(env!("OUT_DIR"), "/admin_assets.rs"));
}

/// How long a setup token printed by `hbf serve` / `hbf init` stays valid.
pub const SETUP_TOKEN_TTL_SECS: i64 = 24 * 3600;

/// The Content-Security-Policy of every admin response. `worker-src 'self'`: Monaco runs
/// its language services in workers loaded from this origin (no `blob:` needed).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of the editor page (`/_admin/`): the same, plus inline style *attributes*,
/// because Monaco renders its lines as HTML strings positioned with `style="top:..."`
/// (there is no option to avoid it). Inline `<style>` elements stay refused: `csp-styles.js`
/// moves Monaco's generated CSS into constructable style sheets. Scripts stay `'self'` only.
pub const CSP_EDITOR: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the caller may do here.
#[derive(Debug)]
pub enum Access {
    /// An owner or admin.
    Admin(User),
    /// Not signed in.
    Anonymous,
    /// Signed in with another role.
    Forbidden,
}

impl Access {
    /// The access of a caller.
    pub fn of(caller: &Caller) -> Access {
        match &caller.user {
            Some(u) if matches!(u.role.as_str(), "owner" | "admin") => Access::Admin(u.clone()),
            Some(_) => Access::Forbidden,
            None => Access::Anonymous,
        }
    }
}

/// Whether `path` belongs to the admin UI.
pub fn is_admin_path(path: &str) -> bool {
    path == "/_admin" || path.starts_with("/_admin/")
}

/// Adds the admin security headers (the editor page's policy when `editor`).
fn secure(resp: Response, editor: bool) -> Response {
    resp.with_header(
        "Content-Security-Policy",
        if editor { CSP_EDITOR } else { CSP },
    )
    .with_header("X-Frame-Options", "DENY")
    .with_header("X-Content-Type-Options", "nosniff")
    .with_header("Referrer-Policy", "no-referrer")
    .with_header("Cross-Origin-Opener-Policy", "same-origin")
}

/// Answers a `/_admin...` request (pages and assets).
pub fn page(req: &Request, caller: &Caller) -> Response {
    let editor = matches!(req.path(), "/_admin" | "/_admin/");
    secure(serve(req, &Access::of(caller)), editor)
}

/// Answers `/_api/admin/<rest>`.
pub fn api(env: &ApiEnv<'_>, req: &Request, caller: &Caller, rest: &str) -> Response {
    let resp = if rest == "setup" {
        setup_endpoint(env, req)
    } else {
        files::endpoint(env, req, &Access::of(caller), rest)
    };
    secure(resp.with_header("Cache-Control", "no-store"), false)
}

fn setup_endpoint(env: &ApiEnv<'_>, req: &Request) -> Response {
    if req.method() != "POST" {
        return match setup::has_owner(env.conn) {
            Ok(has) => Response::json(200, &json!({ "needed": !has })),
            Err(e) => Response::error(500, &e.to_string()),
        };
    }
    let Ok(J::Object(f)) = serde_json::from_slice::<J>(&req.body) else {
        return Response::error(400, "expected a JSON object {token, username, password}");
    };
    let s = |k: &str, f: &Map<String, J>| f.get(k).and_then(J::as_str).unwrap_or("").to_owned();
    match setup::create_owner(
        env.conn,
        env.settings,
        &s("token", &f),
        &s("username", &f),
        &s("password", &f),
        crate::api::now(),
    ) {
        Ok(user) => Response::json(201, &json!(user)),
        Err(e @ setup::SetupError::HasOwner) => Response::error(409, &e.to_string()),
        Err(e @ (setup::SetupError::WrongToken | setup::SetupError::Expired)) => {
            Response::error(403, &e.to_string())
        }
        Err(e @ setup::SetupError::NoToken) => Response::error(404, &e.to_string()),
        Err(e @ setup::SetupError::User(_)) => Response::error(400, &e.to_string()),
        Err(e) => Response::error(500, &e.to_string()),
    }
}

/// Pages an anonymous caller may load.
const PUBLIC_PAGES: &[&str] = &["/_admin/login", "/_admin/setup"];
/// Assets (in the UI directory) those pages load.
const PUBLIC_ASSETS: &[&str] = &["admin.css", "login.js"];

#[cfg(feature = "admin")]
fn serve(req: &Request, access: &Access) -> Response {
    if let Access::Forbidden = access {
        return Response::error(403, "owner or admin role required");
    }
    if !matches!(req.method(), "GET" | "HEAD") {
        return Response::error(405, "method not allowed").with_header("Allow", "GET, HEAD");
    }
    let path = match req.path() {
        "/_admin" | "/_admin/" => "/_admin/index",
        p => p,
    };
    let Some((url, gz, raw_len)) = packed::ASSETS.iter().find(|(u, _, _)| *u == path) else {
        return Response::error(404, "no such admin page");
    };
    let page = !url.contains('.');
    let public = PUBLIC_PAGES.contains(url)
        || url
            .strip_prefix(packed::UI_DIR)
            .is_some_and(|f| PUBLIC_ASSETS.contains(&f.trim_start_matches('/')));
    match access {
        Access::Admin(_) => {}
        Access::Anonymous if public => {}
        Access::Anonymous if page => {
            return Response::new(303).with_header("Location", "/_admin/login");
        }
        Access::Anonymous | Access::Forbidden => {
            return Response::error(401, "sign in as the owner or an admin")
        }
    }
    let ctype = if page {
        "text/html; charset=utf-8"
    } else {
        crate::henv::assets::content_type(url)
    };
    let cache = if page {
        "no-store"
    } else {
        "public, max-age=31536000, immutable"
    };
    let resp = Response::new(200)
        .with_header("Content-Type", ctype)
        .with_header("Cache-Control", cache)
        .with_header("Vary", "Accept-Encoding");
    let gzip_ok = req
        .header("accept-encoding")
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if gzip_ok {
        return resp
            .with_header("Content-Encoding", "gzip")
            .with_body(gz.to_vec());
    }
    let mut raw = Vec::with_capacity(*raw_len);
    match std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(*gz), &mut raw) {
        Ok(_) => resp.with_body(raw),
        Err(e) => Response::error(500, &format!("packed asset {url}: {e}")),
    }
}

#[cfg(not(feature = "admin"))]
fn serve(_req: &Request, _access: &Access) -> Response {
    let _ = (PUBLIC_PAGES, PUBLIC_ASSETS);
    Response::error(
        404,
        "this hbf was built without the admin UI (cargo feature `admin`)",
    )
}
