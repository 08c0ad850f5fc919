//! SQL for the admin UI: a statement run as the signed-in owner/admin (`POST
//! /_api/admin/sql`), and the "test as user X" preview (`POST /_api/admin/preview`): a
//! read-only statement run through the same authorizer, table permissions and row policies
//! as that user's own requests, so the grid shows exactly what their `SELECT` would return.

use serde_json::{json, Value as J};

use crate::api::{self, ApiEnv};
use crate::auth;
use crate::db::authz::{self, Handle};
use crate::http::Response;

/// `{sql}` (and for the preview `user_id`) from a JSON body.
fn body_of(body: &[u8]) -> Result<serde_json::Map<String, J>, Response> {
    match serde_json::from_slice::<J>(body) {
        Ok(J::Object(f)) if f.get("sql").is_some_and(J::is_string) => Ok(f),
        _ => Err(Response::error(400, "expected a JSON object {sql}")),
    }
}

/// Runs `sql` as the request's bound principal: `{columns, rows, changes}`, each row an
/// array in column order. `read_only` refuses statements that could write.
fn grid(env: &ApiEnv<'_>, sql: &str, read_only: bool) -> Response {
    let before = env.conn.total_changes();
    let principal = env.authz.principal_for(Handle::Request);
    let ran = env.authz.run(env.conn, principal, sql, |st| {
        if read_only && !st.readonly() {
            return Err(rusqlite::Error::InvalidParameterName(
                "the preview runs read-only statements (SELECT) only".into(),
            ));
        }
        let columns: Vec<String> = st.column_names().map(str::to_owned).collect();
        let mut rows = st.raw_query();
        let mut out: Vec<J> = Vec::new();
        while let Some(row) = rows.next()? {
            let cells = (0..columns.len())
                .map(|i| row.get_ref(i).map(api::sql_to_json))
                .collect::<rusqlite::Result<Vec<J>>>()?;
            out.push(J::Array(cells));
        }
        Ok((columns, out))
    });
    match ran {
        Ok(((columns, rows), _)) => Response::json(
            200,
            &json!({ "columns": columns, "rows": rows,
                     "changes": env.conn.total_changes() - before }),
        ),
        Err(e) => Response::error(400, &e.to_string()),
    }
}

/// `POST /_api/admin/sql`: one statement as the caller.
pub fn sql(env: &ApiEnv<'_>, body: &[u8]) -> Response {
    match body_of(body) {
        Ok(f) => grid(env, f["sql"].as_str().unwrap_or(""), false),
        Err(r) => r,
    }
}

/// `POST /_api/admin/preview {user_id, sql}`: what `user_id`'s read-only statement returns.
/// The request is bound to that user for the statement, then back to the caller.
pub fn preview(env: &ApiEnv<'_>, body: &[u8], caller_id: i64) -> Response {
    let f = match body_of(body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(uid) = f.get("user_id").and_then(J::as_i64) else {
        return Response::error(400, "user_id is required");
    };
    let user = match auth::user_by_id(env.conn, uid) {
        Ok(Some(u)) => u,
        Ok(None) => return Response::error(404, "no such user"),
        Err(e) => return Response::error(500, &e.to_string()),
    };
    let caller_role = match auth::user_by_id(env.conn, caller_id) {
        Ok(Some(c)) => authz::Role::parse(&c.role),
        _ => return Response::error(500, "cannot read the caller"),
    };
    env.authz
        .begin_request(Some(user.id), authz::Role::parse(&user.role));
    let resp = grid(env, f["sql"].as_str().unwrap_or(""), true);
    env.authz.begin_request(Some(caller_id), caller_role);
    resp
}
