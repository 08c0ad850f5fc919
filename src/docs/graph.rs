//! Edges between documents: a relation name and JSON properties; neighbours in either
//! direction; traversal to a depth limit with a recursive CTE. The walk goes only through
//! documents the caller can read (it joins the caller's view of `nodes` at every step), and
//! a cycle ends because each document is expanded at most once per depth, up to the limit.

use rusqlite::types::Value;
use serde_json::{json, Value as J};

use super::{int, text, DocError, Docs};

/// Deepest traversal allowed.
pub const MAX_DEPTH: i64 = 16;
/// Most nodes a traversal or neighbour list returns.
pub const MAX_NODES: i64 = 10_000;

/// Which edges of a document to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Out,
    In,
    Both,
}

impl Direction {
    pub fn parse(s: &str) -> Result<Direction, DocError> {
        match s {
            "out" => Ok(Direction::Out),
            "in" => Ok(Direction::In),
            "both" => Ok(Direction::Both),
            _ => Err(DocError::BadRequest(format!(
                "direction must be out, in or both, not {s:?}"
            ))),
        }
    }
}

/// Checks a relation name: 1..=64 bytes, no control characters.
pub fn validate_rel(rel: &str) -> Result<(), DocError> {
    if rel.is_empty() || rel.len() > 64 || rel.chars().any(char::is_control) {
        return Err(DocError::BadRequest(
            "rel must be 1 to 64 bytes without control characters".into(),
        ));
    }
    Ok(())
}

fn edge_json(r: &[Value]) -> J {
    json!({
        "id": int(&r[0]),
        "from": text(&r[1]),
        "to": text(&r[2]),
        "rel": text(&r[3]),
        "props": text(&r[4]).and_then(|s| serde_json::from_str::<J>(&s).ok()).unwrap_or(J::Null),
        "created_at": int(&r[5]),
    })
}

impl Docs<'_> {
    fn node_of(&self, doc_id: &str) -> Result<i64, DocError> {
        super::id::validate(doc_id, &self.limits)?;
        Ok(self.find(doc_id, false)?.ok_or(DocError::NotFound)?.node)
    }

    /// Adds an edge `from -rel-> to` with properties; both documents must be readable.
    pub fn add_edge(
        &self,
        from: &str,
        to: &str,
        rel: &str,
        props: Option<&J>,
    ) -> Result<J, DocError> {
        validate_rel(rel)?;
        let props = match props {
            None | Some(J::Null) => Value::Null,
            Some(p @ J::Object(_)) => Value::Text(p.to_string()),
            Some(_) => return Err(DocError::BadRequest("props is a JSON object".into())),
        };
        let src = self.node_of(from)?;
        let dst = self.node_of(to).map_err(|e| match e {
            DocError::NotFound => {
                DocError::BadRequest(format!("no such document {to:?} to link to"))
            }
            e => e,
        })?;
        let (_, id) = self.write_linked(
            "INSERT INTO edges (src, dst, rel, props) VALUES (?1, ?2, ?3, ?4)",
            &[
                Value::Integer(src),
                Value::Integer(dst),
                Value::Text(rel.to_owned()),
                props,
            ],
        )?;
        let rows = self.rows(
            "SELECT e.id, a.path, b.path, e.rel, e.props, e.created_at FROM edges e \
             JOIN nodes a ON a.id = e.src JOIN nodes b ON b.id = e.dst WHERE e.id = ?1",
            &[Value::Integer(id)],
        )?;
        Ok(rows
            .first()
            .map_or_else(|| json!({ "id": id }), |r| edge_json(r)))
    }

    /// Removes `from`'s outgoing edges, only those to `to` and/or with `rel` if given.
    /// Returns how many went.
    pub fn remove_edges(
        &self,
        from: &str,
        to: Option<&str>,
        rel: Option<&str>,
    ) -> Result<i64, DocError> {
        let src = self.node_of(from)?;
        let dst = match to {
            Some(t) => Value::Integer(self.node_of(t)?),
            None => Value::Null,
        };
        if let Some(r) = rel {
            validate_rel(r)?;
        }
        let (n, _) = self.write_linked(
            "DELETE FROM edges WHERE src = ?1 AND (?2 IS NULL OR dst = ?2) AND (?3 IS NULL OR rel = ?3)",
            &[Value::Integer(src), dst, rel.map_or(Value::Null, |r| Value::Text(r.to_owned()))],
        )?;
        Ok(n)
    }

    /// The documents one edge away, with the edge: `[{id, type, title, rel, direction, edge}]`.
    pub fn neighbours(
        &self,
        doc_id: &str,
        dir: Direction,
        rel: Option<&str>,
    ) -> Result<Vec<J>, DocError> {
        let node = self.node_of(doc_id)?;
        if let Some(r) = rel {
            validate_rel(r)?;
        }
        let mut out = Vec::new();
        let sides: &[(&str, &str, &str)] = match dir {
            Direction::Out => &[("src", "dst", "out")],
            Direction::In => &[("dst", "src", "in")],
            Direction::Both => &[("src", "dst", "out"), ("dst", "src", "in")],
        };
        for (here, there, name) in sides {
            let sql = format!(
                "SELECT e.id, a.path, b.path, e.rel, e.props, e.created_at, o.path, o.type, o.title \
                 FROM edges e JOIN nodes o ON o.id = e.{there} \
                 JOIN nodes a ON a.id = e.src JOIN nodes b ON b.id = e.dst \
                 WHERE e.{here} = ?1 AND (?2 IS NULL OR e.rel = ?2) AND o.path IS NOT NULL \
                 ORDER BY e.id LIMIT {MAX_NODES}"
            );
            let rows = self.rows(
                &sql,
                &[
                    Value::Integer(node),
                    rel.map_or(Value::Null, |r| Value::Text(r.to_owned())),
                ],
            )?;
            for r in rows {
                out.push(json!({
                    "id": text(&r[6]),
                    "type": text(&r[7]),
                    "title": text(&r[8]),
                    "rel": text(&r[3]),
                    "direction": name,
                    "edge": edge_json(&r[..6]),
                }));
            }
        }
        Ok(out)
    }

    /// Everything reachable from `doc_id` within `depth` edges (of relation `rel` if given):
    /// `{nodes: [{id, type, title, depth}], edges: [...]}`, each node at its least depth.
    pub fn traverse(
        &self,
        doc_id: &str,
        depth: i64,
        dir: Direction,
        rel: Option<&str>,
    ) -> Result<J, DocError> {
        if !(0..=MAX_DEPTH).contains(&depth) {
            return Err(DocError::BadRequest(format!(
                "depth must be between 0 and {MAX_DEPTH}, not {depth}"
            )));
        }
        if let Some(r) = rel {
            validate_rel(r)?;
        }
        let start = self.node_of(doc_id)?;
        let (join, next) = match dir {
            Direction::Out => ("e.src = w.node", "e.dst"),
            Direction::In => ("e.dst = w.node", "e.src"),
            Direction::Both => (
                "(e.src = w.node OR e.dst = w.node)",
                "CASE WHEN e.src = w.node THEN e.dst ELSE e.src END",
            ),
        };
        // UNION (not UNION ALL) drops repeated (node, depth) pairs: with the depth bound, a
        // cycle adds at most one row per node and depth.
        let sql = format!(
            "WITH RECURSIVE walk(node, depth) AS ( \
               SELECT ?1, 0 \
               UNION \
               SELECT n.id, w.depth + 1 FROM walk w JOIN edges e ON {join} JOIN nodes n ON n.id = {next} \
               WHERE w.depth < ?2 AND (?3 IS NULL OR e.rel = ?3) AND n.path IS NOT NULL \
               LIMIT {limit} \
             ) \
             SELECT n.id, n.path, n.type, n.title, min(w.depth) FROM walk w JOIN nodes n ON n.id = w.node \
             GROUP BY n.id ORDER BY min(w.depth), n.path LIMIT {MAX_NODES}",
            limit = MAX_NODES * (MAX_DEPTH + 1),
        );
        let rel_v = rel.map_or(Value::Null, |r| Value::Text(r.to_owned()));
        let rows = self.rows(
            &sql,
            &[Value::Integer(start), Value::Integer(depth), rel_v.clone()],
        )?;
        let ids: Vec<i64> = rows.iter().map(|r| int(&r[0])).collect();
        let nodes: Vec<J> = rows
            .iter()
            .map(|r| json!({ "id": text(&r[1]), "type": text(&r[2]), "title": text(&r[3]), "depth": int(&r[4]) }))
            .collect();
        let list = J::from(ids).to_string();
        let edges = self.rows(
            "SELECT e.id, a.path, b.path, e.rel, e.props, e.created_at FROM edges e \
             JOIN nodes a ON a.id = e.src JOIN nodes b ON b.id = e.dst \
             WHERE e.src IN (SELECT value FROM json_each(?1)) AND e.dst IN (SELECT value FROM json_each(?1)) \
             AND (?2 IS NULL OR e.rel = ?2) ORDER BY e.id LIMIT 100000",
            &[Value::Text(list), rel_v],
        )?;
        Ok(json!({
            "nodes": nodes,
            "edges": edges.iter().map(|r| edge_json(r)).collect::<Vec<_>>(),
        }))
    }
}
