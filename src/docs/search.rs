//! Full-text search over documents: FTS5 with bm25 ranking (title weighted above text),
//! highlighted snippets, prefix and phrase queries (see `fts_query`), tag and type filters,
//! paging and a total count.
//!
//! Access: the statement joins `nodes_fts` to `nodes`, which for a caller with row
//! policies resolves to the caller's policy view, and runs through `Authz::run_search`: the
//! index (and FTS5's reads of `nodes` for snippets) is open to that one statement shape,
//! which Rust builds; the user's text is only ever a bound MATCH argument. So every result,
//! snippet and count is of a document the caller can read. (bm25 uses the index-wide
//! statistics, so scores, never contents, depend on the other documents.)

use rusqlite::types::Value;
use serde_json::{json, Value as J};

use super::content::{escape_html, MARK_CLOSE, MARK_OPEN};
use super::store::check_paging;
use super::{fts_query, int, text, DocError, Docs};

/// Weight of a match in the title relative to one in the text (bm25 column weights).
pub const TITLE_WEIGHT: f64 = 10.0;

/// A search request.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    pub q: String,
    pub tag: Option<String>,
    pub content_type: Option<String>,
    pub prefix: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Markup around highlighted matches in snippets (default `<mark>`, `</mark>`).
    pub highlight: (String, String),
    /// HTML-escape snippet text (default true), so the markup is the only markup.
    pub escape: bool,
    /// Tokens per snippet (1..=64).
    pub snippet_tokens: i64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            q: String::new(),
            tag: None,
            content_type: None,
            prefix: None,
            limit: 20,
            offset: 0,
            highlight: ("<mark>".into(), "</mark>".into()),
            escape: true,
            snippet_tokens: 16,
        }
    }
}

/// Hits in rank order and how many there are in all.
#[derive(Debug)]
pub struct SearchResult {
    pub total: i64,
    pub hits: Vec<J>,
}

impl Docs<'_> {
    /// Runs a search as the caller.
    pub fn search(&self, o: &SearchOptions) -> Result<SearchResult, DocError> {
        let fts = fts_query::to_fts(&o.q)?;
        check_paging(o.limit, o.offset)?;
        if !(1..=64).contains(&o.snippet_tokens) {
            return Err(DocError::BadRequest(
                "snippet_tokens must be between 1 and 64".into(),
            ));
        }
        if o.highlight.0.len() > 64 || o.highlight.1.len() > 64 {
            return Err(DocError::BadRequest(
                "highlight markup is at most 64 bytes".into(),
            ));
        }
        let mut params = vec![Value::Text(fts)];
        let mut wh = vec![
            "nodes_fts MATCH ?1".to_owned(),
            "n.path IS NOT NULL".to_owned(),
        ];
        self.filters(
            "n",
            (
                o.prefix.as_deref(),
                o.content_type.as_deref(),
                o.tag.as_deref(),
            ),
            &mut params,
            &mut wh,
        )?;
        let from = format!(
            "FROM nodes_fts JOIN nodes n ON n.id = nodes_fts.rowid WHERE {}",
            wh.join(" AND ")
        );
        let total = self
            .search_rows(&format!("SELECT count(*) {from}"), &params)?
            .first()
            .map_or(0, |r| int(&r[0]));
        let mut page = params.clone();
        page.push(Value::Integer(o.limit));
        page.push(Value::Integer(o.offset));
        let sql = format!(
            "SELECT n.path, n.type, n.title, n.modified_at, n.size, \
             bm25(nodes_fts, {TITLE_WEIGHT:.1}, 1.0) AS score, \
             snippet(nodes_fts, -1, char({open}), char({close}), '…', {tokens}) \
             {from} ORDER BY score, n.id LIMIT ?{l} OFFSET ?{off}",
            open = MARK_OPEN as u32,
            close = MARK_CLOSE as u32,
            tokens = o.snippet_tokens,
            l = page.len() - 1,
            off = page.len(),
        );
        let rows = self.search_rows(&sql, &page)?;
        let hits = rows
            .iter()
            .map(|r| {
                let raw = text(&r[6]).unwrap_or_default();
                let body = if o.escape { escape_html(&raw) } else { raw };
                let snippet = body
                    .replace(MARK_OPEN, &o.highlight.0)
                    .replace(MARK_CLOSE, &o.highlight.1);
                let score = match r[5] {
                    Value::Real(f) => -f,
                    _ => 0.0,
                };
                json!({
                    "id": text(&r[0]),
                    "type": text(&r[1]),
                    "title": text(&r[2]),
                    "modified_at": int(&r[3]),
                    "size": int(&r[4]),
                    "score": score,
                    "snippet": snippet,
                })
            })
            .collect();
        Ok(SearchResult { total, hits })
    }
}
