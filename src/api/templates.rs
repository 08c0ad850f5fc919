//! The template endpoints for owners and admins (the admin UI's template preview):
//! `GET /_api/templates` lists the henv's template files (`*.ejs` anywhere, and every file
//! under `views/`) and its `text/ejs` documents; `POST /_api/templates/preview` renders a
//! template file, a `text/ejs` document or a source string with given JSON data. The listing is answered here; a preview is authorised here and then
//! rendered by the henv's own runtime (the built-in `ejs`, under the request's deadline, see
//! `express.js`'s `serve`), so it sees the same files and engine as the app.

use serde_json::json;

use super::{ApiEnv, Caller};
use crate::docs::{Docs, ListOptions};
use crate::http::{Request, Response};

/// The path the runtime renders previews at (after this module has authorised the caller).
pub const PREVIEW_PATH: &str = "/_api/templates/preview";

/// `Some(response)` answers the request; `None` hands an authorised preview to the runtime.
pub fn endpoint(
    env: &ApiEnv<'_>,
    req: &Request,
    caller: &Caller,
    segs: &[String],
) -> Option<Response> {
    let Some(user) = &caller.user else {
        return Some(Response::error(401, "sign in as an owner or admin"));
    };
    if !matches!(user.role.as_str(), "owner" | "admin") {
        return Some(Response::error(403, "owner or admin role required"));
    }
    match (req.method(), segs) {
        ("GET", []) => Some(list(env, caller)),
        ("POST", [p]) if p == "preview" => None,
        (_, []) => Some(Response::error(405, "method not allowed").with_header("Allow", "GET")),
        (_, [p]) if p == "preview" => {
            Some(Response::error(405, "method not allowed").with_header("Allow", "POST"))
        }
        _ => Some(Response::error(404, "no such API endpoint")),
    }
}

/// Whether a stored file is a template (what the listing shows).
fn is_template(path: &str) -> bool {
    path.ends_with(".ejs") || (path.starts_with("views/") && !path.ends_with('/'))
}

/// The `text/ejs` documents the caller can read (ids and versions), at most 1000.
fn ejs_documents(env: &ApiEnv<'_>, caller: &Caller) -> Result<Vec<serde_json::Value>, String> {
    let docs = Docs {
        conn: env.conn,
        authz: env.authz,
        principal: super::principal_of(caller),
        limits: crate::henv::HenvSettings::load(env.conn)
            .map(|s| s.documents)
            .unwrap_or_default(),
    };
    let get = |k: &str| match k {
        "type" => Some("text/ejs".to_owned()),
        "limit" => Some("1000".to_owned()),
        _ => None,
    };
    let opts = ListOptions::from_params(&get).map_err(|e| e.to_string())?;
    let (found, _) = docs.list(&opts).map_err(|e| e.to_string())?;
    Ok(found.iter().map(|d| d.envelope()).collect())
}

fn list(env: &ApiEnv<'_>, caller: &Caller) -> Response {
    let files = match crate::db::list_files(env.conn) {
        Ok(f) => f,
        Err(e) => return Response::error(500, &format!("cannot list files: {e}")),
    };
    let templates: Vec<_> = files
        .iter()
        .filter(|f| is_template(&f.path))
        .map(|f| {
            json!({
                "path": format!("/{}", f.path),
                "hash": f.hash,
                "size": f.size,
                "modified_at": f.modified_at,
                "engine": f.path.rsplit_once('.').map(|(_, e)| e).unwrap_or(""),
            })
        })
        .collect();
    let documents = match ejs_documents(env, caller) {
        Ok(d) => d,
        Err(e) => return Response::error(500, &format!("cannot list text/ejs documents: {e}")),
    };
    Response::json(
        200,
        &json!({ "templates": templates, "documents": documents }),
    )
}

#[cfg(test)]
mod tests {
    use super::is_template;

    #[test]
    fn templates_are_ejs_files_and_views() {
        assert!(is_template("views/index.ejs"));
        assert!(is_template("views/card.hbs"));
        assert!(is_template("mail/welcome.ejs"));
        assert!(!is_template("server.js"));
        assert!(!is_template("www/index.html"));
    }
}
