//! The enforcement tested at the SQL level: a permission matrix and a bypass suite run as a
//! `user` against real policy views (the HTTP-level versions are in tests/auth.rs).

use super::*;
use rusqlite::types::Value;

struct Db {
    _dir: tempfile::TempDir,
    conn: Connection,
    authz: Authz,
}

type Rows = Vec<Vec<Value>>;

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("a.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, owner_id INTEGER, body TEXT NOT NULL DEFAULT '',
                                 created_at INTEGER NOT NULL DEFAULT (unixepoch()));
             CREATE TABLE public_t (id INTEGER PRIMARY KEY, x TEXT);
             CREATE TABLE secret_t (id INTEGER PRIMARY KEY, x TEXT);
             CREATE TABLE comments (id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes(id) ON DELETE CASCADE, owner_id INTEGER, c TEXT);
             CREATE VIEW all_notes AS SELECT * FROM notes;
             INSERT INTO notes (owner_id, body) VALUES (1, 'mine-1'), (2, 'theirs-2'), (1, 'mine-3'), (2, 'theirs-4');
             INSERT INTO comments (note_id, owner_id, c) VALUES (2, 2, 'c-theirs');
             INSERT INTO public_t (x) VALUES ('pub');
             INSERT INTO secret_t (x) VALUES ('top secret');
             INSERT INTO _hbf_users (username, password_hash, role) VALUES ('ann', 'HASH-ann', 'user'), ('bob', 'HASH-bob', 'user');
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES
               ('notes', 'own-s', 'user', 'SELECT', 'owner_id = hbf_user_id()'),
               ('notes', 'own-i', 'user', 'INSERT', 'owner_id = hbf_user_id()'),
               ('notes', 'own-u', 'user', 'UPDATE', 'owner_id = hbf_user_id()'),
               ('notes', 'own-d', 'user', 'DELETE', 'owner_id = hbf_user_id()'),
               ('comments', 'own-s', 'user', 'SELECT', 'owner_id = hbf_user_id()'),
               ('comments', 'own-i', 'user', 'INSERT', 'owner_id = hbf_user_id()');
             INSERT INTO _hbf_table_permissions (role, table_name, can_select, can_insert, can_update, can_delete) VALUES
               ('user', 'notes', 1, 1, 1, 1), ('user', 'public_t', 1, 0, 0, 0),
               ('user', 'comments', 1, 1, 0, 0), ('anon', 'public_t', 1, 0, 0, 0),
               ('user', 'nodes', 1, 1, 1, 1);",
        )
        .unwrap();
        let authz = Authz::install(&mut conn).unwrap();
        Db {
            _dir: dir,
            conn,
            authz,
        }
    }

    fn as_user(&self, id: i64) -> &Self {
        self.authz.begin_request(Some(id), Role::User);
        self
    }

    fn run(&self, handle: Handle, sql: &str, params: &[Value]) -> Result<(Rows, i64, i64), String> {
        let p = self.authz.principal_for(handle);
        let r = self.authz.run(&self.conn, p, sql, |st| {
            for (i, v) in params.iter().enumerate() {
                st.raw_bind_parameter(i + 1, v)?;
            }
            let n = st.column_count();
            let mut rows = st.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(
                    (0..n)
                        .map(|i| row.get::<_, Value>(i))
                        .collect::<Result<_, _>>()?,
                );
            }
            Ok(out)
        });
        match r {
            Ok((rows, wrote)) => {
                let (n, id) = wrote.unwrap_or((self.conn.changes() as i64, None));
                Ok((rows, n, id.unwrap_or_else(|| self.conn.last_insert_rowid())))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn q(&self, sql: &str) -> Result<Rows, String> {
        self.run(Handle::Request, sql, &[]).map(|r| r.0)
    }

    fn texts(&self, sql: &str) -> Result<Vec<String>, String> {
        self.q(sql).map(|rows| {
            rows.into_iter()
                .map(|r| match &r[0] {
                    Value::Text(t) => t.clone(),
                    Value::Integer(i) => i.to_string(),
                    v => format!("{v:?}"),
                })
                .collect()
        })
    }

    fn internal(&self, sql: &str) -> Vec<String> {
        let mut st = self.conn.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, Value>(0))
            .unwrap()
            .map(|v| match v.unwrap() {
                Value::Text(t) => t,
                Value::Integer(i) => i.to_string(),
                v => format!("{v:?}"),
            })
            .collect()
    }
}

fn denied(r: Result<impl std::fmt::Debug, String>) {
    match r {
        // Any refusal will do: the authorizer's, SQLite's own ("cannot modify a view"),
        // or a policy trigger's RAISE.
        Err(e) => assert!(!e.is_empty()),
        Ok(v) => panic!("expected a denial, got {v:?}"),
    }
}

#[test]
fn policies_filter_reads() {
    let db = Db::new();
    db.as_user(1);
    assert_eq!(
        db.texts("SELECT body FROM notes ORDER BY id").unwrap(),
        ["mine-1", "mine-3"]
    );
    assert_eq!(db.texts("SELECT count(*) FROM notes").unwrap(), ["2"]);
    db.as_user(2);
    assert_eq!(
        db.texts("SELECT body FROM notes ORDER BY id").unwrap(),
        ["theirs-2", "theirs-4"]
    );
    // Admin and owner bypass; anon has no permission at all.
    db.authz.begin_request(Some(9), Role::Admin);
    assert_eq!(db.texts("SELECT count(*) FROM notes").unwrap(), ["4"]);
    assert_eq!(db.texts("SELECT count(*) FROM main.notes").unwrap(), ["4"]);
    db.authz.begin_request(None, Role::User);
    denied(db.q("SELECT * FROM notes"));
    assert_eq!(db.texts("SELECT x FROM public_t").unwrap(), ["pub"]);
    // Counting reads no column: still needs (and has) the permission.
    assert_eq!(db.texts("SELECT count(*) FROM public_t").unwrap(), ["1"]);
    assert_eq!(
        db.texts("SELECT count(*) FROM main.public_t").unwrap(),
        ["1"]
    );
    assert_eq!(
        db.texts("WITH x AS (SELECT 1) SELECT count(*) FROM x")
            .unwrap(),
        ["1"]
    );
    denied(db.q("SELECT count(*) FROM secret_t"));
    denied(db.q("SELECT count(*) FROM main.secret_t"));
    denied(db.q("WITH x AS (SELECT * FROM secret_t) SELECT count(*) FROM x"));
    denied(db.q("SELECT count(*) FROM notes"));
}

#[test]
fn bypass_suite_as_user() {
    let db = Db::new();
    db.as_user(1);
    let only_mine = |sql: &str| {
        let got = db.texts(sql);
        match got {
            Ok(rows) => assert!(
                rows.iter()
                    .all(|r| !r.contains("theirs") && !r.contains("secret") && !r.contains("HASH")),
                "{sql} leaked {rows:?}"
            ),
            Err(e) => denied(Err::<(), _>(e)),
        }
    };
    for sql in [
        // main.-qualified names, directly and everywhere a table can appear
        "SELECT body FROM main.notes",
        "SELECT count(*) FROM main.notes",
        "SELECT 1 FROM main.notes",
        "SELECT n.body FROM notes n JOIN main.notes m ON m.id = n.id",
        "SELECT m.body FROM notes n JOIN main.notes m ON 1",
        "SELECT m.body FROM notes n LEFT JOIN main.notes m",
        "SELECT (SELECT group_concat(body) FROM main.notes)",
        "SELECT body FROM notes WHERE id IN (SELECT id FROM main.notes)",
        "SELECT body FROM notes WHERE EXISTS (SELECT 1 FROM main.notes WHERE owner_id = 2)",
        "SELECT body FROM notes UNION SELECT body FROM main.notes",
        "SELECT body FROM notes UNION ALL SELECT x FROM secret_t",
        // CTEs, including one named like the view, and recursive ones
        "WITH notes AS (SELECT * FROM main.notes) SELECT body FROM notes",
        "WITH x AS (SELECT * FROM main.notes) SELECT body FROM x",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT body FROM main.notes, r",
        "WITH all_notes AS (SELECT * FROM main.notes) SELECT body FROM all_notes",
        "WITH hbf_ AS (SELECT * FROM main.notes) SELECT body FROM hbf_",
        // temp.-qualified: our views, fine
        "SELECT body FROM temp.notes",
        // joins and subqueries through the view only see permitted rows
        "SELECT b.body FROM notes a JOIN notes b ON 1",
        "SELECT (SELECT group_concat(body) FROM notes)",
        "WITH x AS (SELECT * FROM notes) SELECT body FROM x",
        // the owner's main view over the table, and a spoofing CTE named like it
        "SELECT body FROM all_notes",
        "SELECT body FROM main.all_notes",
        // tables the role has no permission for, system tables, secrets
        "SELECT x FROM secret_t",
        "SELECT * FROM _hbf_users",
        "SELECT password_hash FROM _hbf_users",
        "SELECT value FROM _hbf_secrets",
        "SELECT * FROM _hbf_config",
        "SELECT name FROM sqlite_master",
        "SELECT name FROM sqlite_schema",
        "SELECT sql FROM temp.sqlite_master",
        "SELECT name FROM sqlite_temp_master",
        "SELECT name FROM pragma_table_list",
        "SELECT * FROM pragma_table_info('notes')",
        "SELECT * FROM sqlite_sequence",
        "SELECT * FROM nodes_fts",
        "SELECT * FROM nodes_fts_data",
        "SELECT * FROM comments c JOIN main.notes n ON n.id = c.note_id",
    ] {
        only_mine(sql);
    }
    for sql in [
        "PRAGMA table_list",
        "PRAGMA writable_schema = 1",
        "PRAGMA foreign_keys = OFF",
        "ATTACH DATABASE ':memory:' AS x",
        "ATTACH DATABASE 'file:other.db' AS y",
        "DETACH DATABASE temp",
        "CREATE VIEW v AS SELECT * FROM main.notes",
        "CREATE TEMP VIEW v AS SELECT * FROM main.notes",
        "CREATE TEMP TABLE t AS SELECT * FROM main.notes",
        "CREATE TABLE t (x)",
        "CREATE TRIGGER tr AFTER INSERT ON public_t BEGIN INSERT INTO secret_t (x) SELECT body FROM main.notes; END",
        "CREATE TEMP TRIGGER tr AFTER INSERT ON main.public_t BEGIN SELECT 1; END",
        "DROP VIEW temp.notes",
        "DROP TABLE notes",
        "ALTER TABLE notes ADD COLUMN y",
        "EXPLAIN SELECT * FROM notes",
        "EXPLAIN QUERY PLAN SELECT * FROM notes",
        "DELETE FROM main.notes",
        "UPDATE main.notes SET body = 'x'",
        "INSERT INTO main.notes (owner_id, body) VALUES (2, 'x')",
        "INSERT INTO secret_t (x) VALUES ('y')",
        "INSERT INTO public_t (x) VALUES ('y')",
        "UPDATE _hbf_users SET role = 'owner'",
        "INSERT INTO _hbf_table_permissions (role, table_name, can_select) VALUES ('user', 'secret_t', 1)",
        "INSERT INTO notes (owner_id, body) SELECT owner_id, body FROM main.notes",
        "INSERT INTO notes (owner_id, body) VALUES (1, 'a'), (1, (SELECT group_concat(body) FROM main.notes))",
        "INSERT INTO notes (owner_id, body) WITH x AS (SELECT body FROM main.notes) SELECT 1, body FROM x",
        "UPDATE notes SET body = 'x' WHERE id IN (SELECT id FROM main.notes)",
        "UPDATE notes SET body = s.body FROM (SELECT body FROM main.notes) AS s",
        "DELETE FROM notes WHERE body IN (SELECT body FROM main.notes)",
        "INSERT INTO comments (note_id, owner_id, c) SELECT id, 1, body FROM main.notes",
        "INSERT INTO notes (owner_id, body) VALUES (1, (SELECT group_concat(body) FROM main.notes))",
        "UPDATE notes SET body = (SELECT group_concat(body) FROM main.notes)",
        "INSERT INTO notes (owner_id, body) VALUES (1, 'r') RETURNING (SELECT group_concat(body) FROM main.notes)",
        "INSERT INTO notes (owner_id, body) VALUES (1, 'r') RETURNING *",
        "REINDEX",
        "ANALYZE",
        "VACUUM",
    ] {
        denied(db.q(sql));
    }
    // Injected SQL in a parameter is data, never SQL.
    let (rows, _, _) = db
        .run(
            Handle::Request,
            "SELECT body FROM notes WHERE body = ?1",
            &[Value::Text(
                "x' OR 1=1 UNION SELECT body FROM main.notes --".into(),
            )],
        )
        .unwrap();
    assert!(rows.is_empty());
    // Nothing of user 2 changed.
    assert_eq!(
        db.internal("SELECT body FROM main.notes WHERE owner_id = 2 ORDER BY id"),
        ["theirs-2", "theirs-4"]
    );
    assert_eq!(db.internal("SELECT count(*) FROM main.notes"), ["4"]);
}

#[test]
fn policies_hold_on_writes() {
    let db = Db::new();
    db.as_user(1);
    // Insert: own rows only; last_insert_id and rows_affected come through the trigger.
    let (_, n, id) = db
        .run(
            Handle::Request,
            "INSERT INTO notes (owner_id, body) VALUES (1, 'new')",
            &[],
        )
        .unwrap();
    assert_eq!((n, id), (1, 5));
    let created: String =
        db.internal("SELECT created_at > 0 FROM main.notes WHERE id = 5")[0].clone();
    assert_eq!(created, "1", "column defaults still apply through the view");
    denied(db.q("INSERT INTO notes (owner_id, body) VALUES (2, 'forged')"));
    denied(db.q("INSERT INTO notes (body) VALUES ('no owner')"));
    // Update: only visible rows change; moving a row to another user is refused.
    let (_, n, _) = db
        .run(Handle::Request, "UPDATE notes SET body = 'edited'", &[])
        .unwrap();
    assert_eq!(n, 3);
    denied(db.q("UPDATE notes SET owner_id = 2 WHERE id = 1"));
    let (_, n, _) = db
        .run(
            Handle::Request,
            "UPDATE notes SET body = 'x' WHERE id = 2",
            &[],
        )
        .unwrap();
    assert_eq!(n, 0, "invisible row untouched");
    // Delete: only own rows.
    let (_, n, _) = db.run(Handle::Request, "DELETE FROM notes", &[]).unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        db.internal("SELECT body FROM main.notes ORDER BY id"),
        ["theirs-2", "theirs-4"]
    );
    // Comments: insert-only policy; no update/delete permission.
    db.q("INSERT INTO comments (note_id, owner_id, c) VALUES (2, 1, 'mine')")
        .unwrap();
    denied(db.q("UPDATE comments SET c = 'x'"));
    denied(db.q("DELETE FROM comments"));
    assert_eq!(db.texts("SELECT c FROM comments").unwrap(), ["mine"]);
}

#[test]
fn foreign_key_cascades_and_owner_triggers_run_under_policies() {
    let db = Db::new();
    db.authz.begin_request(Some(2), Role::User);
    // Deleting note 2 cascades to its comment (a foreign-key action inside our trigger).
    db.q("DELETE FROM notes WHERE id = 2").unwrap();
    assert_eq!(db.internal("SELECT count(*) FROM main.comments"), ["0"]);
    // nodes (unprotected, permitted) keeps its FTS index through the owner's triggers.
    db.q("INSERT INTO nodes (type, body, search_text) VALUES ('doc', '{}', 'running foxes')")
        .unwrap();
    db.q("UPDATE nodes SET search_text = 'sleeping cats'")
        .unwrap();
    assert_eq!(
        db.internal("SELECT rowid FROM nodes_fts WHERE nodes_fts MATCH 'cat'"),
        ["1"]
    );
    db.q("DELETE FROM nodes").unwrap();
    db.conn
        .execute(
            "INSERT INTO nodes_fts(nodes_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
}

#[test]
fn system_handle_is_unrestricted_but_keeps_secrets() {
    let db = Db::new();
    db.as_user(1);
    let sys = |sql: &str| db.run(Handle::System, sql, &[]).map(|r| r.0);
    assert_eq!(
        sys("SELECT count(*) FROM notes").unwrap()[0][0],
        Value::Integer(4)
    );
    assert_eq!(
        sys("SELECT count(*) FROM main.notes").unwrap()[0][0],
        Value::Integer(4)
    );
    let users = sys("SELECT username, password_hash FROM _hbf_users ORDER BY id").unwrap();
    assert_eq!(users[0], vec![Value::Text("ann".into()), Value::Null]);
    denied(sys("SELECT value FROM _hbf_secrets"));
    denied(sys("UPDATE _hbf_secrets SET value = x'00'"));
    denied(sys("ATTACH DATABASE ':memory:' AS x"));
    denied(sys("PRAGMA writable_schema = 1"));
    denied(sys("CREATE TABLE during_request (x)"));
    denied(sys("CREATE INDEX during_request_i ON notes (body)"));
    denied(sys("REINDEX"));
    assert!(sys("PRAGMA table_info(notes)").is_ok());
    // Outside requests (module loading) the system may change the schema.
    db.authz.end_request();
    db.run(Handle::Request, "CREATE TABLE boot_t (x)", &[])
        .unwrap();
    // CREATE INDEX also asks for SQLITE_REINDEX of the new index.
    db.run(Handle::Request, "CREATE INDEX boot_t_x ON boot_t (x)", &[])
        .unwrap();
    db.run(
        Handle::System,
        "CREATE UNIQUE INDEX IF NOT EXISTS boot_t_ux ON boot_t (x)",
        &[],
    )
    .unwrap();
    denied(
        db.run(Handle::Request, "CREATE TABLE _hbf_mine (x)", &[])
            .map(|r| r.0),
    );
}

#[test]
fn policy_changes_rebuild_the_views() {
    let db = Db::new();
    db.as_user(1);
    assert_eq!(db.texts("SELECT count(*) FROM notes").unwrap(), ["2"]);
    db.conn
        .execute(
            "UPDATE _hbf_row_policies SET condition = 'owner_id IN (1, 2)' WHERE policy_name = 'own-s' AND table_name = 'notes'",
            [],
        )
        .unwrap();
    assert!(db.authz.refresh(&db.conn).unwrap());
    db.as_user(1);
    assert_eq!(db.texts("SELECT count(*) FROM notes").unwrap(), ["4"]);
    assert!(
        !db.authz.refresh(&db.conn).unwrap(),
        "no change, no rebuild"
    );
    // Permissions are reloaded too.
    db.conn
        .execute("INSERT INTO _hbf_table_permissions (role, table_name, can_select) VALUES ('user', 'secret_t', 1)", [])
        .unwrap();
    db.authz.refresh(&db.conn).unwrap();
    db.as_user(1);
    assert_eq!(db.texts("SELECT x FROM secret_t").unwrap(), ["top secret"]);
    // A policy that does not compile hides every row (fails closed).
    db.conn
        .execute("UPDATE _hbf_row_policies SET condition = 'no_such_column = 1' WHERE policy_name = 'own-s' AND table_name = 'notes'", [])
        .unwrap();
    db.authz.refresh(&db.conn).unwrap();
    eprintln!(
        "DEBUG {:?}",
        db.internal("SELECT name || ': ' || sql FROM temp.sqlite_master")
    );
    db.as_user(1);
    assert_eq!(db.texts("SELECT count(*) FROM notes").unwrap(), ["0"]);
}

#[test]
fn per_user_grants_and_statement_cache_isolation() {
    let db = Db::new();
    db.conn
        .execute("INSERT INTO _hbf_table_permissions (user_id, table_name, can_select) VALUES (1, 'secret_t', 1)", [])
        .unwrap();
    db.authz.refresh(&db.conn).unwrap();
    db.as_user(1);
    assert_eq!(db.texts("SELECT x FROM secret_t").unwrap(), ["top secret"]);
    // The same SQL, cached for user 1, must be authorized afresh for user 2.
    db.as_user(2);
    denied(db.q("SELECT x FROM secret_t"));
    db.as_user(1);
    assert_eq!(db.texts("SELECT x FROM secret_t").unwrap(), ["top secret"]);
}

#[test]
fn conditions_are_validated() {
    let db = Db::new();
    assert!(validate_condition(&db.conn, "notes", "owner_id = hbf_user_id()").is_ok());
    assert!(validate_condition(&db.conn, "notes", "body = 'a;b' OR body = ')'").is_ok());
    for bad in [
        "1) UNION SELECT * FROM secret_t WHERE (1",
        "1; DROP TABLE notes",
        "1 -- comment",
        "1 /* c */",
        "nope = 1",
        "(1",
        "",
    ] {
        assert!(validate_condition(&db.conn, "notes", bad).is_err(), "{bad}");
    }
}

#[test]
fn documents_statements_may_read_the_index_and_nothing_more() {
    let db = Db::new();
    db.conn
        .execute_batch(
            "INSERT INTO nodes (type, body, path, search_text, owner_id) VALUES
               ('text/plain', '{}', 'mine', 'wombat one', 1), ('text/plain', '{}', 'theirs', 'wombat two', 2);
             INSERT INTO _hbf_row_policies (table_name, policy_name, role, operation, condition) VALUES
               ('nodes', 'own', 'user', 'SELECT', 'owner_id = hbf_user_id()');",
        )
        .unwrap();
    db.authz.refresh(&db.conn).unwrap();
    db.as_user(1);
    let p = db.authz.principal_for(Handle::Request);
    let docs = |sql: &str| {
        db.authz
            .run_docs(&db.conn, p, sql, |st| {
                let mut rows = st.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(r.get::<_, String>(0)?);
                }
                Ok(out)
            })
            .map(|r| r.0)
    };
    // App SQL cannot touch the index (no grant on nodes_fts).
    denied(db.q("SELECT rowid FROM nodes_fts WHERE nodes_fts MATCH 'wombat'"));
    // The search statement joins through the policy view: only the caller's row, with a snippet.
    let hits = docs(
        "SELECT n.path || ':' || snippet(nodes_fts, -1, '[', ']', '', 4) FROM nodes_fts \
         JOIN nodes n ON n.id = nodes_fts.rowid WHERE nodes_fts MATCH 'wombat'",
    )
    .unwrap();
    assert_eq!(hits, ["mine:[wombat] one"]);
    // The allowance is for reads of the index and content reads while it runs, nothing else.
    assert!(docs("SELECT x FROM secret_t").is_err());
    assert!(docs("SELECT path FROM main.nodes").is_err());
    assert!(docs("INSERT INTO nodes_fts(nodes_fts) VALUES ('rebuild') RETURNING 1").is_err());
}
