//! Tags: hierarchical (`lang/rust` is under `lang`) and ordered per document (`order_num`
//! is the position in the document's list). Filtering by a tag includes its descendants.

use rusqlite::types::Value;

use super::{id, text, DocError, Docs, Limits};
use crate::db::authz::Principal;

/// Most tags on one document.
pub const MAX_TAGS: usize = 64;

/// A tag has the shape of a document id (segments separated by `/`), at most 128 bytes.
pub fn validate(tag: &str, limits: &Limits) -> Result<(), DocError> {
    let l = Limits {
        max_id_bytes: 128,
        ..*limits
    };
    id::validate(tag, &l).map_err(|e| match e {
        DocError::BadId(m) => DocError::BadRequest(format!("invalid tag {tag:?}: {m}")),
        other => other,
    })
}

/// Checks a document's whole tag list.
pub fn validate_all(tags: &[String], limits: &Limits) -> Result<(), DocError> {
    if tags.len() > MAX_TAGS {
        return Err(DocError::BadRequest(format!(
            "{} tags; a document has at most {MAX_TAGS}",
            tags.len()
        )));
    }
    for (i, t) in tags.iter().enumerate() {
        validate(t, limits)?;
        if tags[..i].contains(t) {
            return Err(DocError::BadRequest(format!("tag {t:?} is listed twice")));
        }
    }
    Ok(())
}

/// SQL true when the node `node_col` has tag `?n` or one under it.
pub(crate) fn filter_sql(node_col: &str, n: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM tags t WHERE t.node_id = {node_col} AND (t.tag = ?{n} \
         OR (t.tag > ?{n} || '/' AND t.tag < ?{n} || '0')))"
    )
}

impl Docs<'_> {
    /// The document's tags in order, or `None` if the caller may not read `tags`.
    pub(crate) fn tags_of(&self, node: i64) -> Result<Option<Vec<String>>, DocError> {
        let p = self.authz.perms(self.principal, "tags");
        if !p.select && matches!(self.principal, Principal::Request { .. }) {
            return Ok(None);
        }
        let rows = self.rows(
            "SELECT tag FROM tags WHERE node_id = ?1 ORDER BY order_num, id",
            &[Value::Integer(node)],
        )?;
        Ok(Some(rows.iter().filter_map(|r| text(&r[0])).collect()))
    }

    /// Replaces the document's tags with `tags`, in that order.
    pub(crate) fn set_tags(&self, node: i64, tags: &[String]) -> Result<(), DocError> {
        self.write_linked(
            "DELETE FROM tags WHERE node_id = ?1",
            &[Value::Integer(node)],
        )?;
        for (i, t) in tags.iter().enumerate() {
            self.write_linked(
                "INSERT INTO tags (tag, node_id, order_num) VALUES (?1, ?2, ?3)",
                &[
                    Value::Text(t.clone()),
                    Value::Integer(node),
                    Value::Integer(i as i64),
                ],
            )?;
        }
        Ok(())
    }

    /// Every tag in use on documents the caller can read, with counts, under `prefix`.
    pub fn tag_counts(&self, prefix: Option<&str>) -> Result<Vec<(String, i64)>, DocError> {
        let mut params = Vec::new();
        let mut sql = "SELECT t.tag, count(*) FROM tags t JOIN nodes n ON n.id = t.node_id \
                       WHERE n.path IS NOT NULL"
            .to_owned();
        if let Some(p) = prefix {
            validate(p, &self.limits)?;
            params.push(Value::Text(p.to_owned()));
            sql.push_str(" AND (t.tag = ?1 OR (t.tag > ?1 || '/' AND t.tag < ?1 || '0'))");
        }
        sql.push_str(" GROUP BY t.tag ORDER BY t.tag LIMIT 10000");
        let rows = self.rows(&sql, &params)?;
        Ok(rows
            .iter()
            .map(|r| (text(&r[0]).unwrap_or_default(), super::int(&r[1])))
            .collect())
    }
}
