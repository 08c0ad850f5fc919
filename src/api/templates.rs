//! The template endpoints for owners and admins (the admin UI's template preview):
//! `GET /_api/templates` lists the henv's template files (`*.ejs` anywhere, and every file
//! under `views/`); `POST /_api/templates/preview` renders a template file or a source string
//! with given JSON data. The listing is answered here; a preview is authorised here and then
//! rendered by the henv's own runtime (the built-in `ejs`, under the request's deadline, see
//! `express.js`'s `serve`), so it sees the same files and engine as the app.

use serde_json::json;

use super::{ApiEnv, Caller};
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
        ("GET", []) => Some(list(env)),
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

fn list(env: &ApiEnv<'_>) -> Response {
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
    Response::json(200, &json!({ "templates": templates }))
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
