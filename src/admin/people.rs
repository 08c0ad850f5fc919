//! Changing a user from the admin UI (`PATCH /_api/users/{uid}`): role, password reset,
//! enabled. Only an owner may make or unmake owners; nobody changes their own role or
//! disables themselves (so a henv never loses its last owner that way). A password reset or
//! a disable ends the user's sessions. Every change is audited.

use rusqlite::params;
use serde_json::{json, Map, Value as J};

use crate::auth::{self, password, AuthSettings, User};
use crate::http::Response;

/// Applies `{role?, password?, enabled?}` to user `id` on behalf of `admin`.
pub fn update_user(
    conn: &rusqlite::Connection,
    settings: &AuthSettings,
    admin: &User,
    id: i64,
    f: &Map<String, J>,
) -> Result<Response, String> {
    let Some(target) = auth::user_by_id(conn, id).map_err(|e| e.to_string())? else {
        return Ok(Response::error(404, "no such user"));
    };
    let role = f.get("role").and_then(J::as_str);
    let new_password = f.get("password").and_then(J::as_str);
    let enabled = f.get("enabled").and_then(J::as_bool);
    if role.is_none() && new_password.is_none() && enabled.is_none() {
        return Ok(Response::error(400, "give role, password or enabled"));
    }
    if let Some(role) = role {
        if !matches!(role, "owner" | "admin" | "user") {
            return Ok(Response::error(
                400,
                "role must be one of owner, admin, user",
            ));
        }
        if (role == "owner" || target.role == "owner") && admin.role != "owner" {
            return Ok(Response::error(
                403,
                "only an owner can make or unmake owners",
            ));
        }
        if target.id == admin.id && role != admin.role {
            return Ok(Response::error(400, "you cannot change your own role"));
        }
    }
    if target.role == "owner" && admin.role != "owner" {
        return Ok(Response::error(403, "only an owner can change an owner"));
    }
    if enabled == Some(false) && target.id == admin.id {
        return Ok(Response::error(400, "you cannot disable yourself"));
    }
    let phc = match new_password {
        Some(p) => {
            if let Err(e) = password::check_policy(p, settings.password_min_length) {
                return Ok(Response::error(400, &e.to_string()));
            }
            Some(password::hash(p, &settings.argon2).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let tx = conn.unchecked_transaction().map_err(|e| e.to_string())?;
    tx.execute(
        "UPDATE _hbf_users SET role = COALESCE(?2, role), password_hash = COALESCE(?3, password_hash),
             enabled = COALESCE(?4, enabled), modified_at = unixepoch() WHERE id = ?1",
        params![id, role, phc, enabled],
    )
    .map_err(|e| e.to_string())?;
    if phc.is_some() || enabled == Some(false) {
        tx.execute("DELETE FROM _hbf_sessions WHERE user_id = ?1", [id])
            .map_err(|e| e.to_string())?;
    }
    auth::audit(
        &tx,
        settings,
        Some(admin.id),
        "user.update",
        Some("_hbf_users"),
        Some(id),
        &json!({ "role": role, "password_reset": phc.is_some(), "enabled": enabled }),
    )
    .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    let user = auth::user_by_id(conn, id).map_err(|e| e.to_string())?;
    Ok(Response::json(200, &json!(user)))
}
