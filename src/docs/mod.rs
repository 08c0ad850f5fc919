//! Documents: the henv as a content store. A document is a row of `nodes` with a
//! hierarchical id (`pages/home`), a content type, its content bytes, user metadata, ordered
//! hierarchical tags (`tags`), edges to other documents (`edges`) and a place in the
//! full-text index (`nodes_fts`).
//!
//! One implementation serves `/_api/documents`, `hbf:documents` in JS, default serving and
//! the `hbf docs` CLI. Every statement runs as the caller through `db::authz::Authz`, so table
//! permissions on `nodes` (and `tags`, `edges`) and row policies on them apply to documents
//! exactly as to tables; search joins the index through the caller's policy view of `nodes`
//! (see `search`), so it never returns, snippets or counts a document the caller cannot read.
//!
//! Not here: HTTP (`api::documents`), JS glue (`js::host_docs`), serving (`serve`).

pub mod content;
pub mod fts_query;
pub mod graph;
pub mod id;
pub mod params;
pub mod search;
pub mod serve;
pub mod store;
pub mod tags;

use rusqlite::types::Value;
use rusqlite::Connection;

use crate::db::authz::{Authz, AuthzError, Principal};

pub use store::{Doc, ListOptions, Preconditions, Sort};

/// Per-henv limits (from `_hbf_config`, see `henv::settings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest content in bytes.
    pub max_bytes: usize,
    /// Longest id in bytes.
    pub max_id_bytes: usize,
    /// Most segments in an id.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 5 * 1024 * 1024,
            max_id_bytes: 512,
            max_depth: 16,
        }
    }
}

/// Why a document operation failed; `status` is the HTTP status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("invalid document id: {0}")]
    BadId(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid JSON: {0}")]
    BadJson(String),
    #[error("invalid search query: {0}")]
    BadQuery(String),
    #[error("content of {size} bytes is larger than this henv's documents_max_bytes ({max})")]
    TooLarge { size: usize, max: usize },
    #[error("unsupported content type {0:?}")]
    UnsupportedType(String),
    #[error("no such document")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("precondition failed: the document's current ETag is {current}")]
    PreconditionFailed { current: String },
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Internal(String),
}

impl DocError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            DocError::BadId(_)
            | DocError::BadRequest(_)
            | DocError::BadJson(_)
            | DocError::BadQuery(_) => 400,
            DocError::TooLarge { .. } => 413,
            DocError::UnsupportedType(_) => 415,
            DocError::NotFound => 404,
            DocError::Forbidden(_) => 403,
            DocError::PreconditionFailed { .. } => 412,
            DocError::Conflict(_) => 409,
            DocError::Internal(_) => 500,
        }
    }
}

impl From<rusqlite::Error> for DocError {
    fn from(e: rusqlite::Error) -> Self {
        classify(&e.to_string())
    }
}

impl From<AuthzError> for DocError {
    fn from(e: AuthzError) -> Self {
        match e {
            AuthzError::Denied(m) => DocError::Forbidden(m.to_owned()),
            AuthzError::Sqlite(e) => e.into(),
        }
    }
}

/// Sorts an SQLite error message into a refusal, a conflict, a bad query or a failure.
fn classify(msg: &str) -> DocError {
    let denied = [
        "prohibited",
        "not authorized",
        "authorization denied",
        "row policy",
        "cannot modify",
    ];
    if denied.iter().any(|m| msg.contains(m)) {
        DocError::Forbidden(
            "your role may not do this to documents (table permissions or row policies)".into(),
        )
    } else if msg.contains("fts5") || msg.contains("unknown special query") {
        DocError::BadQuery(msg.to_owned())
    } else if msg.contains("UNIQUE constraint failed: nodes.path") {
        DocError::Forbidden("a document with this id exists and you may not see it".into())
    } else if msg.contains("constraint") {
        DocError::Conflict(msg.to_owned())
    } else {
        DocError::Internal(msg.to_owned())
    }
}

/// Where document operations run: the henv's connection, its authorization state, the
/// principal every statement runs as, and the henv's limits.
pub struct Docs<'a> {
    pub conn: &'a Connection,
    pub authz: &'a Authz,
    pub principal: Principal,
    pub limits: Limits,
}

impl Docs<'_> {
    /// Runs `sql` with `params` as the caller; every row as values.
    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, DocError> {
        self.read(sql, params, false)
    }

    /// Like `rows`, with reads of the documents' full-text index allowed (see
    /// `Authz::run_docs`): for search statements HBF builds itself.
    fn search_rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, DocError> {
        self.read(sql, params, true)
    }

    fn read(&self, sql: &str, params: &[Value], index: bool) -> Result<Vec<Vec<Value>>, DocError> {
        let run = |st: &mut rusqlite::CachedStatement<'_>| {
            bind(st, params)?;
            collect(st)
        };
        let (rows, _) = if index {
            self.authz.run_docs(self.conn, self.principal, sql, run)?
        } else {
            self.authz.run(self.conn, self.principal, sql, run)?
        };
        Ok(rows)
    }

    /// Runs a writing statement as the caller; returns the rows written (through row-policy
    /// triggers or directly) and the last inserted rowid.
    fn write(&self, sql: &str, params: &[Value]) -> Result<(i64, i64), DocError> {
        self.write_with(sql, params, false)
    }

    /// `write` of a row of `edges` or `tags` that refers to documents the caller has just
    /// looked up: its foreign-key check may read `nodes.id` (`Authz::run_docs`).
    fn write_linked(&self, sql: &str, params: &[Value]) -> Result<(i64, i64), DocError> {
        self.write_with(sql, params, true)
    }

    fn write_with(
        &self,
        sql: &str,
        params: &[Value],
        linked: bool,
    ) -> Result<(i64, i64), DocError> {
        let run = |st: &mut rusqlite::CachedStatement<'_>| {
            bind(st, params)?;
            st.raw_execute()
        };
        let (n, wrote) = if linked {
            self.authz.run_docs(self.conn, self.principal, sql, run)?
        } else {
            self.authz.run(self.conn, self.principal, sql, run)?
        };
        Ok(match wrote {
            Some((count, id)) => (count, id.unwrap_or_else(|| self.conn.last_insert_rowid())),
            None => (n as i64, self.conn.last_insert_rowid()),
        })
    }

    /// Runs `f` in a transaction (a savepoint inside an open one); rolled back on error.
    fn transaction<T>(&self, f: impl FnOnce() -> Result<T, DocError>) -> Result<T, DocError> {
        let outer = self.conn.is_autocommit();
        let (begin, commit, rollback) = if outer {
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        } else {
            (
                "SAVEPOINT hbf_docs",
                "RELEASE hbf_docs",
                "ROLLBACK TO hbf_docs; RELEASE hbf_docs",
            )
        };
        self.conn.execute_batch(begin)?;
        match f() {
            Ok(v) => {
                if let Err(e) = self.conn.execute_batch(commit) {
                    let _ = self.conn.execute_batch(rollback);
                    return Err(e.into());
                }
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch(rollback);
                Err(e)
            }
        }
    }
}

fn bind(st: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> rusqlite::Result<()> {
    for (i, v) in params.iter().enumerate() {
        st.raw_bind_parameter(i + 1, v)?;
    }
    Ok(())
}

fn collect(st: &mut rusqlite::CachedStatement<'_>) -> rusqlite::Result<Vec<Vec<Value>>> {
    let n = st.column_count();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut vals = Vec::with_capacity(n);
        for i in 0..n {
            vals.push(row.get::<_, Value>(i)?);
        }
        out.push(vals);
    }
    Ok(out)
}

/// Small accessors over a row of `Value`s.
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s.clone()),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

pub(crate) fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(i) => *i,
        Value::Real(f) => *f as i64,
        _ => 0,
    }
}
