//! Hostname → henv file name: `dns_safe_hash` and hostname normalisation.
//!
//! A henv's file is `{storage_dir}/{hash}.db`, where `hash` is the 8 least-significant base-36
//! digits (alphabet `0-9a-z`) of SHA-256(hostname) read as a big-endian integer, left-padded
//! with `0`. 36^8 ≈ 2.8e12 names: collisions are possible in principle, so the registry
//! refuses a second hostname with a taken hash rather than sharing a file.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// Digits in a henv hash.
pub const HASH_LEN: usize = 8;

/// The henv hash of an already-normalised hostname.
pub fn dns_safe_hash(hostname: &str) -> String {
    let digest = Sha256::digest(hostname.as_bytes());
    // n mod 36^8 of the 256-bit big-endian integer, by Horner's rule over the bytes.
    let modulus: u64 = 36u64.pow(HASH_LEN as u32);
    let mut rem: u64 = 0;
    for &byte in digest.iter() {
        rem = ((u128::from(rem) * 256 + u128::from(byte)) % u128::from(modulus)) as u64;
    }
    let mut out = [b'0'; HASH_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(rem % 36) as usize];
        rem /= 36;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// Why a hostname cannot name a henv.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostnameError {
    #[error("hostname is empty")]
    Empty,
    #[error("hostname longer than 253 characters")]
    TooLong,
    #[error("hostname label {0:?} is empty or longer than 63 characters")]
    BadLabel(String),
    #[error("hostname contains {0:?}; only letters, digits, '-' and '.' are allowed")]
    BadChar(char),
    #[error("hostname label {0:?} starts or ends with '-'")]
    BadHyphen(String),
}

/// Lowercases, strips a port and a trailing dot, and checks the DNS syntax.
/// IP literals (`127.0.0.1`, `[::1]`) are accepted as they are, for local development.
pub fn normalize_hostname(raw: &str) -> Result<String, HostnameError> {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix('[') {
        let inside = rest.split(']').next().unwrap_or("");
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(HostnameError::BadChar('['));
        }
        return Ok(format!("[{}]", inside.to_ascii_lowercase()));
    }
    let host = raw.rsplit_once(':').map_or(raw, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            raw
        }
    });
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if host.is_empty() {
        return Err(HostnameError::Empty);
    }
    if host.len() > 253 {
        return Err(HostnameError::TooLong);
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(HostnameError::BadChar(c));
    }
    for label in host.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(HostnameError::BadLabel(label.to_owned()));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(HostnameError::BadHyphen(label.to_owned()));
        }
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_vectors() {
        assert_eq!(dns_safe_hash("myapp"), "5h9h66rt");
        assert_eq!(dns_safe_hash("localhost"), "w8f5ws4j");
        assert_eq!(dns_safe_hash("example.com"), "a12bws3r");
    }

    #[test]
    fn hashes_are_dns_safe() {
        for name in [
            "a",
            "b.example",
            "x-y.z",
            "0",
            "very.long.host.name.example.org",
        ] {
            let h = dns_safe_hash(name);
            assert_eq!(h.len(), HASH_LEN);
            assert!(h.bytes().all(|b| ALPHABET.contains(&b)), "{h}");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize_hostname("MyApp.Example.COM.").unwrap(),
            "myapp.example.com"
        );
        assert_eq!(normalize_hostname("localhost:5309").unwrap(), "localhost");
        assert_eq!(normalize_hostname("127.0.0.1:80").unwrap(), "127.0.0.1");
        assert_eq!(normalize_hostname("[::1]:8080").unwrap(), "[::1]");
        assert_eq!(normalize_hostname(""), Err(HostnameError::Empty));
        assert!(matches!(
            normalize_hostname("a_b.com"),
            Err(HostnameError::BadChar('_'))
        ));
        assert!(matches!(
            normalize_hostname("a..b"),
            Err(HostnameError::BadLabel(_))
        ));
        assert!(matches!(
            normalize_hostname("-a.com"),
            Err(HostnameError::BadHyphen(_))
        ));
        assert!(matches!(
            normalize_hostname(&"a".repeat(64)),
            Err(HostnameError::BadLabel(_))
        ));
    }
}
