//! Create, read, replace, patch, delete and list documents, with optimistic concurrency
//! (`rev` and an ETag derived from it and the content hash).

use rusqlite::types::Value;
use serde_json::{json, Value as J};
use sha2::{Digest, Sha256};

use super::{content, id, int, text, DocError, Docs};

/// A stored document. `content` is `None` when only the metadata was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The node's rowid (edges and tags refer to it).
    pub node: i64,
    pub id: String,
    pub content_type: String,
    pub rev: i64,
    pub created_at: i64,
    pub modified_at: i64,
    pub size: i64,
    pub hash: String,
    pub owner_id: Option<i64>,
    pub title: String,
    /// User metadata (a JSON object).
    pub meta: J,
    /// Tags in order (`None` if the caller may not read `tags`).
    pub tags: Option<Vec<String>>,
    pub content: Option<Vec<u8>>,
}

impl Doc {
    /// The strong ETag: revision and content hash.
    pub fn etag(&self) -> String {
        format!("\"{}-{}\"", self.rev, &self.hash[..self.hash.len().min(16)])
    }

    /// The JSON envelope; content as text for text types, base64 for binary ones.
    pub fn envelope(&self) -> J {
        let mut v = json!({
            "id": self.id,
            "type": self.content_type,
            "version": self.rev,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
            "size": self.size,
            "etag": self.etag(),
            "title": self.title,
            "owner_id": self.owner_id,
            "meta": self.meta,
            "tags": self.tags,
        });
        if let Some(bytes) = &self.content {
            let (c, enc) = if content::is_text(&self.content_type) {
                (
                    J::String(String::from_utf8_lossy(bytes).into_owned()),
                    "utf-8",
                )
            } else {
                (J::String(crate::util::base64_std(bytes)), "base64")
            };
            v["content"] = c;
            v["encoding"] = J::String(enc.into());
        }
        v
    }
}

/// `If-Match` / `If-None-Match` of a write.
#[derive(Clone, Debug, Default)]
pub struct Preconditions {
    /// `If-Match`: `*` or a list of ETags, one of which must be current.
    pub if_match: Option<String>,
    /// `If-None-Match: *`: the document must not exist.
    pub if_none_match: Option<String>,
}

impl Preconditions {
    fn check(&self, current: Option<&str>) -> Result<(), DocError> {
        let fail = || DocError::PreconditionFailed {
            current: current.unwrap_or("(none: no such document)").to_owned(),
        };
        if let Some(m) = &self.if_match {
            let ok = match current {
                None => false,
                Some(cur) => {
                    m.trim() == "*"
                        || m.split(',')
                            .any(|t| t.trim().trim_start_matches("W/") == cur)
                }
            };
            if !ok {
                return Err(fail());
            }
        }
        if let Some(m) = &self.if_none_match {
            let hit = match current {
                None => false,
                Some(cur) => m.trim() == "*" || m.split(',').any(|t| t.trim() == cur),
            };
            if hit {
                return Err(fail());
            }
        }
        Ok(())
    }
}

/// How a list is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Id,
    ModifiedAt,
    CreatedAt,
}

impl Sort {
    pub fn parse(s: &str) -> Result<Sort, DocError> {
        match s {
            "id" => Ok(Sort::Id),
            "modified_at" => Ok(Sort::ModifiedAt),
            "created_at" => Ok(Sort::CreatedAt),
            _ => Err(DocError::BadRequest(format!(
                "sort must be id, modified_at or created_at, not {s:?}"
            ))),
        }
    }
    fn column(self) -> &'static str {
        match self {
            Sort::Id => "path",
            Sort::ModifiedAt => "modified_at",
            Sort::CreatedAt => "created_at",
        }
    }
}

/// What `list` returns and how.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub prefix: String,
    pub tag: Option<String>,
    pub content_type: Option<String>,
    pub sort: Sort,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
    /// From a previous page's `next_cursor` (replaces `offset`).
    pub cursor: Option<String>,
}

/// Most documents a list or search page returns.
pub const MAX_LIMIT: i64 = 1000;
/// The page size when none is given.
pub const DEFAULT_LIMIT: i64 = 50;

const COLUMNS: &str =
    "id, path, type, rev, created_at, modified_at, size, hash, owner_id, title, body";

impl Docs<'_> {
    fn doc_from(&self, r: &[Value], with_content: bool) -> Doc {
        Doc {
            node: int(&r[0]),
            id: text(&r[1]).unwrap_or_default(),
            content_type: text(&r[2]).unwrap_or_default(),
            rev: int(&r[3]),
            created_at: int(&r[4]),
            modified_at: int(&r[5]),
            size: int(&r[6]),
            hash: text(&r[7]).unwrap_or_default(),
            owner_id: match r[8] {
                Value::Integer(i) => Some(i),
                _ => None,
            },
            title: text(&r[9]).unwrap_or_default(),
            meta: text(&r[10])
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_else(|| json!({})),
            tags: None,
            content: match (with_content, r.get(11)) {
                (true, Some(Value::Blob(b))) => Some(b.clone()),
                (true, Some(Value::Text(t))) => Some(t.clone().into_bytes()),
                (true, _) => Some(Vec::new()),
                _ => None,
            },
        }
    }

    /// Reads a document (with its content if `with_content`); `NotFound` also when the
    /// caller may not see it.
    pub fn get(&self, doc_id: &str, with_content: bool) -> Result<Doc, DocError> {
        id::validate(doc_id, &self.limits)?;
        let mut doc = self.find(doc_id, with_content)?.ok_or(DocError::NotFound)?;
        doc.tags = self.tags_of(doc.node)?;
        Ok(doc)
    }

    /// The document if it exists and the caller may read it (no tags).
    pub(crate) fn find(&self, doc_id: &str, with_content: bool) -> Result<Option<Doc>, DocError> {
        let sql = if with_content {
            format!("SELECT {COLUMNS}, data FROM nodes WHERE path = ?1")
        } else {
            format!("SELECT {COLUMNS} FROM nodes WHERE path = ?1")
        };
        let rows = self.rows(&sql, &[Value::Text(doc_id.to_owned())])?;
        Ok(rows.first().map(|r| self.doc_from(r, with_content)))
    }

    /// Creates or replaces a document's content (`PUT`). Metadata and tags stay unless
    /// `tags` is given. Returns the document (without content) and whether it was created.
    pub fn put(
        &self,
        doc_id: &str,
        content_type: Option<&str>,
        bytes: &[u8],
        tags: Option<&[String]>,
        pre: &Preconditions,
    ) -> Result<(Doc, bool), DocError> {
        id::validate(doc_id, &self.limits)?;
        if bytes.len() > self.limits.max_bytes {
            return Err(DocError::TooLarge {
                size: bytes.len(),
                max: self.limits.max_bytes,
            });
        }
        let ty = content::normalize_type(content_type)?;
        let text_content = content::check(&ty, bytes)?;
        if let Some(t) = tags {
            super::tags::validate_all(t, &self.limits)?;
        }
        let (title, search) = content::derive(doc_id, &ty, text_content.as_deref());
        let hash = hex(&Sha256::digest(bytes));
        self.transaction(|| {
            let existing = self.find(doc_id, false)?;
            pre.check(existing.as_ref().map(Doc::etag).as_deref())?;
            let common = vec![
                Value::Text(ty.clone()),
                Value::Blob(bytes.to_vec()),
                Value::Text(hash.clone()),
                Value::Integer(bytes.len() as i64),
                Value::Text(title.clone()),
                search.clone().map_or(Value::Null, Value::Text),
            ];
            let created = match &existing {
                Some(d) => {
                    let mut p = common;
                    p.push(Value::Integer(d.node));
                    let (n, _) = self.write(
                        "UPDATE nodes SET type = ?1, data = ?2, hash = ?3, size = ?4, title = ?5, \
                         search_text = ?6, rev = rev + 1, modified_at = unixepoch() WHERE id = ?7",
                        &p,
                    )?;
                    if n == 0 {
                        return Err(DocError::Forbidden(
                            "a row policy does not let you update this document".into(),
                        ));
                    }
                    false
                }
                None => {
                    let mut p = common;
                    p.push(Value::Text(doc_id.to_owned()));
                    p.push(match self.principal {
                        crate::db::authz::Principal::Request {
                            user_id: Some(u), ..
                        } => Value::Integer(u),
                        _ => Value::Null,
                    });
                    self.write(
                        "INSERT INTO nodes (type, data, hash, size, title, search_text, path, owner_id, body, rev) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '{}', 1)",
                        &p,
                    )?;
                    true
                }
            };
            let doc = self.find(doc_id, false)?.ok_or_else(|| {
                DocError::Forbidden("written, but a row policy hides the result from you".into())
            })?;
            if let Some(t) = tags {
                self.set_tags(doc.node, t)?;
            }
            Ok((doc, created))
        })
        .and_then(|(mut doc, created)| {
            doc.tags = self.tags_of(doc.node)?;
            Ok((doc, created))
        })
    }

    /// `PATCH` with `application/merge-patch+json`: RFC 7386 over a JSON document's content.
    pub fn merge_content(
        &self,
        doc_id: &str,
        patch: &J,
        pre: &Preconditions,
    ) -> Result<Doc, DocError> {
        self.patch(doc_id, &json!({ "content": patch }), pre)
    }

    /// `PATCH` with an envelope patch `{content?, meta?, tags?, type?}`: `content` is a merge
    /// patch for JSON documents and a replacement string for text ones; `meta` a merge patch
    /// of the metadata; `tags` the new tag list; `type` a new content type.
    pub fn patch(&self, doc_id: &str, patch: &J, pre: &Preconditions) -> Result<Doc, DocError> {
        id::validate(doc_id, &self.limits)?;
        let J::Object(p) = patch else {
            return Err(DocError::BadRequest("a patch is a JSON object".into()));
        };
        if let Some(k) = p
            .keys()
            .find(|k| !["content", "meta", "tags", "type"].contains(&k.as_str()))
        {
            return Err(DocError::BadRequest(format!(
                "unknown patch field {k:?}: use content, meta, tags or type"
            )));
        }
        let tags: Option<Vec<String>> = match p.get("tags") {
            None => None,
            Some(J::Array(a)) => Some(
                a.iter()
                    .map(|t| {
                        t.as_str().map(str::to_owned).ok_or_else(|| {
                            DocError::BadRequest("tags is an array of strings".into())
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return Err(DocError::BadRequest("tags is an array of strings".into())),
        };
        if let Some(t) = &tags {
            super::tags::validate_all(t, &self.limits)?;
        }
        if let Some(m) = p.get("meta") {
            if !m.is_object() && !m.is_null() {
                return Err(DocError::BadRequest("meta is a JSON object".into()));
            }
        }
        let doc = self.transaction(|| {
            let cur = self.find(doc_id, true)?.ok_or(DocError::NotFound)?;
            pre.check(Some(&cur.etag()))?;
            let ty = match p.get("type") {
                Some(J::String(t)) => content::normalize_type(Some(t))?,
                Some(_) => return Err(DocError::BadRequest("type is a string".into())),
                None => cur.content_type.clone(),
            };
            let old = cur.content.clone().unwrap_or_default();
            let bytes = match p.get("content") {
                None => old,
                Some(c) if content::is_json(&cur.content_type) && content::is_json(&ty) => {
                    let mut v: J = serde_json::from_slice(&old)
                        .map_err(|e| DocError::BadJson(format!("stored content: {e}")))?;
                    content::merge_patch(&mut v, c);
                    serde_json::to_vec(&v).map_err(|e| DocError::Internal(e.to_string()))?
                }
                Some(J::String(s)) if content::is_text(&ty) => s.clone().into_bytes(),
                Some(_) => {
                    return Err(DocError::BadRequest(format!(
                        "content of a {ty} document is patched with a string (JSON documents: a merge patch; binary: PUT)"
                    )))
                }
            };
            if bytes.len() > self.limits.max_bytes {
                return Err(DocError::TooLarge {
                    size: bytes.len(),
                    max: self.limits.max_bytes,
                });
            }
            let text_content = content::check(&ty, &bytes)?;
            let (title, search) = content::derive(doc_id, &ty, text_content.as_deref());
            let mut meta = cur.meta.clone();
            if let Some(m) = p.get("meta") {
                content::merge_patch(&mut meta, m);
            }
            let params = vec![
                Value::Text(ty),
                Value::Blob(bytes.clone()),
                Value::Text(hex(&Sha256::digest(&bytes))),
                Value::Integer(bytes.len() as i64),
                Value::Text(title),
                search.map_or(Value::Null, Value::Text),
                Value::Text(meta.to_string()),
                Value::Integer(cur.node),
            ];
            let (n, _) = self.write(
                "UPDATE nodes SET type = ?1, data = ?2, hash = ?3, size = ?4, title = ?5, \
                 search_text = ?6, body = ?7, rev = rev + 1, modified_at = unixepoch() WHERE id = ?8",
                &params,
            )?;
            if n == 0 {
                return Err(DocError::Forbidden(
                    "a row policy does not let you update this document".into(),
                ));
            }
            if let Some(t) = &tags {
                self.set_tags(cur.node, t)?;
            }
            self.find(doc_id, false)?.ok_or_else(|| {
                DocError::Forbidden("written, but a row policy hides the result from you".into())
            })
        })?;
        let mut doc = doc;
        doc.tags = self.tags_of(doc.node)?;
        Ok(doc)
    }

    /// Deletes a document (its edges and tags go with it).
    pub fn delete(&self, doc_id: &str, pre: &Preconditions) -> Result<(), DocError> {
        id::validate(doc_id, &self.limits)?;
        self.transaction(|| {
            let cur = self.find(doc_id, false)?.ok_or(DocError::NotFound)?;
            pre.check(Some(&cur.etag()))?;
            let (n, _) = self.write(
                "DELETE FROM nodes WHERE id = ?1",
                &[Value::Integer(cur.node)],
            )?;
            if n == 0 {
                return Err(DocError::Forbidden(
                    "a row policy does not let you delete this document".into(),
                ));
            }
            Ok(())
        })
    }

    /// One page of documents (metadata only) and the cursor of the next page, if any.
    pub fn list(&self, o: &ListOptions) -> Result<(Vec<Doc>, Option<String>), DocError> {
        id::validate_prefix(&o.prefix, &self.limits)?;
        check_paging(o.limit, o.offset)?;
        let mut params: Vec<Value> = Vec::new();
        let mut wh = vec!["path IS NOT NULL".to_owned()];
        let prefix = Some(o.prefix.as_str()).filter(|p| !p.is_empty());
        self.filters(
            "nodes",
            (prefix, o.content_type.as_deref(), o.tag.as_deref()),
            &mut params,
            &mut wh,
        )?;
        let col = o.sort.column();
        let (cmp, dir) = if o.desc { ("<", "DESC") } else { (">", "ASC") };
        let offset = if let Some(c) = &o.cursor {
            let (v, last) = decode_cursor(c)?;
            if o.sort == Sort::Id {
                params.push(Value::Text(last));
                wh.push(format!("path {cmp} ?{}", params.len()));
            } else {
                params.push(Value::Integer(v));
                params.push(Value::Text(last));
                wh.push(format!(
                    "({col}, path) {cmp} (?{}, ?{})",
                    params.len() - 1,
                    params.len()
                ));
            }
            0
        } else {
            o.offset
        };
        params.push(Value::Integer(o.limit + 1));
        params.push(Value::Integer(offset));
        let order = if o.sort == Sort::Id {
            format!("path {dir}")
        } else {
            format!("{col} {dir}, path {dir}")
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM nodes WHERE {} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
            wh.join(" AND "),
            params.len() - 1,
            params.len()
        );
        let rows = self.rows(&sql, &params)?;
        let mut docs: Vec<Doc> = rows.iter().map(|r| self.doc_from(r, false)).collect();
        let more = docs.len() as i64 > o.limit;
        docs.truncate(o.limit as usize);
        let next = match (more, docs.last()) {
            (true, Some(d)) => Some(encode_cursor(
                match o.sort {
                    Sort::Id => 0,
                    Sort::ModifiedAt => d.modified_at,
                    Sort::CreatedAt => d.created_at,
                },
                &d.id,
            )),
            _ => None,
        };
        for d in &mut docs {
            d.tags = self.tags_of(d.node)?;
        }
        Ok((docs, next))
    }
}

impl Docs<'_> {
    /// Adds the prefix, type and tag filters of a list or search on table alias `t` (a
    /// validated prefix and tag; `type` exact or a `text/*` family).
    pub(crate) fn filters(
        &self,
        t: &str,
        (prefix, ty, tag): (Option<&str>, Option<&str>, Option<&str>),
        params: &mut Vec<Value>,
        wh: &mut Vec<String>,
    ) -> Result<(), DocError> {
        if let Some(p) = prefix {
            id::validate_prefix(p, &self.limits)?;
            params.push(Value::Text(p.to_owned()));
            wh.push(format!(
                "{t}.path >= ?{n} AND {t}.path < ?{n} || char(1114111)",
                n = params.len()
            ));
        }
        if let Some(ty) = ty {
            params.push(Value::Text(ty.to_owned()));
            wh.push(type_filter(&format!("{t}.type"), params.len()));
        }
        if let Some(tag) = tag {
            super::tags::validate(tag, &self.limits)?;
            params.push(Value::Text(tag.to_owned()));
            wh.push(super::tags::filter_sql(&format!("{t}.id"), params.len()));
        }
        Ok(())
    }
}

/// `type = ?n`, or a family (`text/*`, `image/*`) with a trailing `*`.
fn type_filter(col: &str, n: usize) -> String {
    format!("({col} = ?{n} OR (substr(?{n}, -2) = '/*' AND substr({col}, 1, length(?{n}) - 1) = substr(?{n}, 1, length(?{n}) - 1)))")
}

/// Refuses negative, zero or huge page sizes and negative offsets.
pub fn check_paging(limit: i64, offset: i64) -> Result<(), DocError> {
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(DocError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}, not {limit}"
        )));
    }
    if !(0..=1_000_000_000).contains(&offset) {
        return Err(DocError::BadRequest(format!(
            "offset must be between 0 and 1000000000, not {offset}"
        )));
    }
    Ok(())
}

fn encode_cursor(v: i64, last: &str) -> String {
    crate::auth::base64url::encode(json!([v, last]).to_string().as_bytes())
}

fn decode_cursor(c: &str) -> Result<(i64, String), DocError> {
    let bad = || DocError::BadRequest("cursor is not one this server returned".into());
    let bytes = crate::auth::base64url::decode(c).ok_or_else(bad)?;
    let v: J = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match (v.get(0).and_then(J::as_i64), v.get(1).and_then(J::as_str)) {
        (Some(n), Some(s)) => Ok((n, s.to_owned())),
        _ => Err(bad()),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
