//! List and search options from named parameters (a URL query or a JS options object), so
//! the API and `hbf:documents` accept the same names and refuse the same bad values.

use super::search::SearchOptions;
use super::store::{ListOptions, Sort, DEFAULT_LIMIT};
use super::DocError;

/// Looks a parameter up by name.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn int(get: Lookup<'_>, k: &str, default: i64) -> Result<i64, DocError> {
    match get(k) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| DocError::BadRequest(format!("{k} must be an integer, not {v:?}"))),
    }
}

impl ListOptions {
    /// `prefix`, `tag`, `type`, `sort` (id | modified_at | created_at), `order` (asc |
    /// desc), `limit`, `offset`, `cursor`.
    pub fn from_params(get: Lookup<'_>) -> Result<ListOptions, DocError> {
        let desc = match get("order").as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(o) => {
                return Err(DocError::BadRequest(format!(
                    "order must be asc or desc, not {o:?}"
                )))
            }
        };
        Ok(ListOptions {
            prefix: get("prefix").unwrap_or_default(),
            tag: get("tag"),
            content_type: get("type"),
            sort: get("sort")
                .map(|s| Sort::parse(&s))
                .transpose()?
                .unwrap_or_default(),
            desc,
            limit: int(get, "limit", DEFAULT_LIMIT)?,
            offset: int(get, "offset", 0)?,
            cursor: get("cursor"),
        })
    }
}

impl SearchOptions {
    /// `q`, `tag`, `type`, `prefix`, `limit`, `offset`, `snippet_tokens`, `highlight` (a tag
    /// name such as `mark`, or `open,close` markup), `escape` (`none`: raw snippets).
    pub fn from_params(get: Lookup<'_>) -> Result<SearchOptions, DocError> {
        let d = SearchOptions::default();
        let highlight = match get("highlight") {
            None => d.highlight.clone(),
            Some(h) => match h.split_once(',') {
                Some((a, b)) => (a.to_owned(), b.to_owned()),
                None if !h.is_empty()
                    && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
                {
                    (format!("<{h}>"), format!("</{h}>"))
                }
                None => {
                    return Err(DocError::BadRequest(
                        "highlight is a tag name (mark, b, em) or 'open,close'".into(),
                    ))
                }
            },
        };
        Ok(SearchOptions {
            q: get("q").unwrap_or_default(),
            tag: get("tag"),
            content_type: get("type"),
            prefix: get("prefix"),
            limit: int(get, "limit", d.limit)?,
            offset: int(get, "offset", d.offset)?,
            snippet_tokens: int(get, "snippet_tokens", d.snippet_tokens)?,
            escape: get("escape").as_deref() != Some("none"),
            highlight,
        })
    }
}
