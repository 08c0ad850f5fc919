//! `POST /new` on the base domain: validate `{hostname, username, password, email}`, hash the
//! password (Argon2id, m=19 MiB, t=2, p=1), create the henv with the starter app and the owner
//! account, answer `{url, host, hash, owner}`. Runs on a worker thread (hashing takes tens of
//! milliseconds of CPU), never on the event loop.

use rusqlite::{params, Connection};

use super::name::{normalize_hostname, HASH_LEN};
use super::router::hash_label;

/// Why a signup was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("request body must be a JSON object with hostname, username, password and email: {0}")]
    BadJson(String),
    #[error("hostname {host:?}: {reason}")]
    BadHostname { host: String, reason: String },
    #[error("username must be 1-64 characters of letters, digits, '_', '.' or '-'")]
    BadUsername,
    #[error("password must be 8-1024 characters")]
    BadPassword,
    #[error("email {0:?} is not a valid address")]
    BadEmail(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

impl SignupError {
    pub fn status(&self) -> u16 {
        match self {
            SignupError::Hash(_) => 500,
            _ => 400,
        }
    }
}

/// A validated signup.
#[derive(Debug)]
pub struct Signup {
    /// Normalised.
    pub hostname: String,
    pub username: String,
    pub password: String,
    pub email: String,
}

#[derive(serde::Deserialize)]
struct Body {
    hostname: String,
    username: String,
    password: String,
    email: String,
}

/// Parses and validates a signup body. Hostnames under the base domain that look like a henv
/// hash (`xxxxxxxx.{base}`) and the base domain itself are refused: those names route by hash.
pub fn parse(body: &[u8], base_domain: Option<&str>) -> Result<Signup, SignupError> {
    let body: Body =
        serde_json::from_slice(body).map_err(|e| SignupError::BadJson(e.to_string()))?;
    let bad = |reason: &str| SignupError::BadHostname {
        host: body.hostname.clone(),
        reason: reason.into(),
    };
    let hostname = normalize_hostname(&body.hostname).map_err(|e| bad(&e.to_string()))?;
    if hostname.starts_with('[') || hostname.parse::<std::net::IpAddr>().is_ok() {
        return Err(bad("IP addresses cannot name a henv"));
    }
    if let Some(base) = base_domain {
        if hostname == base {
            return Err(bad("is the base domain"));
        }
        if hash_label(&hostname, base).is_some() {
            return Err(bad(&format!(
                "{HASH_LEN}-character labels under the base domain are reserved for henv hashes"
            )));
        }
    }
    let username = body.username.trim().to_owned();
    if username.is_empty()
        || username.len() > 64
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(SignupError::BadUsername);
    }
    let chars = body.password.chars().count();
    if !(8..=1024).contains(&chars) {
        return Err(SignupError::BadPassword);
    }
    let email = body.email.trim().to_owned();
    let valid_email = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid_email {
        return Err(SignupError::BadEmail(email));
    }
    Ok(Signup {
        hostname,
        username,
        password: body.password,
        email,
    })
}

/// An Argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a random salt: the
/// same hashing as every other account (`auth::password`), with the default parameters a new
/// henv starts with.
pub fn hash_password(password: &str) -> Result<String, SignupError> {
    crate::auth::password::hash(password, &crate::auth::password::Argon2Params::default())
        .map_err(|e| SignupError::Hash(e.to_string()))
}

/// Whether `password` matches a PHC string made by `hash_password`.
pub fn verify_password(phc: &str, password: &str) -> bool {
    crate::auth::password::verify(password, phc)
}

/// Adds the owner account to a henv's `_hbf_users`.
pub fn insert_owner(
    conn: &Connection,
    username: &str,
    password_hash: &str,
    email: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO _hbf_users (username, password_hash, email, role) VALUES (?1, ?2, ?3, 'owner')",
        params![username, password_hash, email],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = br#"{"hostname":"My-App.example","username":"ann","password":"correct horse","email":"ann@example.com"}"#;
        let s = parse(ok, Some("hbf.test")).unwrap();
        assert_eq!(s.hostname, "my-app.example");
        let with = |field: &str, value: &str| {
            let mut v: serde_json::Value = serde_json::from_slice(ok).unwrap();
            v[field] = value.into();
            parse(v.to_string().as_bytes(), Some("hbf.test"))
        };
        assert!(matches!(
            with("hostname", "a_b"),
            Err(SignupError::BadHostname { .. })
        ));
        assert!(matches!(
            with("hostname", "hbf.test"),
            Err(SignupError::BadHostname { .. })
        ));
        assert!(matches!(
            with("hostname", "abcd1234.hbf.test"),
            Err(SignupError::BadHostname { .. })
        ));
        assert!(matches!(
            with("hostname", "10.0.0.1"),
            Err(SignupError::BadHostname { .. })
        ));
        assert!(with("hostname", "shop.hbf.test").is_ok());
        assert!(matches!(
            with("username", "a b"),
            Err(SignupError::BadUsername)
        ));
        assert!(matches!(
            with("password", "short"),
            Err(SignupError::BadPassword)
        ));
        assert!(matches!(
            with("email", "nobody"),
            Err(SignupError::BadEmail(_))
        ));
        assert!(matches!(parse(b"{}", None), Err(SignupError::BadJson(_))));
        assert_eq!(SignupError::BadPassword.status(), 400);
    }

    #[test]
    fn argon2id_with_the_recommended_parameters() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&phc, "correct horse"));
        assert!(!verify_password(&phc, "wrong horse"));
    }
}
