//! Authentication for henv apps: users with Argon2id passwords, HS256 JWT sessions backed by
//! `_hbf_sessions`, login throttling, and the per-henv settings that govern them.
//!
//! Pure building blocks (`base64url`, `jwt`, `password`, `ratelimit`) know nothing of HTTP;
//! `session` and the user functions here take a `rusqlite::Connection` and are called by the
//! worker (`js::auth_routes`) with the authorizer in its internal mode. Nothing here may run
//! on the event loop: Argon2 costs tens of milliseconds by design.

pub mod base64url;
pub mod jwt;
pub mod password;
pub mod ratelimit;
pub mod session;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

pub use password::Argon2Params;

/// A user as the API shows it (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub role: String,
}

/// Roles, most privileged first. `anon` is the role of a request without a user.
pub const ROLES: [&str; 4] = ["owner", "admin", "user", "anon"];

/// Per-henv authentication settings, from `_hbf_config`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthSettings {
    /// `auth_registration_open`: whether `POST /register` creates accounts.
    pub registration_open: bool,
    /// `auth_password_min_length`.
    pub password_min_length: usize,
    /// `auth_argon2`: `{"m_kib", "t", "p"}`.
    pub argon2: Argon2Params,
    /// `session_lifetime_hours`.
    pub session_lifetime_hours: i64,
    /// `auth_root_aliases` (default false): also answer `/register`, `/login`, `/logout`,
    /// `/me` (besides `/_api/auth/...`) when the app's router matches nothing there. (The
    /// `auth_root_routes` key of older henvs is no longer read.)
    pub root_routes: bool,
    /// `auth_rate_limit`: `{"ip_burst", "ip_per_minute", "user_burst", "user_per_minute"}`.
    pub ip_rate: ratelimit::Rate,
    pub user_rate: ratelimit::Rate,
    /// `enable_audit_log`.
    pub audit: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            registration_open: true,
            password_min_length: 8,
            argon2: Argon2Params::default(),
            session_lifetime_hours: 168,
            root_routes: false,
            ip_rate: ratelimit::Rate {
                burst: 20.0,
                per_minute: 10.0,
            },
            user_rate: ratelimit::Rate {
                burst: 5.0,
                per_minute: 2.0,
            },
            audit: true,
        }
    }
}

impl AuthSettings {
    /// Reads the settings; malformed values keep their defaults.
    pub fn load(conn: &Connection) -> rusqlite::Result<AuthSettings> {
        let mut s = AuthSettings::default();
        let mut stmt = conn.prepare_cached(
            "SELECT key, value FROM _hbf_config WHERE key IN ('auth_registration_open',
             'auth_password_min_length', 'auth_argon2', 'session_lifetime_hours',
             'auth_root_aliases', 'auth_rate_limit', 'enable_audit_log')",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (key, value) = row?;
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&value) else {
                continue;
            };
            s.apply(&key, &v);
        }
        Ok(s)
    }

    fn apply(&mut self, key: &str, v: &serde_json::Value) {
        match key {
            "auth_registration_open" => self.registration_open = v.as_bool().unwrap_or(true),
            "auth_password_min_length" => {
                if let Some(n) = v.as_u64().filter(|n| (1..=1024).contains(n)) {
                    self.password_min_length = n as usize;
                }
            }
            "auth_argon2" => self.argon2 = Argon2Params::from_json(v),
            "session_lifetime_hours" => {
                if let Some(n) = v.as_i64().filter(|n| *n >= 1) {
                    self.session_lifetime_hours = n;
                }
            }
            "auth_root_aliases" => self.root_routes = v.as_bool().unwrap_or(false),
            "auth_rate_limit" => {
                let f = |k: &str, d: f64| {
                    v.get(k)
                        .and_then(|x| x.as_f64())
                        .filter(|x| *x > 0.0)
                        .unwrap_or(d)
                };
                self.ip_rate = ratelimit::Rate {
                    burst: f("ip_burst", self.ip_rate.burst),
                    per_minute: f("ip_per_minute", self.ip_rate.per_minute),
                };
                self.user_rate = ratelimit::Rate {
                    burst: f("user_burst", self.user_rate.burst),
                    per_minute: f("user_per_minute", self.user_rate.per_minute),
                };
            }
            "enable_audit_log" => self.audit = v.as_bool().unwrap_or(true),
            _ => {}
        }
    }
}

/// Normalises a username: trimmed, lowercased (ASCII), 3–64 characters of `a-z 0-9 . _ - @`.
/// `None` if it cannot be one.
pub fn normalize_username(raw: &str) -> Option<String> {
    let name = raw.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    ok.then_some(name)
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("username must be 3-64 characters: letters, digits, '.', '_', '-', '@'")]
    BadUsername,
    #[error("{0}")]
    Password(#[from] password::PasswordError),
    #[error("role must be one of owner, admin, user")]
    BadRole,
    #[error("username is taken")]
    Taken,
    #[error(transparent)]
    Sqlite(rusqlite::Error),
}

/// Creates a user (password checked against the henv's policy and hashed with Argon2id).
pub fn create_user(
    conn: &Connection,
    settings: &AuthSettings,
    username: &str,
    password: &str,
    email: Option<&str>,
    role: &str,
) -> Result<User, UserError> {
    let username = normalize_username(username).ok_or(UserError::BadUsername)?;
    if !matches!(role, "owner" | "admin" | "user") {
        return Err(UserError::BadRole);
    }
    password::check_policy(password, settings.password_min_length)?;
    let phc = password::hash(password, &settings.argon2)?;
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let r = conn
        .prepare_cached(
            "INSERT INTO _hbf_users (username, password_hash, email, role) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| s.execute(params![username, phc, email, role]));
    match r {
        Ok(_) => Ok(User {
            id: conn.last_insert_rowid(),
            username,
            email: email.map(str::to_owned),
            role: role.to_owned(),
        }),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(UserError::Taken)
        }
        Err(e) => Err(UserError::Sqlite(e)),
    }
}

/// A user by id.
pub fn user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached("SELECT id, username, email, role FROM _hbf_users WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(User {
                id: r.get(0)?,
                username: r.get(1)?,
                email: r.get(2)?,
                role: r.get(3)?,
            })
        })
        .optional()
}

/// Why a login failed. The HTTP layer answers every `Invalid` the same way.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("invalid username or password")]
    Invalid,
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Checks a username and password. Unknown users, disabled users and wrong passwords are all
/// `Invalid` and all cost one Argon2 verification (no user enumeration by timing). A correct
/// password stored with old parameters is re-hashed with the current ones.
pub fn check_login(
    conn: &Connection,
    settings: &AuthSettings,
    username: &str,
    password: &str,
) -> Result<User, LoginError> {
    let Some(name) = normalize_username(username) else {
        password::verify_dummy(password, &settings.argon2);
        return Err(LoginError::Invalid);
    };
    let row = conn
        .prepare_cached(
            "SELECT id, username, email, role, password_hash, enabled FROM _hbf_users WHERE username = ?1",
        )?
        .query_row([&name], |r| {
            Ok((
                User {
                    id: r.get(0)?,
                    username: r.get(1)?,
                    email: r.get(2)?,
                    role: r.get(3)?,
                },
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    let Some((user, phc, enabled)) = row else {
        password::verify_dummy(password, &settings.argon2);
        return Err(LoginError::Invalid);
    };
    let ok = password::verify(password, &phc);
    if !ok || enabled == 0 {
        return Err(LoginError::Invalid);
    }
    if password::needs_rehash(&phc, &settings.argon2) {
        if let Ok(new) = password::hash(password, &settings.argon2) {
            let _ = conn.execute(
                "UPDATE _hbf_users SET password_hash = ?2, modified_at = unixepoch() WHERE id = ?1",
                params![user.id, new],
            );
        }
    }
    Ok(user)
}

/// Writes an audit record (if auditing is on); failures to audit are returned.
pub fn audit(
    conn: &Connection,
    settings: &AuthSettings,
    actor: Option<i64>,
    action: &str,
    table: Option<&str>,
    record: Option<i64>,
    details: &serde_json::Value,
) -> rusqlite::Result<()> {
    if !settings.audit {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO _hbf_audit_log (user_id, action, table_name, record_id, details)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![actor, action, table, record, details.to_string()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> AuthSettings {
        AuthSettings {
            argon2: Argon2Params {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            ..AuthSettings::default()
        }
    }

    #[test]
    fn usernames_are_normalised() {
        assert_eq!(
            normalize_username("  Alice@Example.com ").as_deref(),
            Some("alice@example.com")
        );
        for bad in ["ab", "", "a b c", "ünï", "x;drop", &"a".repeat(65)] {
            assert_eq!(normalize_username(bad), None, "{bad}");
        }
    }

    #[test]
    fn users_and_logins() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("u.db")).unwrap();
        let s = fast();
        let u = create_user(&conn, &s, "Ann", "password1", None, "user").unwrap();
        assert_eq!(u.username, "ann");
        assert!(matches!(
            create_user(&conn, &s, "ANN", "password1", None, "user"),
            Err(UserError::Taken)
        ));
        assert!(matches!(
            create_user(&conn, &s, "bob", "short", None, "user"),
            Err(UserError::Password(_))
        ));
        assert!(matches!(
            create_user(&conn, &s, "bob", "password1", None, "root"),
            Err(UserError::BadRole)
        ));
        assert_eq!(check_login(&conn, &s, " ann ", "password1").unwrap(), u);
        assert!(matches!(
            check_login(&conn, &s, "ann", "password2"),
            Err(LoginError::Invalid)
        ));
        assert!(matches!(
            check_login(&conn, &s, "nobody", "password1"),
            Err(LoginError::Invalid)
        ));
        conn.execute("UPDATE _hbf_users SET enabled = 0", [])
            .unwrap();
        assert!(matches!(
            check_login(&conn, &s, "ann", "password1"),
            Err(LoginError::Invalid)
        ));
        conn.execute("UPDATE _hbf_users SET enabled = 1", [])
            .unwrap();
        // Changed parameters: the next good login re-hashes.
        let mut s2 = s.clone();
        s2.argon2.t = 2;
        check_login(&conn, &s2, "ann", "password1").unwrap();
        let phc: String = conn
            .query_row("SELECT password_hash FROM _hbf_users", [], |r| r.get(0))
            .unwrap();
        assert!(phc.contains("t=2"), "{phc}");
    }

    #[test]
    fn settings_from_config() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("c.db")).unwrap();
        assert_eq!(AuthSettings::load(&conn).unwrap(), AuthSettings::default());
        conn.execute_batch(
            "UPDATE _hbf_config SET value = 'false' WHERE key = 'auth_registration_open';
             UPDATE _hbf_config SET value = '12' WHERE key = 'auth_password_min_length';
             UPDATE _hbf_config SET value = '{\"m_kib\":8192,\"t\":3,\"p\":1}' WHERE key = 'auth_argon2';",
        )
        .unwrap();
        let s = AuthSettings::load(&conn).unwrap();
        assert!(!s.registration_open);
        assert_eq!(s.password_min_length, 12);
        assert_eq!(
            s.argon2,
            Argon2Params {
                m_kib: 8192,
                t: 3,
                p: 1
            }
        );
    }
}
