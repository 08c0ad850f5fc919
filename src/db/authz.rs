//! Authorization enforced inside SQLite, for the connections app code uses.
//!
//! Two mechanisms, both SQLite's own, so that no SQL an app writes (joins, subqueries, CTEs,
//! `main.`-qualified names, views, triggers) can get around them:
//!
//! - **The authorizer callback** (`sqlite3_set_authorizer`) runs while every statement is
//!   prepared and sees each table, column, pragma and schema change it touches. For the
//!   request's principal it denies `_hbf_*` tables, `sqlite_*` tables, ATTACH/DETACH,
//!   pragmas, schema changes and every app table the role has no permission for
//!   (`_hbf_table_permissions`, per role and per user, default deny). `_hbf_secrets` is
//!   denied to everything but HBF's own Rust code; password and token hashes read as NULL.
//! - **Row policies as TEMP VIEWs.** Every table with an enabled row policy is shadowed, on
//!   this connection only, by a TEMP VIEW of the same name (unqualified names resolve to
//!   `temp` before `main`) that filters rows with the policies' conditions, evaluated with
//!   `hbf_user_id()` and `hbf_role()` bound to the current request; INSTEAD OF triggers on
//!   the view enforce the INSERT/UPDATE/DELETE policies on writes. For restricted roles the
//!   authorizer refuses `main.<table>` of a protected table unless the access comes from
//!   inside those views or triggers.
//!
//! The authorizer's sixth argument, the "inner-most trigger or view", names the view or
//! trigger an access comes from — but a CTE's name is reported the same way, so a query
//! `WITH notes AS (SELECT * FROM main.notes) ...` would pass for the view `notes`. The views
//! and triggers that read `main.<table>` are therefore named with a per-connection random
//! secret (`hbf_<32 hex>_v_<table>`), which request code cannot learn: `sqlite_temp_master`,
//! pragmas and EXPLAIN are denied to it. The shadowing view `notes` itself only reads that
//! inner secret view.
//!
//! Trigger programs are compiled after all of a statement's own SQL has been resolved, so
//! once the first of our secret triggers is compiled ("armed"), what follows is trusted code
//! (our triggers, the owner's triggers in `main`, foreign-key actions). The one exception,
//! RETURNING, is compiled last; a RETURNING statement that armed is refused before it runs.
//! Statement caching is keyed by principal (a comment prefix), since the authorizer only
//! runs at prepare time.
//!
//! Size: over 800 lines because the authorizer callback, the policy views and `Authz::run`
//! share one invariant (what a principal may touch) that is easier to audit in one file; the
//! bypass suite lives apart in `authz/tests.rs`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::functions::FunctionFlags;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{CachedStatement, Connection};

/// A role, as in `_hbf_users.role`; `Anon` is a request without a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    User,
    Anon,
}

impl Role {
    /// Parses a role name; unknown names are `Anon` (the least privilege).
    pub fn parse(s: &str) -> Role {
        match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "user" => Role::User,
            _ => Role::Anon,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::User => "user",
            Role::Anon => "anon",
        }
    }

    /// Owner and admin bypass table permissions and row policies on app tables.
    pub fn bypasses_policies(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// Who a statement runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// HBF's own Rust code (settings, files, sessions, the admin API's bookkeeping).
    Internal,
    /// `db.system`, the app owner's handle: every app and `_hbf_*` table, but no secrets,
    /// no password hashes, no ATTACH, no pragma writes, and schema changes only while the
    /// app is loading (`startup`).
    System { startup: bool },
    /// `db` and the data API: the request's user (or anonymous).
    Request { user_id: Option<i64>, role: Role },
}

/// Which handle JS is using.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handle {
    /// `db`: the request's principal (system while the app loads, outside any request).
    Request,
    /// `db.system`.
    System,
}

/// Permission flags for one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Perms {
    pub select: bool,
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
}

impl Perms {
    fn union(self, o: Perms) -> Perms {
        Perms {
            select: self.select || o.select,
            insert: self.insert || o.insert,
            update: self.update || o.update,
            delete: self.delete || o.delete,
        }
    }
}

/// A table-level operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Select,
    Insert,
    Update,
    Delete,
}

impl Op {
    pub fn as_sql(self) -> &'static str {
        match self {
            Op::Select => "SELECT",
            Op::Insert => "INSERT",
            Op::Update => "UPDATE",
            Op::Delete => "DELETE",
        }
    }
}

/// An enabled row policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub table: String,
    pub name: String,
    pub role: Role,
    pub op: Op,
    pub condition: String,
}

/// Rows written through policy triggers by a statement, and the last rowid inserted there.
pub type PolicyWrites = Option<(i64, Option<i64>)>;

/// Refusals of the statement layer (the authorizer's own refusals are SQLite errors).
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("not authorized: {0}")]
    Denied(&'static str),
}

/// What SQLite tables look like to the authorizer.
#[derive(Default, Debug)]
struct Model {
    /// App tables and views in `main` (not `_hbf_*`, not `sqlite_*`, not shadow tables).
    app: HashSet<String>,
    /// Shadow tables of virtual tables (FTS5 `_data`, `_idx`, ...).
    shadow: HashSet<String>,
    /// Tables with row policies (shadowed by TEMP VIEWs).
    protected: HashSet<String>,
    /// Role grants and user grants by table.
    role_perms: HashMap<(Role, String), Perms>,
    user_perms: HashMap<(i64, String), Perms>,
    users_with_grants: HashSet<i64>,
    /// Foreign-key key columns: (table, column) → the tables on the other side. SQLite reads
    /// them (with the authorizer) to check constraints when the other side is written.
    fk_columns: HashMap<(String, String), Vec<String>>,
}

impl Model {
    fn perms(&self, role: Role, user: Option<i64>, table: &str) -> Perms {
        let by_role = self
            .role_perms
            .get(&(role, table.to_owned()))
            .copied()
            .unwrap_or_default();
        let by_user = user
            .and_then(|u| self.user_perms.get(&(u, table.to_owned())).copied())
            .unwrap_or_default();
        by_role.union(by_user)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No statement of app code is being prepared or run.
    Idle,
    /// Preparing; `armed` once one of our secret triggers is being compiled.
    Prepare { armed: bool, calls: u32 },
    /// Stepping a statement; `write` if it is not read-only.
    Exec { write: bool },
}

/// State the authorizer and the SQL functions share with `Authz`.
struct State {
    principal: Principal,
    /// The principal of the current request, used by `Handle::Request`.
    request: Option<Principal>,
    phase: Phase,
    /// `hbf_<hex>_`: prefix of our TEMP views and triggers.
    secret: String,
    model: Model,
    /// Rows written through policy triggers by the current statement, and the last rowid.
    wrote: (i64, Option<i64>),
    /// The first table written at top level while preparing: the statement's own target.
    /// Later top-level writes to other tables can only be foreign-key actions.
    target: Option<String>,
    /// A foreign-key action is being compiled: its key-column reads are the schema's.
    cascading: bool,
    /// A documents statement built by HBF is being prepared or run (`run_docs`).
    docs: bool,
}

fn lock(s: &Mutex<State>) -> MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// The per-connection authorization state. Create with `install` right after opening.
pub struct Authz {
    state: Arc<Mutex<State>>,
    /// (main schema_version, authz_version) the TEMP objects were built for.
    built: std::cell::Cell<Option<(i64, i64)>>,
    /// (data_version, total_changes) at the last `refresh_if_changed`.
    seen: std::cell::Cell<Option<(i64, u64)>>,
    /// Cache keys of statements that armed (RETURNING on them is refused).
    armed: Mutex<HashSet<String>>,
}

impl Authz {
    /// Registers the authorizer and the `hbf_*` SQL functions on `conn`, and builds the
    /// TEMP views for the current policies. The authorizer includes (runs first) the henv
    /// isolation authorizer, `henv::isolation::authorize`, which it replaces on `conn`.
    pub fn install(conn: &mut Connection) -> rusqlite::Result<Authz> {
        let mut hex = String::with_capacity(32);
        for b in crate::auth::session::random_bytes(16) {
            let _ = write!(hex, "{b:02x}");
        }
        let state = Arc::new(Mutex::new(State {
            principal: Principal::Internal,
            request: None,
            phase: Phase::Idle,
            secret: format!("hbf_{hex}_"),
            model: Model::default(),
            wrote: (0, None),
            target: None,
            cascading: false,
            docs: false,
        }));
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS;
        let s = state.clone();
        conn.create_scalar_function("hbf_user_id", 0, flags, move |_| {
            Ok(match lock(&s).principal {
                Principal::Request { user_id, .. } => user_id,
                _ => None,
            })
        })?;
        let s = state.clone();
        conn.create_scalar_function("hbf_role", 0, flags, move |_| {
            Ok(match lock(&s).principal {
                Principal::Request { role, .. } => role.as_str(),
                _ => "owner",
            })
        })?;
        let s = state.clone();
        conn.create_scalar_function("hbf_policy_bypass", -1, flags, move |_| {
            Ok(match lock(&s).principal {
                Principal::Request { role, .. } => role.bypasses_policies(),
                _ => true,
            })
        })?;
        let s = state.clone();
        conn.create_scalar_function("hbf_authz_wrote", 1, flags, move |ctx| {
            let id: Option<i64> = ctx.get(0)?;
            let mut st = lock(&s);
            st.wrote.0 += 1;
            if id.is_some() {
                st.wrote.1 = id;
            }
            Ok(1)
        })?;
        let s = state.clone();
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            decide(&mut lock(&s), &ctx)
        }))?;
        let authz = Authz {
            state,
            built: std::cell::Cell::new(None),
            seen: std::cell::Cell::new(None),
            armed: Mutex::new(HashSet::new()),
        };
        authz.refresh(conn)?;
        Ok(authz)
    }

    /// Reloads permissions and policies and rebuilds the TEMP views if the schema or the
    /// `authz_version` changed. Cheap when nothing changed (two single-value reads).
    pub fn refresh(&self, conn: &Connection) -> rusqlite::Result<bool> {
        {
            let mut st = lock(&self.state);
            st.principal = Principal::Internal;
            st.phase = Phase::Idle;
        }
        let schema: i64 = conn.query_row("PRAGMA main.schema_version", [], |r| r.get(0))?;
        let version: i64 = conn
            .prepare_cached(
                "SELECT CAST(value AS INTEGER) FROM _hbf_config WHERE key = 'authz_version'",
            )?
            .query_row([], |r| r.get(0))
            .unwrap_or(0);
        if self.built.get() == Some((schema, version)) {
            return Ok(false);
        }
        self.rebuild(conn)?;
        self.built.set(Some((schema, version)));
        Ok(true)
    }

    /// `refresh`, but only when something may have changed: another connection committed
    /// (`data_version`, which the caller reads anyway) or this one wrote (`total_changes`).
    /// Costs nothing per request otherwise.
    pub fn refresh_if_changed(
        &self,
        conn: &Connection,
        data_version: i64,
    ) -> rusqlite::Result<bool> {
        let seen = (data_version, conn.total_changes());
        if self.seen.get() == Some(seen) && self.built.get().is_some() {
            return Ok(false);
        }
        let rebuilt = self.refresh(conn)?;
        // Rebuilding writes nothing to main, but read the counter after it anyway.
        self.seen.set(Some((data_version, conn.total_changes())));
        Ok(rebuilt)
    }

    /// Forces a rebuild at the next `refresh` (after this connection changed policies).
    pub fn invalidate(&self) {
        self.built.set(None);
    }

    /// Binds `db` to a request's user (`None` = anonymous) until `end_request`.
    pub fn begin_request(&self, user_id: Option<i64>, role: Role) {
        let role = if user_id.is_none() { Role::Anon } else { role };
        lock(&self.state).request = Some(Principal::Request { user_id, role });
    }

    /// Runs `f` (loading server.js) with no request bound: `db` acts as the owner and may
    /// change the schema. The request binding, if any, is restored afterwards.
    pub fn loading<T>(&self, f: impl FnOnce() -> T) -> T {
        let saved = std::mem::take(&mut lock(&self.state).request);
        let out = f();
        lock(&self.state).request = saved;
        out
    }

    /// Back to "no request": `db` acts as the system again (module loading).
    pub fn end_request(&self) {
        let mut st = lock(&self.state);
        st.request = None;
        st.principal = Principal::Internal;
        st.phase = Phase::Idle;
    }

    /// The principal a handle stands for now.
    pub fn principal_for(&self, handle: Handle) -> Principal {
        let st = lock(&self.state);
        match (handle, st.request) {
            (Handle::Request, Some(p)) => p,
            (Handle::Request, None) => Principal::System { startup: true },
            (Handle::System, Some(_)) => Principal::System { startup: false },
            (Handle::System, None) => Principal::System { startup: true },
        }
    }

    /// The current request's user id and role (`None` outside requests).
    pub fn request_principal(&self) -> Option<Principal> {
        lock(&self.state).request
    }

    /// Prepares `sql` as `principal`, runs `f` on the statement with the authorizer in the
    /// right phase, and returns what `f` returned plus the policy-trigger write count and
    /// last rowid (writes through INSTEAD OF triggers are invisible to `changes()`).
    pub fn run<'c, T>(
        &self,
        conn: &'c Connection,
        principal: Principal,
        sql: &str,
        f: impl FnOnce(&mut CachedStatement<'c>) -> rusqlite::Result<T>,
    ) -> Result<(T, PolicyWrites), AuthzError> {
        let (result, wrote) = self.run_with(conn, principal, sql, f)?;
        Ok((result?, wrote))
    }

    /// `run` for a closure with its own error type (JS exceptions, say): refusals and
    /// prepare errors are the outer `Err`, `f`'s result is passed through.
    pub fn run_with<'c, T, E>(
        &self,
        conn: &'c Connection,
        principal: Principal,
        sql: &str,
        f: impl FnOnce(&mut CachedStatement<'c>) -> Result<T, E>,
    ) -> Result<(Result<T, E>, PolicyWrites), AuthzError> {
        let key = cache_key(&lock(&self.state), principal, sql);
        {
            // Bounded: forget everything (and every cached statement, so that none runs
            // without having been judged) when apps generate endless distinct SQL.
            let mut set = self.armed.lock().unwrap_or_else(|p| p.into_inner());
            if set.len() > MAX_ARMED_KEYS {
                set.clear();
                conn.flush_prepared_statement_cache();
            }
        }
        {
            let mut st = lock(&self.state);
            st.principal = principal;
            st.target = None;
            st.cascading = false;
            st.phase = Phase::Prepare {
                armed: false,
                calls: 0,
            };
        }
        let prepared = conn.prepare_cached(&key);
        let (armed, calls) = match lock(&self.state).phase {
            Phase::Prepare { armed, calls } => (armed, calls),
            _ => (false, 0),
        };
        let mut stmt = match prepared {
            Ok(s) => s,
            Err(e) => {
                self.idle();
                return Err(e.into());
            }
        };
        let restricted = matches!(principal, Principal::Request { .. });
        // Only fresh prepares (the authorizer ran) change what we know about `key`; only a
        // writing statement with result columns (RETURNING) needs the lookup.
        let returning = !stmt.readonly() && stmt.column_count() > 0;
        if calls > 0 || (restricted && returning) {
            let mut set = self.armed.lock().unwrap_or_else(|p| p.into_inner());
            if calls > 0 {
                if armed {
                    set.insert(key.clone());
                } else {
                    set.remove(&key);
                }
            }
            if restricted && returning && set.contains(&key) {
                drop(set);
                self.idle();
                return Err(AuthzError::Denied(
                    "RETURNING is not available on tables with row policies; use last_insert_id",
                ));
            }
        }
        if restricted && stmt.is_explain() != 0 {
            self.idle();
            return Err(AuthzError::Denied(
                "EXPLAIN is not available to request code",
            ));
        }
        {
            let mut st = lock(&self.state);
            st.phase = Phase::Exec {
                write: !stmt.readonly(),
            };
            st.wrote = (0, None);
        }
        let result = f(&mut stmt);
        let wrote = {
            let st = lock(&self.state);
            (st.wrote.0 > 0).then_some(st.wrote)
        };
        self.idle();
        Ok((result, wrote))
    }

    /// `run` for the documents statements HBF builds (`docs`), never for SQL app code wrote.
    /// Besides what `principal` may do, the statement may read the documents' full-text
    /// index (`nodes_fts`); FTS5 may read `nodes` rows for snippets while it runs (the
    /// search statement joins the index to `nodes`, the caller's policy view where there is
    /// one, so only rows the caller can read reach the snippet function); and a write to
    /// `edges` or `tags` may check its foreign keys against `nodes.id` (the documents layer
    /// has looked both documents up as the caller first).
    pub(crate) fn run_docs<'c, T>(
        &self,
        conn: &'c Connection,
        principal: Principal,
        sql: &str,
        f: impl FnOnce(&mut CachedStatement<'c>) -> rusqlite::Result<T>,
    ) -> Result<(T, PolicyWrites), AuthzError> {
        lock(&self.state).docs = true;
        let out = self.run(conn, principal, sql, f);
        lock(&self.state).docs = false;
        out
    }

    fn idle(&self) {
        let mut st = lock(&self.state);
        st.phase = Phase::Idle;
        st.principal = Principal::Internal;
    }

    /// The permissions a principal has on a table (owner/admin: all on app tables).
    pub fn perms(&self, principal: Principal, table: &str) -> Perms {
        let st = lock(&self.state);
        let all = Perms {
            select: true,
            insert: true,
            update: true,
            delete: true,
        };
        match principal {
            Principal::Internal | Principal::System { .. } => all,
            Principal::Request { role, .. } if role.bypasses_policies() => {
                if st.model.app.contains(table) {
                    all
                } else {
                    Perms::default()
                }
            }
            Principal::Request { user_id, role } => st.model.perms(role, user_id, table),
        }
    }

    /// Whether `table` is an app table (not `_hbf_*`, `sqlite_*` or a shadow table).
    pub fn is_app_table(&self, table: &str) -> bool {
        lock(&self.state).model.app.contains(table)
    }

    /// The app's tables (what the data API serves), sorted.
    pub fn app_tables(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.state).model.app.iter().cloned().collect();
        v.sort();
        v
    }

    /// Drops our TEMP objects and builds them again from the current policies.
    fn rebuild(&self, conn: &Connection) -> rusqlite::Result<()> {
        // Internal principal for the whole rebuild.
        {
            let mut st = lock(&self.state);
            st.principal = Principal::Internal;
            st.phase = Phase::Idle;
        }
        conn.flush_prepared_statement_cache();
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let mut model = load_model(conn)?;
        let policies = load_policies(conn)?;
        let secret = lock(&self.state).secret.clone();
        let temp: Vec<(String, String)> = conn
            .prepare("SELECT type, name FROM temp.sqlite_master WHERE type IN ('view', 'trigger')")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (_, name) in temp.iter().filter(|(k, _)| k == "trigger") {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS temp.{}", quote(name)))?;
        }
        for (_, name) in temp.iter().filter(|(k, _)| k == "view") {
            conn.execute_batch(&format!("DROP VIEW IF EXISTS temp.{}", quote(name)))?;
        }
        let mut tables: Vec<&String> = policies
            .iter()
            .map(|p| &p.table)
            .filter(|t| model.app.contains(*t))
            .collect();
        tables.sort();
        tables.dedup();
        for table in tables {
            let mine: Vec<&Policy> = policies.iter().filter(|p| &p.table == table).collect();
            let info = table_info(conn, table)?;
            if build_shadow(conn, &secret, table, &info, &mine).is_err() {
                // Fail closed: a policy that does not compile hides every row from
                // restricted roles rather than none.
                let r = conn.execute_batch(&format!(
                    "DROP VIEW IF EXISTS temp.{q}; DROP VIEW IF EXISTS temp.{i};
                     CREATE TEMP VIEW {i} AS SELECT * FROM main.{q};
                     CREATE TEMP VIEW {q} AS SELECT * FROM temp.{i} WHERE hbf_policy_bypass({touch});",
                    touch = touch_column(&info.0),
                    q = quote(table),
                    i = quote(&format!("{secret}v_{table}"))
                ));
                let _ = r;
            }
            model.protected.insert(table.clone());
        }
        // Connect virtual tables now (their xConnect reads their own tables), so that later
        // statements of restricted principals do not do it under the authorizer.
        let vtabs: Vec<String> = conn
            .prepare(
                "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'virtual'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for v in vtabs {
            let _ = conn
                .prepare(&format!("SELECT * FROM main.{} LIMIT 0", quote(&v)))
                .map(|mut s| s.raw_execute());
        }
        conn.flush_prepared_statement_cache();
        lock(&self.state).model = model;
        Ok(())
    }
}

/// `/*hbf:<class>*/<sql>`: statements are cached per principal class, because the
/// authorizer's decisions are baked in at prepare time.
fn cache_key(st: &State, p: Principal, sql: &str) -> String {
    let class = match p {
        Principal::Internal => return sql.to_owned(),
        Principal::System { startup: true } => "boot".to_owned(),
        Principal::System { startup: false } => "sys".to_owned(),
        Principal::Request { role, .. } if role.bypasses_policies() => "adm".to_owned(),
        Principal::Request {
            user_id: Some(u), ..
        } if st.model.users_with_grants.contains(&u) => {
            format!("u{u}")
        }
        Principal::Request { role, .. } => role.as_str().to_owned(),
    };
    let docs = if st.docs { "+docs" } else { "" };
    format!("/*hbf:{class}{docs}*/{sql}")
}

/// Double-quotes an SQL identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn load_model(conn: &Connection) -> rusqlite::Result<Model> {
    let mut m = Model::default();
    let mut st = conn.prepare(
        "SELECT name, type FROM pragma_table_list WHERE schema = 'main'
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_hbf\\_%' ESCAPE '\\'",
    )?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (name, kind) = row?;
        if kind == "shadow" {
            m.shadow.insert(name);
        } else {
            m.app.insert(name);
        }
    }
    let tables: Vec<String> = m.app.iter().cloned().collect();
    for child in tables {
        let mut st = conn.prepare(
            "SELECT f.\"table\", f.\"from\", f.\"to\" FROM pragma_foreign_key_list(?1, 'main') f",
        )?;
        let fks: Vec<(String, String, Option<String>)> = st
            .query_map([&child], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (parent, from, to) in fks {
            let parent_cols = match to {
                Some(c) => vec![c],
                None => table_info(conn, &parent)?
                    .0
                    .into_iter()
                    .filter(|c| c.pk > 0)
                    .map(|c| c.name)
                    .collect(),
            };
            m.fk_columns
                .entry((child.clone(), from))
                .or_default()
                .push(parent.clone());
            for c in parent_cols {
                m.fk_columns
                    .entry((parent.clone(), c))
                    .or_default()
                    .push(child.clone());
            }
        }
    }
    let mut st = conn.prepare(
        "SELECT user_id, role, table_name, can_select, can_insert, can_update, can_delete
         FROM _hbf_table_permissions",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, Option<i64>>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            Perms {
                select: r.get::<_, i64>(3)? != 0,
                insert: r.get::<_, i64>(4)? != 0,
                update: r.get::<_, i64>(5)? != 0,
                delete: r.get::<_, i64>(6)? != 0,
            },
        ))
    })?;
    for row in rows {
        let (user, role, table, p) = row?;
        match (user, role) {
            (Some(u), _) => {
                m.users_with_grants.insert(u);
                let e = m.user_perms.entry((u, table)).or_default();
                *e = e.union(p);
            }
            (None, Some(r)) => {
                let e = m.role_perms.entry((Role::parse(&r), table)).or_default();
                *e = e.union(p);
            }
            _ => {}
        }
    }
    Ok(m)
}

/// The enabled row policies.
pub fn load_policies(conn: &Connection) -> rusqlite::Result<Vec<Policy>> {
    let mut st = conn.prepare(
        "SELECT table_name, policy_name, role, operation, condition FROM _hbf_row_policies
         WHERE enabled = 1 ORDER BY table_name, id",
    )?;
    let rows = st.query_map([], |r| {
        let op = match r.get::<_, String>(3)?.as_str() {
            "INSERT" => Op::Insert,
            "UPDATE" => Op::Update,
            "DELETE" => Op::Delete,
            _ => Op::Select,
        };
        Ok(Policy {
            table: r.get(0)?,
            name: r.get(1)?,
            role: Role::parse(&r.get::<_, String>(2)?),
            op,
            condition: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// A column of a table, as `PRAGMA table_xinfo` reports it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub decl_type: String,
    pub default: Option<String>,
    /// Position in the primary key (1-based), 0 if not part of it.
    pub pk: i64,
    /// 0 normal, 1 hidden (virtual table), 2/3 generated.
    pub hidden: i64,
}

/// Columns of a `main` table, and whether it is WITHOUT ROWID.
pub fn table_info(conn: &Connection, table: &str) -> rusqlite::Result<(Vec<Column>, bool)> {
    let cols = conn
        .prepare("SELECT name, type, dflt_value, pk, hidden FROM pragma_table_xinfo(?1, 'main')")?
        .query_map([table], |r| {
            Ok(Column {
                name: r.get(0)?,
                decl_type: r.get(1)?,
                default: r.get(2)?,
                pk: r.get(3)?,
                hidden: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let without_rowid: bool = conn
        .query_row(
            "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
            [table],
            |r| r.get::<_, i64>(0),
        )
        .map(|v| v != 0)
        .unwrap_or(false);
    Ok((cols, without_rowid))
}

/// `(hbf_policy_bypass() OR coalesce(CASE hbf_role() WHEN 'user' THEN (...) ... END, 0))`:
/// true for bypassing roles, else the OR of the role's conditions for `op`; a role without
/// a policy for `op` gets nothing, and a condition that is NULL counts as false. `touch` is a
/// column passed to (and ignored by) `hbf_policy_bypass`: a view whose filter reads no
/// column would be flattened into a table reference that SQLite authorizes as a top-level
/// read (`SELECT count(*) FROM t`), so the filter always reads one.
fn condition_sql(policies: &[&Policy], op: Op, touch: &str) -> String {
    let mut cases = String::new();
    for role in [Role::User, Role::Anon] {
        let conds: Vec<String> = policies
            .iter()
            .filter(|p| p.op == op && p.role == role)
            .map(|p| format!("({})", p.condition))
            .collect();
        if !conds.is_empty() {
            let _ = write!(
                cases,
                " WHEN '{}' THEN ({})",
                role.as_str(),
                conds.join(" OR ")
            );
        }
    }
    if cases.is_empty() {
        format!("(hbf_policy_bypass({touch}))")
    } else {
        format!("(hbf_policy_bypass({touch}) OR coalesce(CASE hbf_role(){cases} ELSE 0 END, 0))")
    }
}

/// The column a policy filter reads (see `condition_sql`).
/// Not the INTEGER PRIMARY KEY: a rowid reference does not count as reading a column.
fn touch_column(cols: &[Column]) -> String {
    let pk_count = cols.iter().filter(|c| c.pk > 0).count();
    let is_ipk =
        |c: &Column| pk_count == 1 && c.pk == 1 && c.decl_type.eq_ignore_ascii_case("INTEGER");
    cols.iter()
        .filter(|c| c.hidden == 0 || c.hidden >= 2)
        .find(|c| !is_ipk(c))
        .or_else(|| cols.first())
        .map_or("NULL".to_owned(), |c| quote(&c.name))
}

fn build_shadow(
    conn: &Connection,
    secret: &str,
    table: &str,
    (cols, without_rowid): &(Vec<Column>, bool),
    policies: &[&Policy],
) -> rusqlite::Result<()> {
    let q = quote(table);
    let inner = quote(&format!("{secret}v_{table}"));
    let touch = touch_column(cols);
    let mut sql = format!(
        "CREATE TEMP VIEW {inner} AS SELECT * FROM main.{q};\n\
         CREATE TEMP VIEW {q} AS SELECT * FROM temp.{inner} WHERE {};\n",
        condition_sql(policies, Op::Select, &touch)
    );
    let pk: Vec<&Column> = {
        let mut v: Vec<&Column> = cols.iter().filter(|c| c.pk > 0).collect();
        v.sort_by_key(|c| c.pk);
        v
    };
    let ipk = !without_rowid && pk.len() == 1 && pk[0].decl_type.eq_ignore_ascii_case("INTEGER");
    // Without a primary key rows cannot be addressed from a trigger: the view stays
    // read-only (writes fail with "cannot modify ... because it is a view").
    if !pk.is_empty() {
        let writable: Vec<&Column> = cols.iter().filter(|c| c.hidden == 0).collect();
        let names: Vec<String> = writable.iter().map(|c| quote(&c.name)).collect();
        let value = |c: &Column| match &c.default {
            Some(d) => format!("COALESCE(NEW.{}, ({d}))", quote(&c.name)),
            None => format!("NEW.{}", quote(&c.name)),
        };
        let values: Vec<String> = writable.iter().map(|c| value(c)).collect();
        let key_is = |side: &str| -> String {
            pk.iter()
                .map(|c| format!("{n} IS {side}.{n}", n = quote(&c.name)))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let (inserted, inserted_id) = if *without_rowid {
            (
                pk.iter()
                    .map(|c| format!("{} IS {}", quote(&c.name), value(c)))
                    .collect::<Vec<_>>()
                    .join(" AND "),
                "NULL".to_owned(),
            )
        } else {
            (
                "rowid = last_insert_rowid()".to_owned(),
                "last_insert_rowid()".to_owned(),
            )
        };
        let _ = ipk;
        let trig = |op: &str| quote(&format!("{secret}t_{table}_{op}"));
        let msg = |op: &str| {
            format!(
                "'hbf: row policy: {op} on {} not allowed'",
                table.replace('\'', "''")
            )
        };
        let _ = write!(
            sql,
            "CREATE TEMP TRIGGER {ti} INSTEAD OF INSERT ON temp.{q} BEGIN\n\
             INSERT INTO main.{q} ({names}) VALUES ({values});\n\
             SELECT RAISE(ABORT, {mi}) FROM main.{q} WHERE {inserted} AND NOT {ic};\n\
             SELECT hbf_authz_wrote({inserted_id});\n\
             END;\n",
            ti = trig("ins"),
            names = names.join(", "),
            values = values.join(", "),
            mi = msg("INSERT"),
            ic = condition_sql(policies, Op::Insert, "NULL"),
        );
        let sets: Vec<String> = writable
            .iter()
            .map(|c| format!("{n} = NEW.{n}", n = quote(&c.name)))
            .collect();
        let uc = condition_sql(policies, Op::Update, "NULL");
        let _ = write!(
            sql,
            "CREATE TEMP TRIGGER {tu} INSTEAD OF UPDATE ON temp.{q} BEGIN\n\
             SELECT RAISE(IGNORE) WHERE NOT EXISTS (SELECT 1 FROM main.{q} WHERE {old} AND {uc});\n\
             UPDATE main.{q} SET {sets} WHERE {old};\n\
             SELECT RAISE(ABORT, {mu}) FROM main.{q} WHERE {new} AND NOT {uc};\n\
             SELECT hbf_authz_wrote(NULL);\n\
             END;\n",
            tu = trig("upd"),
            old = key_is("OLD"),
            new = key_is("NEW"),
            sets = sets.join(", "),
            mu = msg("UPDATE"),
        );
        let _ = write!(
            sql,
            "CREATE TEMP TRIGGER {td} INSTEAD OF DELETE ON temp.{q} BEGIN\n\
             SELECT RAISE(IGNORE) WHERE NOT EXISTS (SELECT 1 FROM main.{q} WHERE {old} AND {dc});\n\
             DELETE FROM main.{q} WHERE {old};\n\
             SELECT hbf_authz_wrote(NULL);\n\
             END;\n",
            td = trig("del"),
            old = key_is("OLD"),
            dc = condition_sql(policies, Op::Delete, "NULL"),
        );
    }
    conn.execute_batch("SAVEPOINT hbf_authz_build")?;
    // SQLite checks view and trigger bodies only when they are used: compile each now.
    let checked = conn.execute_batch(&sql).and_then(|()| {
        let mut checks = vec![format!("SELECT * FROM temp.{q} WHERE 0")];
        if let Some(k) = pk.first() {
            checks.push(format!(
                "INSERT INTO temp.{q} SELECT * FROM temp.{q} WHERE 0"
            ));
            checks.push(format!(
                "UPDATE temp.{q} SET {k} = {k} WHERE 0",
                k = quote(&k.name)
            ));
            checks.push(format!("DELETE FROM temp.{q} WHERE 0"));
        }
        checks.iter().try_for_each(|c| conn.prepare(c).map(drop))
    });
    match checked {
        Ok(()) => conn.execute_batch("RELEASE hbf_authz_build"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO hbf_authz_build; RELEASE hbf_authz_build;");
            Err(e)
        }
    }
}

/// Checks that a policy condition is one SQL expression over `table`'s columns: no
/// comments, no `;`, parentheses balanced outside literals, and it compiles.
pub fn validate_condition(conn: &Connection, table: &str, condition: &str) -> Result<(), String> {
    if condition.trim().is_empty() || condition.len() > 4096 {
        return Err("condition must be a non-empty SQL expression (at most 4096 bytes)".into());
    }
    let b = condition.as_bytes();
    let (mut i, mut depth) = (0usize, 0i32);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                loop {
                    if i >= b.len() {
                        return Err("unterminated quote in condition".into());
                    }
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                if i >= b.len() {
                    return Err("unterminated [identifier] in condition".into());
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced ')' in condition".into());
                }
            }
            b';' => return Err("';' is not allowed in a condition".into()),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                return Err("comments are not allowed in a condition".into())
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                return Err("comments are not allowed in a condition".into())
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err("unbalanced '(' in condition".into());
    }
    conn.prepare(&format!(
        "SELECT 1 FROM main.{} WHERE ({condition})",
        quote(table)
    ))
    .map(|_| ())
    .map_err(|e| format!("condition does not compile: {e}"))
}

/// The documents' full-text index and its content table (see `Authz::run_docs`).
const DOCS_INDEX: &str = "nodes_fts";
const DOCS_TABLE: &str = "nodes";

/// Statements remembered as having compiled a policy trigger (see `Authz::run_with`).
const MAX_ARMED_KEYS: usize = 4096;

/// Tables that only SQLite's table-valued JSON functions expose; harmless to everyone.
const EPONYMOUS_OK: [&str; 4] = ["json_each", "json_tree", "jsonb_each", "jsonb_tree"];

/// The authorizer: one decision per action found while preparing a statement.
fn decide(st: &mut State, ctx: &AuthContext<'_>) -> Authorization {
    // SQLite keeps one authorizer per connection, and installing this one replaces the
    // henv isolation authorizer (other files, dangerous pragmas, extensions): apply it first.
    let base = crate::henv::isolation::authorize(*ctx);
    if base != Authorization::Allow {
        return base;
    }
    let r = decide_inner(st, ctx);
    if r != Authorization::Allow && std::env::var_os("HBF_AUTHZ_DEBUG").is_some() {
        eprintln!(
            "authz {r:?}: {:?} db={:?} acc={:?} phase={:?} p={:?}",
            ctx.action, ctx.database_name, ctx.accessor, st.phase, st.principal
        );
    }
    r
}

fn decide_inner(st: &mut State, ctx: &AuthContext<'_>) -> Authorization {
    use Authorization::{Allow, Deny, Ignore};
    if let Phase::Prepare { calls, .. } = &mut st.phase {
        *calls += 1;
    }
    let principal = st.principal;
    if principal == Principal::Internal {
        return Allow;
    }
    let accessor = ctx.accessor.unwrap_or("");
    let db = ctx.database_name.unwrap_or("");
    // One of our secret triggers is being compiled: everything from here on is trusted code.
    if !accessor.is_empty() && accessor.starts_with(&st.secret) {
        let rest = &accessor[st.secret.len()..];
        if rest.starts_with("t_") {
            if let Phase::Prepare { armed, .. } = &mut st.phase {
                *armed = true;
            }
        }
    }
    let trusted = matches!(
        st.phase,
        Phase::Prepare { armed: true, .. } | Phase::Exec { write: true }
    ) && matches!(principal, Principal::Request { .. });

    // Hard rules for every principal but Internal.
    let table = match ctx.action {
        AuthAction::Read { table_name, .. }
        | AuthAction::Insert { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::Update { table_name, .. } => Some(table_name),
        _ => None,
    };
    if table == Some("_hbf_secrets") {
        return Deny;
    }
    if let AuthAction::Read {
        table_name,
        column_name,
    } = ctx.action
    {
        if (table_name == "_hbf_users" && column_name == "password_hash")
            || (table_name == "_hbf_sessions" && column_name == "token_hash")
        {
            return Ignore;
        }
    }
    match ctx.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => return Deny,
        AuthAction::Select
        | AuthAction::Recursive
        | AuthAction::Function { .. }
        | AuthAction::Transaction { .. }
        | AuthAction::Savepoint { .. } => return Allow,
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => {
            let read_only = matches!(
                pragma_name.to_ascii_lowercase().as_str(),
                "table_info"
                    | "table_xinfo"
                    | "table_list"
                    | "index_list"
                    | "index_info"
                    | "index_xinfo"
                    | "foreign_key_list"
                    | "foreign_key_check"
                    | "integrity_check"
                    | "quick_check"
                    | "function_list"
                    | "pragma_list"
                    | "collation_list"
                    | "compile_options"
                    | "data_version"
            ) || (pragma_value.is_none()
                && matches!(
                    pragma_name.to_ascii_lowercase().as_str(),
                    "user_version" | "schema_version" | "foreign_keys" | "journal_mode"
                ));
            // Virtual tables (FTS5) read `data_version` while a statement runs (also in the
            // read-only search statements of `run_docs`).
            let docs_check = st.docs && pragma_name.eq_ignore_ascii_case("data_version");
            return if read_only
                && (matches!(principal, Principal::System { .. }) || trusted || docs_check)
            {
                Allow
            } else {
                Deny
            };
        }
        AuthAction::CreateTable { table_name }
        | AuthAction::DropTable { table_name }
        | AuthAction::CreateIndex { table_name, .. }
        | AuthAction::DropIndex { table_name, .. }
        | AuthAction::CreateTrigger { table_name, .. }
        | AuthAction::DropTrigger { table_name, .. }
        | AuthAction::AlterTable { table_name, .. }
        | AuthAction::CreateVtable { table_name, .. }
        | AuthAction::DropVtable { table_name, .. } => {
            let reserved = table_name.starts_with("_hbf_") || table_name.starts_with("sqlite_");
            return if principal == (Principal::System { startup: true }) && !reserved {
                Allow
            } else {
                Deny
            };
        }
        // (CREATE INDEX asks for SQLITE_REINDEX of the new index, too)
        AuthAction::CreateView { .. }
        | AuthAction::DropView { .. }
        | AuthAction::Reindex { .. } => {
            return if principal == (Principal::System { startup: true }) {
                Allow
            } else {
                Deny
            };
        }
        AuthAction::Read { .. }
        | AuthAction::Insert { .. }
        | AuthAction::Update { .. }
        | AuthAction::Delete { .. } => {}
        // TEMP objects (ours only), REINDEX, ANALYZE and anything newer: refused.
        _ => return Deny,
    }
    let table = table.unwrap_or("");
    let write_op = match ctx.action {
        AuthAction::Read { .. } => None,
        AuthAction::Insert { .. } => Some(Op::Insert),
        AuthAction::Update { .. } => Some(Op::Update),
        _ => Some(Op::Delete),
    };
    let sqlite_table = table.starts_with("sqlite_");
    let Principal::Request { user_id, role } = principal else {
        // db.system: every table (SQLite itself refuses direct writes to sqlite_master).
        return Allow;
    };
    if sqlite_table || table.starts_with("pragma_") {
        return Deny;
    }
    if trusted {
        return Allow;
    }
    if table.starts_with("_hbf_") {
        return Deny;
    }
    if st.docs && write_op.is_none() {
        // HBF's own documents statements (`run_docs`): the index; the content rows FTS5
        // reads for snippets while a search runs (only rows its join let through); the key
        // column foreign-key checks of edges and tags read.
        if table == DOCS_INDEX && matches!(db, "main" | "") {
            return Allow;
        }
        if table == DOCS_TABLE && db == "main" && accessor.is_empty() {
            match (st.phase, ctx.action) {
                (Phase::Exec { write: false }, _) => return Allow,
                (
                    Phase::Prepare { .. },
                    AuthAction::Read {
                        column_name: "id", ..
                    },
                ) => return Allow,
                _ => {}
            }
        }
    }
    if let Phase::Exec { write: false } = st.phase {
        // Virtual tables read their own shadow tables while a query runs.
        if write_op.is_none() && db == "main" && st.model.shadow.contains(table) {
            return Allow;
        }
    }
    let wanted = |p: Perms, op: Option<Op>| match op {
        None => p.select,
        Some(Op::Insert) => p.insert,
        Some(Op::Update) => p.update,
        Some(Op::Delete) | Some(Op::Select) => p.delete,
    };
    if write_op.is_some() && accessor.is_empty() && matches!(st.phase, Phase::Prepare { .. }) {
        let qualified = format!("{db}.{table}");
        match &st.target {
            None => st.target = Some(qualified),
            // A statement writes one table; another one written at top level is a
            // foreign-key action (ON DELETE CASCADE, SET NULL, ...): the schema's rule.
            Some(t) if *t != qualified => {
                st.cascading = true;
                return Allow;
            }
            Some(_) => {}
        }
    }
    let model = &st.model;
    // `SELECT count(*) FROM t` reads no column: SQLite then reports the FROM item itself with
    // an empty column name, and no schema unless the name was qualified. An unqualified
    // policy table resolves to our view, a name that is no table to a subquery or CTE (their
    // own reads are checked one by one); only a plain app table needs the permission.
    let db = match (db, ctx.action) {
        (
            "",
            AuthAction::Read {
                column_name: "", ..
            },
        ) => {
            if model.protected.contains(table) || !model.app.contains(table) {
                return Allow;
            }
            "main"
        }
        _ => db,
    };
    let perms = |t: &str| {
        if role.bypasses_policies() {
            Perms {
                select: true,
                insert: true,
                update: true,
                delete: true,
            }
        } else {
            model.perms(role, user_id, t)
        }
    };
    match db {
        "temp" => {
            // Only our views and triggers live in temp. Reading a view's columns is fine
            // (the inner read of main.<table> is checked); writing needs the permission.
            let base = table
                .strip_prefix(st.secret.as_str())
                .and_then(|r| r.strip_prefix("v_"))
                .unwrap_or(table);
            if !model.protected.contains(base) {
                return Deny;
            }
            match write_op {
                None => Allow,
                Some(op) if wanted(perms(base), Some(op)) => Allow,
                Some(_) => Deny,
            }
        }
        "main" => {
            if !accessor.is_empty() && accessor.starts_with(&st.secret) {
                // Inside our inner view `hbf_<secret>_v_<table>`: reading that table.
                let own = accessor
                    .strip_prefix(st.secret.as_str())
                    .and_then(|r| r.strip_prefix("v_"));
                return if own == Some(table) && write_op.is_none() && wanted(perms(table), None) {
                    Allow
                } else {
                    Deny
                };
            }
            if write_op.is_some() && !accessor.is_empty() {
                // A write inside a trigger of the owner's schema (a CTE cannot write, so
                // the name cannot be forged): the owner's code, trusted.
                return Allow;
            }
            if EPONYMOUS_OK.contains(&table) {
                return Allow;
            }
            if role.bypasses_policies() {
                return if model.app.contains(table) {
                    Allow
                } else {
                    Deny
                };
            }
            if model.protected.contains(table) || !model.app.contains(table) {
                return Deny;
            }
            if wanted(perms(table), write_op) {
                return Allow;
            }
            // A key column read by a foreign-key check of a table this principal may write
            // (keys only, and never of a table with row policies).
            if let (None, AuthAction::Read { column_name, .. }) = (write_op, ctx.action) {
                if let Some(others) = model
                    .fk_columns
                    .get(&(table.to_owned(), column_name.to_owned()))
                {
                    let may_write = |t: &String| {
                        let p = perms(t);
                        p.insert || p.update || p.delete
                    };
                    if st.cascading || others.iter().any(may_write) {
                        return Allow;
                    }
                }
            }
            Deny
        }
        _ => Deny,
    }
}

#[cfg(test)]
mod tests;
