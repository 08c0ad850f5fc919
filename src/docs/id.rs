//! Document ids: hierarchical paths such as `pages/home` or `posts/2026/hello`.
//!
//! An id is 1..=`max_id_bytes` bytes of UTF-8 (any script), split by `/` into at most
//! `max_depth` segments; no segment is empty (so no leading, trailing or doubled `/`), `.` or
//! `..`, and no character is a control character or a backslash.

use super::{DocError, Limits};

/// Checks an id against the henv's limits; the error says what is wrong.
pub fn validate(id: &str, limits: &Limits) -> Result<(), DocError> {
    let bad = |m: String| Err(DocError::BadId(m));
    if id.is_empty() {
        return bad("the id is empty".into());
    }
    if id.len() > limits.max_id_bytes {
        return bad(format!(
            "{} bytes long; documents_max_id_bytes is {}",
            id.len(),
            limits.max_id_bytes
        ));
    }
    let depth = id.split('/').count();
    if depth > limits.max_depth {
        return bad(format!(
            "{depth} segments; documents_max_depth is {}",
            limits.max_depth
        ));
    }
    for seg in id.split('/') {
        match seg {
            "" => return bad("empty segment (leading, trailing or doubled '/')".into()),
            "." | ".." => return bad("'.' and '..' segments are not allowed".into()),
            _ => {}
        }
    }
    if let Some(c) = id.chars().find(|c| c.is_control() || *c == '\\') {
        return bad(format!("character {c:?} is not allowed"));
    }
    Ok(())
}

/// Checks a prefix for listing: empty, or an id optionally followed by `/`.
pub fn validate_prefix(prefix: &str, limits: &Limits) -> Result<(), DocError> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.is_empty() {
        return if prefix.is_empty() {
            Ok(())
        } else {
            Err(DocError::BadId(
                "prefix '/' matches nothing; leave it out".into(),
            ))
        };
    }
    validate(trimmed, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        let l = Limits::default();
        for ok in [
            "a",
            "pages/home",
            "posts/2026/hello",
            "ünï/cødé/日本",
            "a b/c.d",
        ] {
            assert!(validate(ok, &l).is_ok(), "{ok}");
        }
        for bad in [
            "", "/a", "a/", "a//b", "a/../b", ".", "..", "a\\b", "a\nb", "a\0b",
        ] {
            assert!(validate(bad, &l).is_err(), "{bad:?}");
        }
        let deep = vec!["x"; 17].join("/");
        assert!(validate(&deep, &l).is_err());
        let long = "x".repeat(513);
        assert!(validate(&long, &l).is_err());
        assert!(validate_prefix("", &l).is_ok());
        assert!(validate_prefix("posts/", &l).is_ok());
        assert!(validate_prefix("/", &l).is_err());
    }
}
