//! Keeping a henv's SQL inside its own file and its own time slice.
//!
//! App connections get a SQLite authorizer that denies `ATTACH` of any file (the only way SQL
//! names another file; `VACUUM INTO` attaches too; plain `VACUUM`'s private temporary database
//! is allowed) and `PRAGMA` assignments other than a short
//! list of harmless ones (no `journal_mode`, `mmap_size`, `cache_size`, `writable_schema`,
//! heap limits, ...). No function of the JS `hbf:db` module takes a file path. A progress
//! handler interrupts a statement still running past the request's deadline, so runaway SQL
//! (a recursive CTE that never ends) occupies its worker no longer than runaway JavaScript.
//! Per-connection SQLite limits (`sql_limits`) bound what one statement may allocate.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::Connection;

/// Pragmas an app may set or call with an argument. Reading any pragma stays allowed.
const PRAGMAS_WITH_ARGUMENT: &[&str] = &[
    "analysis_limit",
    "application_id",
    "automatic_index",
    "case_sensitive_like",
    "defer_foreign_keys",
    "foreign_key_check",
    "foreign_key_list",
    "foreign_keys",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "optimize",
    "quick_check",
    "recursive_triggers",
    "reverse_unordered_selects",
    "table_info",
    "table_list",
    "table_xinfo",
    "user_version",
];

/// SQLite virtual machine steps between two deadline checks.
const PROGRESS_STEPS: i32 = 10_000;

/// The authorizer of app connections.
pub fn authorize(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        // `VACUUM` attaches a private temporary database named ''; any other name is a file.
        AuthAction::Attach { filename: "" } => Authorization::Allow,
        AuthAction::Attach { .. } => Authorization::Deny,
        // Only what was attached can be detached: `main` and `temp` never are.
        AuthAction::Detach { .. } => Authorization::Allow,
        AuthAction::Pragma {
            pragma_name,
            pragma_value: Some(_),
        } if !PRAGMAS_WITH_ARGUMENT
            .iter()
            .any(|p| p.eq_ignore_ascii_case(pragma_name)) =>
        {
            Authorization::Deny
        }
        AuthAction::Function { function_name }
            if function_name.eq_ignore_ascii_case("load_extension") =>
        {
            Authorization::Deny
        }
        _ => Authorization::Allow,
    }
}

/// When the statement running on a connection must stop. Cheap to arm per request.
#[derive(Clone, Default)]
pub struct QueryDeadline(Arc<AtomicU64>);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl QueryDeadline {
    /// Statements past `deadline` are interrupted (SQLITE_INTERRUPT).
    pub fn arm(&self, deadline: Instant) {
        let ms = deadline.saturating_duration_since(epoch()).as_millis() as u64;
        self.0.store(ms.max(1), Relaxed);
    }

    /// No deadline (system work between requests).
    pub fn disarm(&self) {
        self.0.store(0, Relaxed);
    }

    fn expired(&self) -> bool {
        let at = self.0.load(Relaxed);
        at != 0 && epoch().elapsed().as_millis() as u64 >= at
    }
}

/// Installs the authorizer and the deadline check on an app connection.
pub fn restrict(conn: &mut Connection) -> rusqlite::Result<QueryDeadline> {
    let _ = epoch();
    conn.authorizer(Some(authorize))?;
    let deadline = QueryDeadline::default();
    let check = deadline.clone();
    conn.progress_handler(PROGRESS_STEPS, Some(move || check.expired()))?;
    // Memory: the default per-connection limits until the henv's settings are read.
    super::sql_limits::SqlLimits::default().apply(conn)?;
    Ok(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (tempfile::TempDir, Connection, QueryDeadline) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("a.db")).unwrap();
        let deadline = restrict(&mut conn).unwrap();
        (dir, conn, deadline)
    }

    #[test]
    fn other_files_are_out_of_reach() {
        let (dir, conn, _) = conn();
        let other = dir.path().join("other.db");
        let denied = |sql: &str| {
            let err = conn.execute_batch(sql).unwrap_err().to_string();
            assert!(err.contains("authoriz"), "{sql}: {err}");
        };
        denied(&format!("ATTACH DATABASE '{}' AS x", other.display()));
        denied(&format!("VACUUM INTO '{}'", other.display()));
        assert!(conn.execute_batch("DETACH DATABASE main").is_err());
        denied("PRAGMA journal_mode = DELETE");
        denied("PRAGMA mmap_size = 1000000000");
        denied("PRAGMA writable_schema = ON");
        denied("PRAGMA main.cache_size = -1000000");
        assert!(!other.exists());
        conn.execute_batch("CREATE TABLE t (a); PRAGMA user_version = 3; PRAGMA foreign_keys = ON")
            .unwrap();
        let cols: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('t')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(cols, 1);
        let n: i64 = conn
            .query_row("PRAGMA table_info(t)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch("VACUUM").unwrap();
    }

    #[test]
    fn runaway_sql_stops_at_the_deadline() {
        let (_dir, conn, deadline) = conn();
        deadline.arm(Instant::now() + std::time::Duration::from_millis(100));
        let started = Instant::now();
        let err = conn
            .query_row(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT MAX(x) FROM c",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_err();
        assert!(err.to_string().contains("interrupt"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(3));
        deadline.disarm();
        let one: i64 = conn.query_row("SELECT 1", [], |r| r.get(0)).unwrap();
        assert_eq!(one, 1);
    }
}
