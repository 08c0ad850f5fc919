//! The first-run flow of a henv without an owner: a one-time setup token, printed by
//! `hbf serve` and `hbf init`, lets the operator create the owner at `/_admin/setup`.
//!
//! Only the token's SHA-256 is stored (in `_hbf_secrets`, which no app SQL can read), with an
//! expiry; it is deleted when the owner is created. A henv that has an owner or admin never
//! issues one.

use rusqlite::{params, Connection, OptionalExtension};

use crate::auth::{self, AuthSettings, User, UserError};

/// The `_hbf_secrets` row holding `sha256hex:expires_at`.
const SECRET_NAME: &str = "admin_setup_token";

/// Why a setup request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("this henv already has an owner; sign in at /_admin/login")]
    HasOwner,
    #[error("no setup token was issued for this henv; run `hbf init` or restart `hbf serve` to print one")]
    NoToken,
    #[error("the setup token has expired; restart `hbf serve` (or run `hbf init`) for a new one")]
    Expired,
    #[error("wrong setup token")]
    WrongToken,
    #[error(transparent)]
    User(#[from] UserError),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Whether the henv has a user who may use the admin UI.
pub fn has_owner(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM _hbf_users WHERE role IN ('owner', 'admin') AND enabled)",
        [],
        |r| r.get(0),
    )
}

fn digest(token: &str) -> String {
    crate::db::sha256_hex(token.as_bytes())
}

/// Issues a new setup token valid for `ttl_secs` (replacing any earlier one) and returns it,
/// or `None` when the henv already has an owner.
pub fn issue(conn: &Connection, now: i64, ttl_secs: i64) -> rusqlite::Result<Option<String>> {
    if has_owner(conn)? {
        return Ok(None);
    }
    let token = auth::base64url::encode(&auth::session::random_bytes(24));
    let value = format!("{}:{}", digest(&token), now + ttl_secs);
    conn.execute(
        "INSERT INTO _hbf_secrets (name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value, created_at = unixepoch()",
        params![SECRET_NAME, value.as_bytes()],
    )?;
    Ok(Some(token))
}

/// Creates the owner if `token` is the henv's current, unexpired setup token; the token is
/// used up.
pub fn create_owner(
    conn: &Connection,
    settings: &AuthSettings,
    token: &str,
    username: &str,
    password: &str,
    now: i64,
) -> Result<User, SetupError> {
    if has_owner(conn)? {
        return Err(SetupError::HasOwner);
    }
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM _hbf_secrets WHERE name = ?1",
            [SECRET_NAME],
            |r| r.get(0),
        )
        .optional()?;
    let stored = stored.ok_or(SetupError::NoToken)?;
    let stored = String::from_utf8_lossy(&stored);
    let (hash, expires) = stored.split_once(':').ok_or(SetupError::NoToken)?;
    let expires: i64 = expires.parse().map_err(|_| SetupError::NoToken)?;
    let given = digest(token.trim());
    if !crate::api::constant_time_eq(hash.as_bytes(), given.as_bytes()) {
        return Err(SetupError::WrongToken);
    }
    if now > expires {
        return Err(SetupError::Expired);
    }
    let tx = conn.unchecked_transaction()?;
    let user = auth::create_user(&tx, settings, username, password, None, "owner")?;
    tx.execute("DELETE FROM _hbf_secrets WHERE name = ?1", [SECRET_NAME])?;
    tx.commit()?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_one_time_hashed_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("s.db")).unwrap();
        let settings = AuthSettings::load(&conn).unwrap();
        let token = issue(&conn, 1000, 60).unwrap().unwrap();
        let raw: Vec<u8> = conn
            .query_row(
                "SELECT value FROM _hbf_secrets WHERE name = ?1",
                [SECRET_NAME],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains(&token),
            "stored hashed"
        );
        assert!(matches!(
            create_owner(&conn, &settings, "nope", "boss", "correct horse", 1001),
            Err(SetupError::WrongToken)
        ));
        assert!(matches!(
            create_owner(&conn, &settings, &token, "boss", "correct horse", 2000),
            Err(SetupError::Expired)
        ));
        let user = create_owner(&conn, &settings, &token, "boss", "correct horse", 1001).unwrap();
        assert_eq!(user.role, "owner");
        assert!(matches!(
            create_owner(&conn, &settings, &token, "boss2", "correct horse", 1001),
            Err(SetupError::HasOwner)
        ));
        assert_eq!(issue(&conn, 1000, 60).unwrap(), None);
    }
}
