//! Default serving: a request no app route answered (no server.js, or the app fell through
//! to Express's final handler) is answered with the document at its path, before the 404:
//! `GET /about` → document `about`, else `pages/about`; `/` → `index` or `pages/index`.
//! Served as stored with its Content-Type and ETag (304 on a matching `If-None-Match`), as
//! the request's user (a document the caller may not read is a 404 like a missing one).
//!
//! `text/ejs` documents would be rendered by the views module, which has not landed: until
//! then `render_ejs` serves the template source, HTML-escaped in a `<pre>`, as `text/html`
//! (never executed). `text/markdown` is served as is.

use super::{content, id, Doc, Docs};
use crate::http::{Request, Response};

/// The ids a request path may name, in the order they are tried.
pub fn candidates(path: &str) -> Vec<String> {
    let Some(rel) = crate::util::percent_decode(path) else {
        return Vec::new();
    };
    let rel = rel.trim_matches('/');
    let rel = if rel.is_empty() { "index" } else { rel };
    vec![rel.to_owned(), format!("pages/{rel}")]
}

/// The document response for a GET of `path`, or `None` (no such readable document).
pub fn lookup(docs: &Docs<'_>, path: &str, if_none_match: Option<&str>) -> Option<Response> {
    for cand in candidates(path) {
        if id::validate(&cand, &docs.limits).is_err() {
            continue;
        }
        if let Ok(Some(doc)) = docs.find(&cand, true) {
            return Some(document_response(&doc, if_none_match, true));
        }
    }
    None
}

/// For a henv without server.js: `resp` (the static-file answer) unless it is a 404 and a
/// document answers the path (documents_serve on, GET or HEAD, readable by the caller).
pub fn after_404(
    conn: &rusqlite::Connection,
    authz: &crate::db::authz::Authz,
    settings: &crate::henv::HenvSettings,
    req: &Request,
    resp: Response,
) -> Response {
    if resp.status != 404 || !settings.documents_serve || !matches!(req.method(), "GET" | "HEAD") {
        return resp;
    }
    let docs = Docs {
        conn,
        authz,
        principal: authz.principal_for(crate::db::authz::Handle::Request),
        limits: settings.documents,
    };
    lookup(&docs, req.path(), req.header("if-none-match")).unwrap_or(resp)
}

/// A document as an HTTP response: its bytes, type, ETag; 304 if `if_none_match` matches.
/// `render`: `text/ejs` goes through `render_ejs` (default serving; the API serves the
/// source as stored).
pub fn document_response(doc: &Doc, if_none_match: Option<&str>, render: bool) -> Response {
    let etag = doc.etag();
    if if_none_match.is_some_and(|m| {
        m.split(',')
            .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
    }) {
        return Response::new(304).with_header("ETag", etag);
    }
    let bytes = doc.content.clone().unwrap_or_default();
    let (ty, body) = if render && doc.content_type == "text/ejs" {
        (
            "text/html; charset=utf-8".to_owned(),
            render_ejs(&doc.id, &bytes),
        )
    } else if content::is_text(&doc.content_type) {
        (format!("{}; charset=utf-8", doc.content_type), bytes)
    } else {
        (doc.content_type.clone(), bytes)
    };
    Response::new(200)
        .with_header("Content-Type", ty)
        .with_header("ETag", etag)
        .with_header("Cache-Control", "no-cache")
        .with_body(body)
}

/// The hook for EJS rendering (the views module): for now the escaped source.
pub fn render_ejs(id: &str, source: &[u8]) -> Vec<u8> {
    let src = String::from_utf8_lossy(source);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><!-- text/ejs: rendering is not available yet; the template source follows -->\
         <pre>{s}</pre></body></html>\n",
        t = content::escape_html(id),
        s = content::escape_html(&src)
    )
    .into_bytes()
}
