//! `/_api/documents`: the HTTP face of `docs` (see there for what a document is).
//!
//! | | |
//! |---|---|
//! | `GET /_api/documents` | list (`prefix`, `tag`, `type`, `sort`, `order`, `limit`, `offset` or `cursor`) |
//! | `GET /_api/documents/search?q=` | full-text search (`tag`, `type`, `prefix`, `limit`, `offset`, `highlight`, `escape`, `snippet_tokens`) |
//! | `GET/HEAD /_api/documents/{id}` | content as stored with its type; `?meta=1` or `Accept: application/json`: the JSON envelope |
//! | `PUT /_api/documents/{id}` | create or replace: the body is the content, its Content-Type the type (`?tags=a,b/c`) |
//! | `PATCH /_api/documents/{id}` | `application/merge-patch+json` (JSON content) or `application/json` `{content?, meta?, tags?, type?}` |
//! | `DELETE /_api/documents/{id}` | delete |
//! | `GET/POST/DELETE /_api/documents/{id}/edges` | neighbours (`direction`, `rel`); add `{to, rel, props?}`; remove (`to`, `rel`) |
//! | `GET /_api/documents/{id}/graph` | traversal (`depth`, `direction`, `rel`): `{nodes, edges}` |
//!
//! Ids contain `/` as is (`/_api/documents/posts/2026/hello`) or as `%2F`. A final raw
//! segment `edges` or `graph` names the sub-resource; a document whose id ends in such a
//! segment (or whose id is `search`) is reached by encoding a character of it
//! (`.../a%2Fedges`, `%73earch`). Writes take `If-Match` (412 when stale) and
//! `If-None-Match: *` (412 when the document exists); responses carry the `ETag`.

use serde_json::{json, Value as J};

use super::{parse_query, principal_of, ApiEnv, Caller};
use crate::docs::graph::Direction;
use crate::docs::search::SearchOptions;
use crate::docs::{DocError, Docs, ListOptions, Preconditions};
use crate::http::{Request, Response};

/// Answers a request under `/_api/documents`; `rest` is the raw path after that prefix.
pub fn endpoint(env: &ApiEnv<'_>, req: &Request, caller: &Caller, rest: &str) -> Response {
    let limits = crate::henv::HenvSettings::load(env.conn)
        .map(|s| s.documents)
        .unwrap_or_default();
    let docs = Docs {
        conn: env.conn,
        authz: env.authz,
        principal: principal_of(caller),
        limits,
    };
    let query = parse_query(req.head.query.as_deref().unwrap_or(""));
    match route(&docs, req, rest, &query) {
        Ok(resp) => resp,
        Err(e) => error(&e),
    }
}

/// A `DocError` as a JSON error response (412 carries the current ETag).
pub fn error(e: &DocError) -> Response {
    let resp = Response::error(e.status(), &e.to_string());
    match e {
        DocError::PreconditionFailed { current } if current.starts_with('"') => {
            resp.with_header("ETag", current.clone())
        }
        _ => resp,
    }
}

/// What a raw path under `/_api/documents` names.
#[derive(Debug, PartialEq)]
pub enum Target {
    Collection,
    Search,
    Doc(String),
    Edges(String),
    Graph(String),
}

/// Parses the raw path after `/_api/documents`.
pub fn target(rest: &str) -> Result<Target, DocError> {
    let rest = match rest.strip_prefix('/') {
        Some(r) => r,
        None if rest.is_empty() => "",
        None => return Err(DocError::NotFound),
    };
    if rest.is_empty() {
        return Ok(Target::Collection);
    }
    if rest == "search" {
        return Ok(Target::Search);
    }
    let decode = |raw: &str| {
        crate::util::percent_decode(raw)
            .ok_or_else(|| DocError::BadId("malformed %-escape or not UTF-8".into()))
    };
    if let Some((head, last)) = rest.rsplit_once('/') {
        match last {
            "edges" => return Ok(Target::Edges(decode(head)?)),
            "graph" => return Ok(Target::Graph(decode(head)?)),
            _ => {}
        }
    }
    Ok(Target::Doc(decode(rest)?))
}

fn param<'q>(q: &'q [(String, String)], k: &str) -> Option<&'q str> {
    q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn int_param(q: &[(String, String)], k: &str, default: i64) -> Result<i64, DocError> {
    match param(q, k) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| DocError::BadRequest(format!("{k} must be an integer, not {v:?}"))),
    }
}

fn flag(q: &[(String, String)], k: &str) -> bool {
    matches!(param(q, k), Some("1" | "true" | "yes"))
}

fn preconditions(req: &Request) -> Preconditions {
    Preconditions {
        if_match: req.header("if-match").map(str::to_owned),
        if_none_match: req.header("if-none-match").map(str::to_owned),
    }
}

fn tags_param(q: &[(String, String)]) -> Option<Vec<String>> {
    param(q, "tags").map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn with_etag(resp: Response, etag: String) -> Response {
    resp.with_header("ETag", etag)
}

fn body_json(req: &Request) -> Result<J, DocError> {
    serde_json::from_slice(&req.body).map_err(|e| DocError::BadJson(e.to_string()))
}

fn method_not_allowed(allow: &str) -> Response {
    Response::error(405, "method not allowed").with_header("Allow", allow)
}

fn route(
    docs: &Docs<'_>,
    req: &Request,
    rest: &str,
    q: &[(String, String)],
) -> Result<Response, DocError> {
    let method = match req.method() {
        "HEAD" => "GET",
        m => m,
    };
    match (target(rest)?, method) {
        (Target::Collection, "GET") => {
            let o = ListOptions::from_params(&|k| param(q, k).map(str::to_owned))?;
            let (list, next) = docs.list(&o)?;
            Ok(Response::json(
                200,
                &json!({
                    "data": list.iter().map(|d| d.envelope()).collect::<Vec<_>>(),
                    "limit": o.limit,
                    "offset": o.offset,
                    "next_cursor": next,
                }),
            ))
        }
        (Target::Collection, _) => Ok(method_not_allowed("GET, HEAD")),
        (Target::Search, "GET") => {
            let o = SearchOptions::from_params(&|k| param(q, k).map(str::to_owned))?;
            let r = docs.search(&o)?;
            Ok(Response::json(
                200,
                &json!({ "q": o.q, "total": r.total, "limit": o.limit, "offset": o.offset, "data": r.hits }),
            ))
        }
        (Target::Search, _) => Ok(method_not_allowed("GET, HEAD")),
        (Target::Doc(id), "GET") => {
            let envelope = flag(q, "meta")
                || req.header("accept").is_some_and(|a| {
                    a.split(',')
                        .any(|t| t.trim().starts_with("application/json"))
                });
            let doc = docs.get(&id, true)?;
            if envelope {
                Ok(with_etag(Response::json(200, &doc.envelope()), doc.etag()))
            } else {
                Ok(crate::docs::serve::document_response(
                    &doc,
                    req.header("if-none-match"),
                    false,
                ))
            }
        }
        (Target::Doc(id), "PUT") => {
            let tags = tags_param(q);
            let (doc, created) = docs.put(
                &id,
                req.header("content-type"),
                &req.body,
                tags.as_deref(),
                &preconditions(req),
            )?;
            let status = if created { 201 } else { 200 };
            Ok(with_etag(
                Response::json(status, &doc.envelope()),
                doc.etag(),
            ))
        }
        (Target::Doc(id), "PATCH") => {
            let ct = req
                .header("content-type")
                .unwrap_or("")
                .to_ascii_lowercase();
            let doc = if ct.starts_with("application/merge-patch+json") {
                docs.merge_content(&id, &body_json(req)?, &preconditions(req))?
            } else if ct.starts_with("application/json") {
                docs.patch(&id, &body_json(req)?, &preconditions(req))?
            } else {
                return Err(DocError::UnsupportedType(format!(
                    "{ct}: PATCH takes application/merge-patch+json or application/json"
                )));
            };
            Ok(with_etag(Response::json(200, &doc.envelope()), doc.etag()))
        }
        (Target::Doc(id), "DELETE") => {
            docs.delete(&id, &preconditions(req))?;
            Ok(Response::new(204))
        }
        (Target::Doc(_), _) => Ok(method_not_allowed("GET, HEAD, PUT, PATCH, DELETE")),
        (Target::Edges(id), "GET") => {
            let dir = Direction::parse(param(q, "direction").unwrap_or("out"))?;
            let list = docs.neighbours(&id, dir, param(q, "rel"))?;
            Ok(Response::json(200, &json!({ "id": id, "data": list })))
        }
        (Target::Edges(id), "POST") => {
            let b = body_json(req)?;
            let (Some(to), Some(rel)) = (
                b.get("to").and_then(J::as_str),
                b.get("rel").and_then(J::as_str),
            ) else {
                return Err(DocError::BadRequest(
                    "expected a JSON object {to, rel, props?}".into(),
                ));
            };
            let edge = docs.add_edge(&id, to, rel, b.get("props"))?;
            Ok(Response::json(201, &edge))
        }
        (Target::Edges(id), "DELETE") => {
            let n = docs.remove_edges(&id, param(q, "to"), param(q, "rel"))?;
            Ok(Response::json(200, &json!({ "deleted": n })))
        }
        (Target::Edges(_), _) => Ok(method_not_allowed("GET, HEAD, POST, DELETE")),
        (Target::Graph(id), "GET") => {
            let dir = Direction::parse(param(q, "direction").unwrap_or("out"))?;
            let depth = int_param(q, "depth", 2)?;
            Ok(Response::json(
                200,
                &docs.traverse(&id, depth, dir, param(q, "rel"))?,
            ))
        }
        (Target::Graph(_), _) => Ok(method_not_allowed("GET, HEAD")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(target("").unwrap(), Target::Collection);
        assert_eq!(target("/").unwrap(), Target::Collection);
        assert_eq!(target("/search").unwrap(), Target::Search);
        assert_eq!(target("/%73earch").unwrap(), Target::Doc("search".into()));
        assert_eq!(target("/a/b").unwrap(), Target::Doc("a/b".into()));
        assert_eq!(target("/a%2Fb").unwrap(), Target::Doc("a/b".into()));
        assert_eq!(target("/a/b/edges").unwrap(), Target::Edges("a/b".into()));
        assert_eq!(target("/a%2Fedges").unwrap(), Target::Doc("a/edges".into()));
        assert_eq!(target("/x/graph").unwrap(), Target::Graph("x".into()));
        assert!(target("/%ZZ").is_err());
        assert!(target("x").is_err());
    }
}
