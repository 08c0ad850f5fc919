//! Bounds on what one henv's SQL may allocate: SQLite's per-connection run-time limits.
//!
//! SQLite's compile-time defaults let any value grow to 1 GB (`SELECT randomblob(900000000)`
//! succeeds), and an app's SQL runs inside the server process. Every app connection therefore
//! gets the limits below (`apply`, from `isolation::restrict` with the defaults and again from
//! `HenvSettings::load` with the henv's own `sql_limits` setting). Each value can be lowered or
//! raised per henv, never past SQLite's compile-time maximum and never below a floor that HBF's
//! own tables need. What no per-connection limit bounds (the sum over all connections) is the
//! process-wide SQLite heap limit, `--sqlite_hard_heap_limit_mb` (`db::set_heap_limits`).
//!
//! HBF's own large values (app files, up to `--max_body_bytes` each or larger when imported)
//! are read and written with the length limit lifted for that statement only
//! (`db::with_length_lifted`), so a henv with a small `length` still serves its files.

use rusqlite::limits::Limit;
use rusqlite::Connection;

/// One limit: its setting name, the SQLite limit, HBF's default, the smallest value accepted.
struct Spec {
    name: &'static str,
    limit: Limit,
    default: i32,
    floor: i32,
}

/// The limits HBF sets on app connections. Values from SQLite's documentation of
/// `sqlite3_limit`; defaults are SQLite's own except where memory is at stake.
const SPECS: &[Spec] = &[
    // Largest string or blob, in bytes (SQLite: 1e9). Above --max_body_bytes's default.
    Spec {
        name: "length",
        limit: Limit::SQLITE_LIMIT_LENGTH,
        default: 16 * 1024 * 1024,
        floor: 1024 * 1024,
    },
    // Longest SQL statement text, in bytes (SQLite: 1e9).
    Spec {
        name: "sql_length",
        limit: Limit::SQLITE_LIMIT_SQL_LENGTH,
        default: 1024 * 1024,
        floor: 100 * 1024,
    },
    // Columns in a table, index, view, result set or ORDER BY (SQLite: 2000).
    Spec {
        name: "column",
        limit: Limit::SQLITE_LIMIT_COLUMN,
        default: 2000,
        floor: 100,
    },
    // Depth of an expression tree (SQLite: 1000): parser and code generator recursion.
    Spec {
        name: "expr_depth",
        limit: Limit::SQLITE_LIMIT_EXPR_DEPTH,
        default: 1000,
        floor: 100,
    },
    // Terms of a compound SELECT (SQLite: 500).
    Spec {
        name: "compound_select",
        limit: Limit::SQLITE_LIMIT_COMPOUND_SELECT,
        default: 500,
        floor: 10,
    },
    // Arguments of one function call (SQLite: 1000; json_object takes pairs).
    Spec {
        name: "function_arg",
        limit: Limit::SQLITE_LIMIT_FUNCTION_ARG,
        default: 1000,
        floor: 8,
    },
    // Length of a LIKE or GLOB pattern, in bytes (SQLite: 50000): matching cost.
    Spec {
        name: "like_pattern_length",
        limit: Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
        default: 50_000,
        floor: 100,
    },
    // Highest `?NNN` parameter number (SQLite: 32766).
    Spec {
        name: "variable_number",
        limit: Limit::SQLITE_LIMIT_VARIABLE_NUMBER,
        default: 32_766,
        floor: 100,
    },
    // Depth of trigger recursion (SQLite: 1000).
    Spec {
        name: "trigger_depth",
        limit: Limit::SQLITE_LIMIT_TRIGGER_DEPTH,
        default: 1000,
        floor: 10,
    },
];

/// The SQL limits of one henv, in `SPECS` order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlLimits {
    values: Vec<i32>,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            values: SPECS.iter().map(|s| s.default).collect(),
        }
    }
}

impl SqlLimits {
    /// The defaults overridden by the `sql_limits` setting, an object such as
    /// `{"length": 4194304, "column": 500}`. Unknown keys and values that are not positive
    /// integers are ignored; values below a limit's floor are raised to it.
    pub fn from_setting(value: &serde_json::Value) -> SqlLimits {
        let mut limits = SqlLimits::default();
        let Some(map) = value.as_object() else {
            return limits;
        };
        for (spec, slot) in SPECS.iter().zip(limits.values.iter_mut()) {
            if let Some(n) = map.get(spec.name).and_then(serde_json::Value::as_u64) {
                *slot = i32::try_from(n).unwrap_or(i32::MAX).max(spec.floor);
            }
        }
        limits
    }

    /// The value of the limit named `name` (as in the setting), if there is one.
    pub fn get(&self, name: &str) -> Option<i32> {
        SPECS
            .iter()
            .position(|s| s.name == name)
            .map(|i| self.values[i])
    }

    /// Sets every limit on `conn` (SQLite caps each at its compile-time maximum).
    pub fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        for (spec, &value) in SPECS.iter().zip(&self.values) {
            conn.set_limit(spec.limit, value)?;
        }
        Ok(())
    }
}

/// A sentence to add to a SQLite error an app sees, naming the limit it ran into.
pub fn explain(e: &rusqlite::Error) -> Option<&'static str> {
    match e.sqlite_error_code()? {
        rusqlite::ErrorCode::TooBig => {
            Some("a string, blob or statement exceeds this henv's sql_limits (length, sql_length)")
        }
        rusqlite::ErrorCode::OutOfMemory => {
            Some("the server's SQLite heap limit (--sqlite_hard_heap_limit_mb) was reached")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        SqlLimits::default().apply(&conn).unwrap();
        conn
    }

    fn fails_too_big(conn: &Connection, sql: &str) {
        let e = conn
            .query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .expect_err(sql);
        assert_eq!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::TooBig),
            "{sql}: {e}"
        );
        assert!(explain(&e).unwrap().contains("sql_limits"));
    }

    #[test]
    fn value_bombs_fail_with_too_big() {
        let conn = conn();
        fails_too_big(&conn, "SELECT length(randomblob(900000000))");
        fails_too_big(&conn, "SELECT length(zeroblob(900000000))");
        fails_too_big(&conn, "SELECT length(printf('%.*c', 900000000, 'x'))");
        fails_too_big(
            &conn,
            "SELECT length(replace(hex(zeroblob(1000000)), '0', '0123456789'))",
        );
        fails_too_big(
            &conn,
            "WITH RECURSIVE s(x) AS (SELECT 'x' UNION ALL SELECT x || x FROM s) SELECT length(x) FROM s WHERE length(x) > 900000000",
        );
        let n: i64 = conn
            .query_row("SELECT length(randomblob(1000000))", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1_000_000);
    }

    #[test]
    fn settings_override_with_a_floor() {
        let l = SqlLimits::from_setting(&serde_json::json!({
            "length": 2_000_000, "column": 1, "sql_length": "big", "nope": 3
        }));
        assert_eq!(l.get("length"), Some(2_000_000));
        assert_eq!(l.get("column"), Some(100));
        assert_eq!(l.get("sql_length"), Some(1024 * 1024));
        let conn = Connection::open_in_memory().unwrap();
        l.apply(&conn).unwrap();
        assert_eq!(conn.limit(Limit::SQLITE_LIMIT_LENGTH).unwrap(), 2_000_000);
        let huge = SqlLimits::from_setting(&serde_json::json!({"length": 5_000_000_000u64}));
        huge.apply(&conn).unwrap();
        assert_eq!(
            conn.limit(Limit::SQLITE_LIMIT_LENGTH).unwrap(),
            1_000_000_000
        );
    }

    #[test]
    fn the_lift_is_scoped() {
        let conn = conn();
        let n: i64 = crate::db::with_length_lifted(&conn, || {
            conn.query_row("SELECT length(zeroblob(20000000))", [], |r| r.get(0))
        })
        .unwrap();
        assert_eq!(n, 20_000_000);
        assert_eq!(
            conn.limit(Limit::SQLITE_LIMIT_LENGTH).unwrap(),
            16 * 1024 * 1024
        );
    }
}
