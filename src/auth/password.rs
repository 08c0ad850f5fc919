//! Password hashing with Argon2id (RFC 9106), stored as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
//!
//! Parameters come from the henv's `_hbf_config` key `auth_argon2` (`{"m_kib", "t", "p"}`,
//! default OWASP's m=19 MiB, t=2, p=1); a stored hash is always verified with the parameters
//! it records, so changing them only affects new hashes (`needs_rehash` tells when to
//! re-hash after a successful login). Verification compares in constant time (the
//! `password-hash` crate's `Output` equality). Hashing is slow on purpose (tens of
//! milliseconds): call it on a worker thread, never on the event loop.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Upper bounds accepted for parameters, from configuration or from a stored hash: a hash
/// planted with absurd costs must not turn one login into a denial of service.
const MAX_M_KIB: u32 = 256 * 1024;
const MAX_T: u32 = 16;
const MAX_P: u32 = 8;
/// Passwords longer than this are refused before hashing (Argon2 accepts any length, but
/// hashing megabytes per login attempt is a cheap way to burn CPU).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for Argon2Params {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Argon2Params {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

impl Argon2Params {
    /// Parameters from a JSON object `{"m_kib": .., "t": .., "p": ..}`; missing or out of
    /// range members keep their defaults.
    pub fn from_json(v: &serde_json::Value) -> Argon2Params {
        let d = Argon2Params::default();
        let get = |k: &str, def: u32, min: u32, max: u32| {
            v.get(k)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (min..=max).contains(n))
                .unwrap_or(def)
        };
        Argon2Params {
            m_kib: get("m_kib", d.m_kib, 8, MAX_M_KIB),
            t: get("t", d.t, 1, MAX_T),
            p: get("p", d.p, 1, MAX_P),
        }
    }

    fn hasher(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.m_kib, self.t, self.p, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Why a password could not be hashed or a stored hash could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {0} characters")]
    TooShort(usize),
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("invalid Argon2 parameters: {0}")]
    Params(String),
    #[error("stored password hash is not a valid Argon2id PHC string")]
    BadHash,
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Checks a new password against the henv's length rules (counted in characters).
pub fn check_policy(password: &str, min_len: usize) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < min_len {
        return Err(PasswordError::TooShort(min_len));
    }
    Ok(())
}

/// Hashes a password with a fresh 16-byte salt; returns the PHC string.
pub fn hash(password: &str, params: &Argon2Params) -> Result<String, PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Params(e.to_string()))?;
    let hasher = params.hasher()?;
    hasher
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Params(e.to_string()))
}

/// Parses a stored PHC string, accepting only Argon2id v19 within the parameter bounds.
pub fn parse(phc: &str) -> Result<(PasswordHash<'_>, Argon2Params), PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::BadHash)?;
    if parsed.algorithm.as_str() != "argon2id" || parsed.version != Some(0x13) {
        return Err(PasswordError::BadHash);
    }
    let p = Params::try_from(&parsed).map_err(|_| PasswordError::BadHash)?;
    let params = Argon2Params {
        m_kib: p.m_cost(),
        t: p.t_cost(),
        p: p.p_cost(),
    };
    if params.m_kib > MAX_M_KIB || params.t > MAX_T || params.p > MAX_P {
        return Err(PasswordError::BadHash);
    }
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(PasswordError::BadHash);
    }
    Ok((parsed, params))
}

/// Whether `password` matches the stored PHC string. The comparison is constant-time;
/// a malformed hash or an over-long password is simply `false`.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let Ok((parsed, params)) = parse(phc) else {
        return false;
    };
    let Ok(hasher) = params.hasher() else {
        return false;
    };
    hasher.verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Burns the same time as verifying against a hash with `params`, for logins naming an
/// unknown user (so response time does not reveal which usernames exist).
pub fn verify_dummy(password: &str, params: &Argon2Params) {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<std::sync::Mutex<Vec<(Argon2Params, String)>>> = OnceLock::new();
    let cache = DUMMY.get_or_init(Default::default);
    let phc = {
        let found = cache
            .lock()
            .ok()
            .and_then(|c| c.iter().find(|(p, _)| p == params).map(|(_, h)| h.clone()));
        match found {
            Some(h) => h,
            None => {
                let Ok(h) = hash("hbf dummy password", params) else {
                    return;
                };
                if let Ok(mut c) = cache.lock() {
                    c.push((*params, h.clone()));
                }
                h
            }
        }
    };
    let _ = verify(password, &phc);
}

/// Whether a stored hash was made with parameters other than `wanted` (re-hash it at the
/// next successful login).
pub fn needs_rehash(phc: &str, wanted: &Argon2Params) -> bool {
    parse(phc).map_or(true, |(_, p)| p != *wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters for tests that do not measure cost.
    const FAST: Argon2Params = Argon2Params {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    #[test]
    fn round_trip_and_phc_format() {
        let h = hash("correct horse", &FAST).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsf", &h));
        assert!(!verify("", &h));
        let again = hash("correct horse", &FAST).unwrap();
        assert_ne!(h, again, "fresh salt every time");
        let (_, p) = parse(&h).unwrap();
        assert_eq!(p, FAST);
        assert!(!needs_rehash(&h, &FAST));
        assert!(needs_rehash(&h, &Argon2Params::default()));
    }

    #[test]
    fn default_parameters_are_owasp() {
        let h = hash("pw-default-params", &Argon2Params::default()).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("pw-default-params", &h));
    }

    #[test]
    fn rejects_other_algorithms_and_malformed_hashes() {
        let h = hash("pw", &FAST).unwrap();
        for bad in [
            h.replace("argon2id", "argon2i"),
            h.replace("argon2id", "argon2d"),
            h.replace("v=19", "v=16"),
            h.replace("m=64", "m=999999999"),
            "$2b$10$abcdefghijklmnopqrstuuBm4yNKTxGBqZkZ3s0z7sX3pEN1zDK6".to_owned(),
            "plaintext".to_owned(),
            String::new(),
            h[..h.len() - 5].to_owned(),
        ] {
            assert!(!verify("pw", &bad), "{bad}");
        }
        // A well-formed PHC string from elsewhere parses (salt "somesalt", 16-byte output).
        let known = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$8G3OtrDXeRQpkk6k2QDMhQ";
        assert!(parse(known).is_ok());
    }

    #[test]
    fn policy_and_limits() {
        assert_eq!(check_policy("short", 8), Err(PasswordError::TooShort(8)));
        assert!(check_policy("long enough", 8).is_ok());
        assert!(
            check_policy("ééééééé\u{e9}", 8).is_ok(),
            "counted in characters"
        );
        let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(check_policy(&huge, 8), Err(PasswordError::TooLong));
        assert!(hash(&huge, &FAST).is_err());
        let p = Argon2Params::from_json(&serde_json::json!({"m_kib": 4096, "t": 0, "p": 99}));
        assert_eq!(
            p,
            Argon2Params {
                m_kib: 4096,
                t: 2,
                p: 1
            }
        );
    }
}
