//! Sessions: a signed JWT handed to the client, and a row in `_hbf_sessions` holding only
//! SHA-256(token) (hex), its expiry and when it was last used. A token is accepted only if it
//! verifies *and* its row exists, is unexpired and belongs to an enabled user, so logout
//! (deleting the row) revokes it at once; the user's role is read from `_hbf_users` at every
//! request, so a demotion takes effect immediately.
//!
//! The signing key is per henv: 32 random bytes in `_hbf_secrets` (created by the schema
//! migration, denied to app code by the authorizer), or `HBF_JWT_SECRET` for every henv.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::jwt::{self, Claims};
use super::{base64url, User};

/// Environment variable that overrides every henv's signing key.
pub const SECRET_ENV: &str = "HBF_JWT_SECRET";
/// `last_used` is written at most this often per session (a write per request would
/// serialise every authenticated request on SQLite's single writer).
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// Lowercase hex SHA-256 of a token: what `_hbf_sessions.token_hash` stores.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The henv's JWT signing key: `HBF_JWT_SECRET` if set, else the stored per-henv secret
/// (created if somehow missing).
pub fn signing_key(conn: &Connection) -> rusqlite::Result<Vec<u8>> {
    if let Ok(v) = std::env::var(SECRET_ENV) {
        if !v.is_empty() {
            return Ok(v.into_bytes());
        }
    }
    let key: Option<Vec<u8>> = conn
        .prepare_cached("SELECT value FROM _hbf_secrets WHERE name = 'jwt_hs256'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    match key {
        Some(k) if k.len() >= 32 => Ok(k),
        _ => {
            let k = random_bytes(32);
            conn.execute(
                "INSERT OR REPLACE INTO _hbf_secrets (name, value) VALUES ('jwt_hs256', ?1)",
                [&k],
            )?;
            Ok(k)
        }
    }
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("operating system randomness is available");
    b
}

/// A new session for `user`: the token and its expiry (Unix seconds).
pub fn create(
    conn: &Connection,
    user: &User,
    henv: &str,
    lifetime_hours: i64,
    key: &[u8],
    now: i64,
) -> Result<(String, i64), SessionError> {
    let expires_at = now + lifetime_hours.clamp(1, 24 * 365) * 3600;
    let claims = Claims {
        sub: user.id.to_string(),
        role: user.role.clone(),
        henv: henv.to_owned(),
        jti: base64url::encode(&random_bytes(16)),
        iat: now,
        nbf: now,
        exp: expires_at,
    };
    let token = jwt::sign(&claims, key).map_err(SessionError::Jwt)?;
    conn.prepare_cached(
        "INSERT INTO _hbf_sessions (user_id, token_hash, expires_at, last_used, created_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![user.id, token_hash(&token), expires_at, now])?;
    Ok((token, expires_at))
}

/// Why a session could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("token: {0}")]
    Jwt(jwt::JwtError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The user a token authenticates, or `None` (bad, expired, revoked, or user disabled).
pub fn authenticate(
    conn: &Connection,
    token: &str,
    key: &[u8],
    henv: &str,
    now: i64,
) -> rusqlite::Result<Option<User>> {
    let Ok(claims) = jwt::verify(token, key, henv, now) else {
        return Ok(None);
    };
    let row = conn
        .prepare_cached(
            "SELECT s.id, s.last_used, u.id, u.username, u.email, u.role
             FROM _hbf_sessions s JOIN _hbf_users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.enabled = 1",
        )?
        .query_row(params![token_hash(token), now], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                User {
                    id: r.get(2)?,
                    username: r.get(3)?,
                    email: r.get(4)?,
                    role: r.get(5)?,
                },
            ))
        })
        .optional()?;
    let Some((session_id, last_used, user)) = row else {
        return Ok(None);
    };
    if claims.sub != user.id.to_string() {
        return Ok(None);
    }
    if now - last_used >= LAST_USED_GRANULARITY_SECS {
        // Rolling last_used; a busy writer elsewhere must not fail the request.
        let _ = conn
            .prepare_cached("UPDATE _hbf_sessions SET last_used = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![session_id, now]));
    }
    Ok(Some(user))
}

/// Revokes the session of `token`; true if there was one.
pub fn revoke(conn: &Connection, token: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM _hbf_sessions WHERE token_hash = ?1")?
        .execute([token_hash(token)])?
        > 0)
}

/// Deletes expired sessions; returns how many.
pub fn purge_expired(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM _hbf_sessions WHERE expires_at <= ?1")?
        .execute([now])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Connection, User) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("s.db")).unwrap();
        conn.execute(
            "INSERT INTO _hbf_users (username, password_hash, role) VALUES ('ann', 'x', 'user')",
            [],
        )
        .unwrap();
        let user = User {
            id: 1,
            username: "ann".into(),
            email: None,
            role: "user".into(),
        };
        (dir, conn, user)
    }

    #[test]
    fn create_authenticate_revoke() {
        let (_d, conn, user) = setup();
        let key = signing_key(&conn).unwrap();
        assert_eq!(key.len(), 32);
        assert_eq!(signing_key(&conn).unwrap(), key, "stable");
        let now = 1_800_000_000;
        let (token, exp) = create(&conn, &user, "h", 2, &key, now).unwrap();
        assert_eq!(exp, now + 7200);
        let stored: String = conn
            .query_row("SELECT token_hash FROM _hbf_sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, token_hash(&token));
        assert!(!stored.contains(&token));
        assert_eq!(
            authenticate(&conn, &token, &key, "h", now + 1).unwrap(),
            Some(user.clone())
        );
        assert_eq!(
            authenticate(&conn, &token, &key, "other", now).unwrap(),
            None
        );
        // Rolling last_used.
        authenticate(&conn, &token, &key, "h", now + 600).unwrap();
        let last: i64 = conn
            .query_row("SELECT last_used FROM _hbf_sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(last, now + 600);
        // Expired by the row even if the JWT were still valid.
        conn.execute("UPDATE _hbf_sessions SET expires_at = ?1", [now + 10])
            .unwrap();
        assert_eq!(
            authenticate(&conn, &token, &key, "h", now + 11).unwrap(),
            None
        );
        conn.execute("UPDATE _hbf_sessions SET expires_at = ?1", [exp])
            .unwrap();
        // Disabled users are refused.
        conn.execute("UPDATE _hbf_users SET enabled = 0", [])
            .unwrap();
        assert_eq!(
            authenticate(&conn, &token, &key, "h", now + 1).unwrap(),
            None
        );
        conn.execute("UPDATE _hbf_users SET enabled = 1", [])
            .unwrap();
        // Revoked.
        assert!(revoke(&conn, &token).unwrap());
        assert_eq!(
            authenticate(&conn, &token, &key, "h", now + 1).unwrap(),
            None
        );
        assert!(!revoke(&conn, &token).unwrap());
        let (_t2, _) = create(&conn, &user, "h", 1, &key, now).unwrap();
        assert_eq!(purge_expired(&conn, now + 3601).unwrap(), 1);
    }
}
