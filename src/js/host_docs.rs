//! `__hbf_docs_native`, the host side of `hbf:documents`: the same `docs` implementation the
//! `/_api/documents` endpoints use, acting as the request's user (or, with `system`, as the
//! owner: `documents.system`). Options and results cross as JSON text; content crosses as a
//! string (text types) or a Uint8Array (binary). Errors are thrown as `Error`s with a
//! `status` (the HTTP status the API would answer) and a `code` of `"HBF_DOCS"`.
//!
//! `serveDefault` is the default-serving hook express.js's final handler calls before its
//! 404 (see `docs::serve`).

use std::rc::Rc;

use rquickjs::{function::Opt, Ctx, Exception, Function, Object, TypedArray, Value};
use rusqlite::Connection;
use serde_json::{json, Value as J};

use super::convert::bytes_of;
use super::host::HostEnv;
use crate::db::authz::{Authz, Handle};
use crate::docs::graph::Direction;
use crate::docs::search::SearchOptions;
use crate::docs::{content, DocError, Docs, ListOptions, Preconditions};

/// Installs `globalThis.__hbf_docs_native` (taken and deleted by `lib/documents.js`).
pub fn install<'js>(ctx: &Ctx<'js>, env: &HostEnv) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;
    let (conn, authz) = (env.conn.clone(), env.authz.clone());
    native.set(
        "call",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  op: String,
                  args: String,
                  system: Opt<bool>|
                  -> rquickjs::Result<String> {
                let docs = docs_for(&conn, &authz, system.0 == Some(true));
                let args: J = serde_json::from_str(&args).unwrap_or(J::Null);
                call(&docs, &op, &args)
                    .map(|v| v.to_string())
                    .map_err(|e| throw(&ctx, &e))
            },
        )?,
    )?;
    let (conn, authz) = (env.conn.clone(), env.authz.clone());
    native.set(
        "get",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: String, system: Opt<bool>| -> rquickjs::Result<Value<'js>> {
                let docs = docs_for(&conn, &authz, system.0 == Some(true));
                let doc = match docs.get(&id, true) {
                    Ok(d) => d,
                    Err(DocError::NotFound) => return Ok(Value::new_null(ctx.clone())),
                    Err(e) => return Err(throw(&ctx, &e)),
                };
                let mut env = doc.envelope();
                if let J::Object(m) = &mut env {
                    m.remove("content");
                    m.remove("encoding");
                }
                let out: Value = ctx.json_parse(env.to_string())?;
                let obj = out
                    .as_object()
                    .cloned()
                    .ok_or_else(|| Exception::throw_internal(&ctx, "envelope"))?;
                let bytes = doc.content.unwrap_or_default();
                if content::is_text(&doc.content_type) {
                    obj.set("content", String::from_utf8_lossy(&bytes).into_owned())?;
                } else {
                    obj.set("content", TypedArray::<u8>::new(ctx.clone(), bytes)?)?;
                }
                Ok(out)
            },
        )?,
    )?;
    let (conn, authz) = (env.conn.clone(), env.authz.clone());
    native.set(
        "put",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  id: String,
                  body: Value<'js>,
                  opts: String,
                  system: Opt<bool>|
                  -> rquickjs::Result<String> {
                let docs = docs_for(&conn, &authz, system.0 == Some(true));
                let opts: J = serde_json::from_str(&opts).unwrap_or(J::Null);
                let bytes = bytes_of(&body).ok_or_else(|| {
                    Exception::throw_type(
                        &ctx,
                        "document content is a string, Uint8Array or ArrayBuffer",
                    )
                })?;
                let default_type = if body.is_string() {
                    "text/plain"
                } else {
                    "application/octet-stream"
                };
                let ty = opts.get("type").and_then(J::as_str).unwrap_or(default_type);
                let tags = string_list(opts.get("tags")).map_err(|e| throw(&ctx, &e))?;
                docs.put(&id, Some(ty), &bytes, tags.as_deref(), &pre(&opts))
                    .map(|(d, created)| {
                        let mut v = d.envelope();
                        v["created"] = J::Bool(created);
                        v.to_string()
                    })
                    .map_err(|e| throw(&ctx, &e))
            },
        )?,
    )?;
    let (conn, authz) = (env.conn.clone(), env.authz.clone());
    native.set(
        "serveDefault",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  method: String,
                  path: String,
                  inm: Opt<String>|
                  -> rquickjs::Result<Value<'js>> {
                let Ok(settings) = crate::henv::HenvSettings::load(&conn) else {
                    return Ok(Value::new_null(ctx.clone()));
                };
                if !settings.documents_serve || !matches!(method.as_str(), "GET" | "HEAD") {
                    return Ok(Value::new_null(ctx.clone()));
                }
                let mut docs = docs_for(&conn, &authz, false);
                docs.limits = settings.documents;
                let Some(resp) = crate::docs::serve::lookup(&docs, &path, inm.0.as_deref()) else {
                    return Ok(Value::new_null(ctx.clone()));
                };
                let out = Object::new(ctx.clone())?;
                out.set("status", resp.status)?;
                let hs = Object::new(ctx.clone())?;
                for (n, v) in &resp.headers {
                    hs.set(n.as_str(), v.as_str())?;
                }
                out.set("headers", hs)?;
                out.set("body", TypedArray::<u8>::new(ctx.clone(), resp.body)?)?;
                Ok(out.into_value())
            },
        )?,
    )?;
    ctx.globals().set("__hbf_docs_native", native)?;
    Ok(())
}

fn docs_for<'a>(conn: &'a Rc<Connection>, authz: &'a Rc<Authz>, system: bool) -> Docs<'a> {
    let handle = if system {
        Handle::System
    } else {
        Handle::Request
    };
    let limits = crate::henv::HenvSettings::load(conn)
        .map(|s| s.documents)
        .unwrap_or_default();
    Docs {
        conn,
        authz,
        principal: authz.principal_for(handle),
        limits,
    }
}

fn throw(ctx: &Ctx<'_>, e: &DocError) -> rquickjs::Error {
    let make = || -> rquickjs::Result<Value<'_>> {
        let err = Exception::from_message(ctx.clone(), &format!("hbf:documents: {e}"))?;
        err.as_object().set("status", e.status())?;
        err.as_object().set("code", "HBF_DOCS")?;
        Ok(err.into_value())
    };
    match make() {
        Ok(v) => ctx.throw(v),
        Err(other) => other,
    }
}

fn pre(opts: &J) -> Preconditions {
    Preconditions {
        if_match: opts.get("ifMatch").and_then(J::as_str).map(str::to_owned),
        if_none_match: opts
            .get("ifNoneMatch")
            .and_then(J::as_str)
            .map(str::to_owned),
    }
}

fn string_list(v: Option<&J>) -> Result<Option<Vec<String>>, DocError> {
    match v {
        None | Some(J::Null) => Ok(None),
        Some(J::Array(a)) => a
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| DocError::BadRequest("tags is an array of strings".into()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(DocError::BadRequest("tags is an array of strings".into())),
    }
}

fn s<'a>(args: &'a J, k: &str) -> Option<&'a str> {
    args.get(k).and_then(J::as_str)
}

/// A string or number option as text (for `params`).
fn s_or_num(args: &J, k: &str) -> Option<String> {
    match args.get(k)? {
        J::String(v) => Some(v.clone()),
        J::Null => None,
        v => Some(v.to_string()),
    }
}

fn n(args: &J, k: &str, default: i64) -> Result<i64, DocError> {
    match args.get(k) {
        None | Some(J::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| DocError::BadRequest(format!("{k} must be an integer"))),
    }
}

/// The operations that take and return JSON only.
fn call(docs: &Docs<'_>, op: &str, a: &J) -> Result<J, DocError> {
    let id = || s(a, "id").unwrap_or("").to_owned();
    let dir = || Direction::parse(s(a, "direction").unwrap_or("out"));
    match op {
        "meta" => docs.get(&id(), false).map(|d| d.envelope()),
        "patch" => {
            let patch = a.get("patch").cloned().unwrap_or(J::Null);
            docs.patch(&id(), &patch, &pre(a)).map(|d| d.envelope())
        }
        "remove" => docs.delete(&id(), &pre(a)).map(|()| J::Bool(true)),
        "list" => {
            let (list, next) = docs.list(&ListOptions::from_params(&|k| s_or_num(a, k))?)?;
            Ok(
                json!({ "data": list.iter().map(|d| d.envelope()).collect::<Vec<_>>(), "next_cursor": next }),
            )
        }
        "search" => {
            let r = docs.search(&SearchOptions::from_params(&|k| s_or_num(a, k))?)?;
            Ok(json!({ "total": r.total, "data": r.hits }))
        }
        "link" => docs.add_edge(
            &id(),
            s(a, "to").unwrap_or(""),
            s(a, "rel").unwrap_or(""),
            a.get("props"),
        ),
        "unlink" => docs
            .remove_edges(&id(), s(a, "to"), s(a, "rel"))
            .map(J::from),
        "neighbours" => docs.neighbours(&id(), dir()?, s(a, "rel")).map(J::from),
        "traverse" => docs.traverse(&id(), n(a, "depth", 2)?, dir()?, s(a, "rel")),
        "tags" => Ok(J::Array(
            docs.tag_counts(s(a, "prefix"))?
                .into_iter()
                .map(|(t, c)| json!({ "tag": t, "count": c }))
                .collect(),
        )),
        _ => Err(DocError::BadRequest(format!(
            "unknown documents operation {op:?}"
        ))),
    }
}
