//! The admin API (`/_api/admin/...`, owner and admin only): the henv's files (list, read,
//! write with a compile check, rename, delete, binary upload) and each file's history with
//! restore; it routes SQL and the "test as user" preview to `query`.
//!
//! A JavaScript file is compiled (as CommonJS, as the loader runs it) before it is stored; a
//! syntax error refuses the save with 422 and `file`, `line`, `col`, so the previous version
//! keeps serving. Every overwrite, rename and delete first copies the old content to
//! `_hbf_file_history`. `node_modules/` is read-only here.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value as J};

use super::Access;
use crate::api::{self, ApiEnv};
use crate::db;
use crate::http::{Request, Response};

/// Length of the function head `js::compile_commonjs` puts before line 1 (the unit
/// test `compile_check_reports_line_and_column` catches a change).
const COMMONJS_HEAD_LEN: usize =
    "export default function (exports, require, module, __filename, __dirname) {".len();

/// Versions of a file kept when `admin_history_keep` is unreadable.
const DEFAULT_HISTORY_KEEP: i64 = 50;

/// Answers `/_api/admin/<rest>` for an owner or admin `user_id`.
pub fn endpoint(env: &ApiEnv<'_>, req: &Request, access: &Access, rest: &str) -> Response {
    let user_id = match access {
        Access::Admin(u) => u.id,
        Access::Anonymous => return Response::error(401, "sign in as the owner or an admin"),
        Access::Forbidden => return Response::error(403, "owner or admin role required"),
    };
    let conn = env.conn;
    let decoded = crate::util::percent_decode(rest).unwrap_or_default();
    let (first, tail) = decoded.split_once('/').unwrap_or((&decoded, ""));
    let result = match (req.method(), first, tail) {
        ("GET", "files", "") => list(conn),
        ("GET" | "HEAD", "files", path) => read(conn, path),
        ("PUT", "files", path) => write(conn, path, &req.body, user_id),
        ("DELETE", "files", path) => delete(conn, path, user_id),
        ("POST", "rename", "") => rename(conn, &req.body, user_id),
        ("GET", "history", "") => {
            let q = api::parse_query(req.head.query.as_deref().unwrap_or(""));
            match q.iter().find(|(k, _)| k == "path") {
                Some((_, p)) => history(conn, p),
                None => Ok(Response::error(400, "give ?path=")),
            }
        }
        ("GET", "history", id) => version(conn, id),
        ("POST", "history", id) => match id.strip_suffix("/restore") {
            Some(id) => restore(conn, id, user_id),
            None => Ok(Response::error(404, "no such API endpoint")),
        },
        ("POST", "sql", "") => Ok(super::query::sql(env, &req.body)),
        ("POST", "preview", "") => Ok(super::query::preview(env, &req.body, user_id)),
        ("GET", "tables", "") => Ok(Response::json(
            200,
            &json!({ "data": env.authz.app_tables() }),
        )),
        _ => Ok(Response::error(404, "no such API endpoint")),
    };
    result.unwrap_or_else(|e| Response::error(500, &format!("database: {e}")))
}

fn read_only(path: &str) -> bool {
    path == "node_modules" || path.starts_with("node_modules/")
}

fn list(conn: &Connection) -> rusqlite::Result<Response> {
    let files: Vec<J> = db::list_files(conn)?
        .into_iter()
        .map(|f| {
            json!({ "path": f.path, "size": f.size, "hash": f.hash,
                    "modified_at": f.modified_at, "readonly": read_only(&f.path) })
        })
        .collect();
    Ok(Response::json(200, &json!({ "data": files })))
}

fn read(conn: &Connection, path: &str) -> rusqlite::Result<Response> {
    Ok(match db::read_file(conn, path)? {
        Some(f) => Response::new(200)
            .with_header("Content-Type", crate::henv::assets::content_type(path))
            .with_header("ETag", format!("\"{}\"", f.hash))
            .with_header("Cache-Control", "no-store")
            .with_body(f.content),
        None => Response::error(404, "no such file"),
    })
}

/// A syntax error found before a save: where it is and what it is.
#[derive(Debug, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub line: u32,
    pub col: u32,
}

/// Checks that `content` at `path` compiles: JavaScript as CommonJS (the wrapper keeps line
/// numbers), JSON as JSON. Other files are not checked.
pub fn check(path: &str, content: &[u8]) -> Result<(), CompileError> {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "js" | "cjs" => {
            let text = std::str::from_utf8(content).map_err(|e| CompileError {
                message: format!("not UTF-8: {e}"),
                line: 1,
                col: 1,
            })?;
            match crate::js::compile_commonjs(path, text) {
                Ok(_) => Ok(()),
                // ES module syntax in a `.js` file: the loader compiles it as a module
                // instead; this check leaves such files to the runtime (see README).
                Err(_) if crate::js::modules::looks_like_esm(text) => Ok(()),
                Err(crate::js::JsError::Exception { message, stack }) => {
                    let (line, col) = position_in(&stack, path).unwrap_or((1, 1));
                    // Line 1 also holds `compile_commonjs`'s wrapper head.
                    let col = if line == 1 {
                        col.saturating_sub(COMMONJS_HEAD_LEN as u32).max(1)
                    } else {
                        col
                    };
                    Err(CompileError { message, line, col })
                }
                Err(e) => Err(CompileError {
                    message: e.to_string(),
                    line: 1,
                    col: 1,
                }),
            }
        }
        "json" => serde_json::from_slice::<J>(content)
            .map(drop)
            .map_err(|e| CompileError {
                message: e.to_string(),
                line: e.line() as u32,
                col: e.column() as u32,
            }),
        _ => Ok(()),
    }
}

/// The first `path:line:col` in a QuickJS stack.
fn position_in(stack: &str, path: &str) -> Option<(u32, u32)> {
    let at = stack.find(&format!("{path}:"))? + path.len() + 1;
    let mut nums = stack[at..]
        .split(|c: char| !c.is_ascii_digit())
        .take(2)
        .map(str::parse::<u32>);
    Some((nums.next()?.ok()?, nums.next()?.ok()?))
}

/// Copies the current content of `path` (if any) into the history, and prunes it.
fn remember(conn: &Connection, path: &str, user_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO _hbf_file_history (path, content, hash, size, user_id)
         SELECT path, content, hash, size, ?2 FROM _hbf_files WHERE path = ?1",
        params![path, user_id],
    )?;
    let keep: i64 = conn
        .query_row(
            "SELECT CAST(value AS INTEGER) FROM _hbf_config WHERE key = 'admin_history_keep'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(DEFAULT_HISTORY_KEEP)
        .max(1);
    conn.execute(
        "DELETE FROM _hbf_file_history WHERE path = ?1 AND id NOT IN
           (SELECT id FROM _hbf_file_history WHERE path = ?1 ORDER BY id DESC LIMIT ?2)",
        params![path, keep],
    )?;
    Ok(())
}

fn bad_path(path: &str) -> Option<Response> {
    if !db::valid_file_path(path) {
        return Some(Response::error(400, &format!("invalid file path {path:?}")));
    }
    if read_only(path) {
        return Some(Response::error(403, "node_modules is read-only"));
    }
    None
}

fn write(conn: &Connection, path: &str, body: &[u8], user_id: i64) -> rusqlite::Result<Response> {
    if let Some(r) = bad_path(path) {
        return Ok(r);
    }
    if let Err(e) = check(path, body) {
        return Ok(Response::json(
            422,
            &json!({ "error": format!("{path}:{}:{}: {}", e.line, e.col, e.message),
                     "file": path, "line": e.line, "col": e.col, "message": e.message }),
        ));
    }
    let tx = conn.unchecked_transaction()?;
    if db::file_hash(&tx, path)?.is_some_and(|h| h != db::sha256_hex(body)) {
        remember(&tx, path, user_id)?;
    }
    let hash = db::put_file(&tx, path, body)?;
    tx.commit()?;
    Ok(Response::json(
        200,
        &json!({ "path": path, "hash": hash, "size": body.len() }),
    ))
}

fn delete(conn: &Connection, path: &str, user_id: i64) -> rusqlite::Result<Response> {
    if let Some(r) = bad_path(path) {
        return Ok(r);
    }
    let tx = conn.unchecked_transaction()?;
    remember(&tx, path, user_id)?;
    let existed = db::delete_file(&tx, path)?;
    tx.commit()?;
    Ok(if existed {
        Response::new(204)
    } else {
        Response::error(404, "no such file")
    })
}

fn rename(conn: &Connection, body: &[u8], user_id: i64) -> rusqlite::Result<Response> {
    let Ok(J::Object(f)) = serde_json::from_slice::<J>(body) else {
        return Ok(Response::error(400, "expected a JSON object {from, to}"));
    };
    let (Some(from), Some(to)) = (
        f.get("from").and_then(J::as_str),
        f.get("to").and_then(J::as_str),
    ) else {
        return Ok(Response::error(400, "from and to are required"));
    };
    if let Some(r) = bad_path(from).or_else(|| bad_path(to)) {
        return Ok(r);
    }
    let tx = conn.unchecked_transaction()?;
    let Some(file) = db::read_file(&tx, from)? else {
        return Ok(Response::error(404, "no such file"));
    };
    if db::file_hash(&tx, to)?.is_some() {
        return Ok(Response::error(409, &format!("{to} exists")));
    }
    remember(&tx, from, user_id)?;
    db::put_file(&tx, to, &file.content)?;
    db::delete_file(&tx, from)?;
    tx.commit()?;
    Ok(Response::json(200, &json!({ "path": to })))
}

fn history(conn: &Connection, path: &str) -> rusqlite::Result<Response> {
    let mut st = conn.prepare_cached(
        "SELECT id, hash, size, saved_at, user_id FROM _hbf_file_history
         WHERE path = ?1 ORDER BY id DESC",
    )?;
    let rows = st
        .query_map([path], |r| {
            Ok(
                json!({ "id": r.get::<_, i64>(0)?, "hash": r.get::<_, String>(1)?,
                       "size": r.get::<_, i64>(2)?, "saved_at": r.get::<_, i64>(3)?,
                       "user_id": r.get::<_, Option<i64>>(4)? }),
            )
        })?
        .collect::<rusqlite::Result<Vec<J>>>()?;
    Ok(Response::json(200, &json!({ "path": path, "data": rows })))
}

fn version_row(conn: &Connection, id: &str) -> rusqlite::Result<Option<(String, Vec<u8>)>> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    conn.query_row(
        "SELECT path, content FROM _hbf_file_history WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

fn version(conn: &Connection, id: &str) -> rusqlite::Result<Response> {
    Ok(match version_row(conn, id)? {
        Some((path, content)) => Response::new(200)
            .with_header("Content-Type", crate::henv::assets::content_type(&path))
            .with_header("Cache-Control", "no-store")
            .with_body(content),
        None => Response::error(404, "no such version"),
    })
}

fn restore(conn: &Connection, id: &str, user_id: i64) -> rusqlite::Result<Response> {
    match version_row(conn, id)? {
        Some((path, content)) => write(conn, &path, &content, user_id),
        None => Ok(Response::error(404, "no such version")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_check_reports_line_and_column() {
        assert!(check("server.js", b"const a = 1;\nmodule.exports = a;\n").is_ok());
        let e = check("server.js", b"const a = 1;\nconst b = ;\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        assert!(e.col > 1, "{e:?}");
        let e = check("server.js", b"const x = ;\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 11), "{e:?}");
        let e = check("package.json", b"{\n \"a\": }").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(check("www/a.png", b"\x89PNG").is_ok());
        assert!(check("lib/m.js", b"import x from './y.js';\nexport default x;\n").is_ok());
    }
}
