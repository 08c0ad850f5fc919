//! The table of every `/_api` route: the dispatcher's gate (`gate`: an unknown path is a
//! 404, a known path with another method a 405 with `Allow`) and the source of the OpenAPI
//! document (`openapi`), so the two cannot drift apart.
//!
//! Templates use OpenAPI's `{name}`; `{id}` of documents and `{path}` of admin files match one
//! or more segments (they contain `/`), every other parameter exactly one.

use crate::http::Response;

/// One route.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: &'static str,
    /// OpenAPI path template.
    pub path: &'static str,
    /// OpenAPI operationId (also the key of its description in `openapi`).
    pub op: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
}

const fn r(method: &'static str, path: &'static str, op: &'static str, tag: &'static str) -> Route {
    Route {
        method,
        path,
        op,
        tag,
    }
}

/// Every route HBF answers under `/_api` (more specific templates first).
pub const ROUTES: &[Route] = &[
    r("POST", "/_api/auth/register", "register", "auth"),
    r("POST", "/_api/auth/login", "login", "auth"),
    r("POST", "/_api/auth/logout", "logout", "auth"),
    r("GET", "/_api/auth/me", "me", "auth"),
    r("GET", "/_api/openapi.json", "openapi", "meta"),
    r("GET", "/_api/tables/{table}", "listRows", "tables"),
    r("POST", "/_api/tables/{table}", "insertRow", "tables"),
    r("GET", "/_api/tables/{table}/{key}", "getRow", "tables"),
    r("PATCH", "/_api/tables/{table}/{key}", "updateRow", "tables"),
    r(
        "DELETE",
        "/_api/tables/{table}/{key}",
        "deleteRow",
        "tables",
    ),
    r("GET", "/_api/users", "listUsers", "admin"),
    r("POST", "/_api/users", "createUser", "admin"),
    r("PATCH", "/_api/users/{uid}", "updateUser", "admin"),
    r("DELETE", "/_api/users/{uid}", "deleteUser", "admin"),
    r("GET", "/_api/permissions", "listPermissions", "admin"),
    r("POST", "/_api/permissions", "grantPermission", "admin"),
    r(
        "DELETE",
        "/_api/permissions/{pid}",
        "revokePermission",
        "admin",
    ),
    r("GET", "/_api/policies", "listPolicies", "admin"),
    r("POST", "/_api/policies", "createPolicy", "admin"),
    r("DELETE", "/_api/policies/{pid}", "deletePolicy", "admin"),
    r("GET", "/_api/audit", "listAudit", "admin"),
    r("GET", "/_api/templates", "listTemplates", "templates"),
    r(
        "POST",
        "/_api/templates/preview",
        "previewTemplate",
        "templates",
    ),
    r("GET", "/_api/documents", "listDocuments", "documents"),
    r("GET", "/_api/documents/search", "searchDocuments", "search"),
    r("GET", "/_api/documents/{id}/edges", "listEdges", "graph"),
    r("POST", "/_api/documents/{id}/edges", "addEdge", "graph"),
    r(
        "DELETE",
        "/_api/documents/{id}/edges",
        "removeEdges",
        "graph",
    ),
    r("GET", "/_api/documents/{id}/graph", "traverse", "graph"),
    r("GET", "/_api/documents/{id}", "getDocument", "documents"),
    r("PUT", "/_api/documents/{id}", "putDocument", "documents"),
    r(
        "PATCH",
        "/_api/documents/{id}",
        "patchDocument",
        "documents",
    ),
    r(
        "DELETE",
        "/_api/documents/{id}",
        "deleteDocument",
        "documents",
    ),
    r("GET", "/_api/admin/setup", "setupStatus", "admin-ui"),
    r("POST", "/_api/admin/setup", "setupOwner", "admin-ui"),
    r("GET", "/_api/admin/files", "listFiles", "admin-ui"),
    r("GET", "/_api/admin/files/{path}", "readFile", "admin-ui"),
    r("PUT", "/_api/admin/files/{path}", "writeFile", "admin-ui"),
    r(
        "DELETE",
        "/_api/admin/files/{path}",
        "deleteFile",
        "admin-ui",
    ),
    r("POST", "/_api/admin/rename", "renameFile", "admin-ui"),
    r("GET", "/_api/admin/history", "listFileHistory", "admin-ui"),
    r(
        "POST",
        "/_api/admin/history/{hid}/restore",
        "restoreFileVersion",
        "admin-ui",
    ),
    r(
        "GET",
        "/_api/admin/history/{hid}",
        "readFileVersion",
        "admin-ui",
    ),
    r("POST", "/_api/admin/sql", "runSql", "admin-ui"),
    r("GET", "/_api/admin/tables", "listTables", "admin-ui"),
    r("POST", "/_api/admin/preview", "previewAsUser", "admin-ui"),
];

/// Whether a raw request path matches a template.
pub fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    match t.iter().position(|s| *s == "{id}" || *s == "{path}") {
        // `{id}` and `{path}`: one or more non-empty segments between the fixed head and tail.
        Some(i) => {
            let tail = t.len() - i - 1;
            p.len() > i + tail
                && seg_match(&t[..i], &p[..i])
                && seg_match(&t[i + 1..], &p[p.len() - tail..])
                && p[i..p.len() - tail].iter().any(|s| !s.is_empty())
        }
        None => t.len() == p.len() && seg_match(&t, &p),
    }
}

fn seg_match(t: &[&str], p: &[&str]) -> bool {
    t.iter().zip(p).all(|(t, p)| {
        if t.starts_with('{') {
            !p.is_empty()
        } else {
            t == p
        }
    })
}

/// The routes whose template matches `path` (any method).
pub fn matching(path: &str) -> Vec<&'static Route> {
    let mut out: Vec<&'static Route> = Vec::new();
    for r in ROUTES {
        if !matches(r.path, path) {
            continue;
        }
        // The first template that matches wins for a method (search before {id}, ...).
        if let Some(first) = out.first() {
            if first.path != r.path {
                // A less specific template: only for methods the specific one lacks when
                // the specific one is a fixed path (`/search`, `.../edges`).
                continue;
            }
        }
        out.push(r);
    }
    out
}

/// `None` when `method path` is a route; otherwise the 404 or 405 to answer.
pub fn gate(method: &str, path: &str) -> Option<Response> {
    let found = matching(path);
    if found.is_empty() {
        return Some(Response::error(404, "no such API endpoint"));
    }
    let method = if method == "HEAD" { "GET" } else { method };
    if found.iter().any(|r| r.method == method) {
        return None;
    }
    let mut allow: Vec<&str> = found.iter().map(|r| r.method).collect();
    if allow.contains(&"GET") {
        allow.push("HEAD");
    }
    Some(Response::error(405, "method not allowed").with_header("Allow", allow.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert!(matches("/_api/documents/{id}", "/_api/documents/a"));
        assert!(matches("/_api/documents/{id}", "/_api/documents/a/b/c"));
        assert!(!matches("/_api/documents/{id}", "/_api/documents"));
        assert!(!matches("/_api/documents/{id}", "/_api/documents/"));
        assert!(matches(
            "/_api/documents/{id}/edges",
            "/_api/documents/a/b/edges"
        ));
        assert!(!matches(
            "/_api/documents/{id}/edges",
            "/_api/documents/edges"
        ));
        assert!(matches("/_api/tables/{table}/{key}", "/_api/tables/t/1"));
        assert!(!matches("/_api/tables/{table}", "/_api/tables/t/1"));
        assert_eq!(matching("/_api/documents/search")[0].op, "searchDocuments");
        assert_eq!(matching("/_api/documents/a/edges").len(), 3);
        assert_eq!(matching("/_api/documents/a/b").len(), 4);
        assert!(gate("GET", "/_api/nope").is_some());
        assert_eq!(
            gate("PUT", "/_api/documents/search").map(|r| r.status),
            Some(405)
        );
        assert!(gate("HEAD", "/_api/documents/x").is_none());
        assert!(gate("POST", "/_api/users").is_none());
    }
}
