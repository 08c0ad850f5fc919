//! Request-method policy: which method tokens may reach an app.
//!
//! Methods are case-sensitive tokens (RFC 9110 §9.1). HBF answers only the methods Node's
//! `http.METHODS` knows (the ones express.js can route), refuses the rest before any app code
//! runs, and keeps `TRACE` (reflects credentials back, cross-site tracing) and `CONNECT` (a
//! tunnel HBF does not provide) off unless a flag turns them on. Following nginx, a method that
//! is a token but not upper case (`get`, `Get`) is a malformed request (400), while a
//! well-formed upper-case method HBF does not implement (`FOO`) is 501.

use super::head::HeadError;

/// The methods HBF accepts: Node's `http.METHODS`, sorted (binary search).
pub const KNOWN_METHODS: &[&str] = &[
    "ACL",
    "BIND",
    "CHECKOUT",
    "CONNECT",
    "COPY",
    "DELETE",
    "GET",
    "HEAD",
    "LINK",
    "LOCK",
    "M-SEARCH",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MOVE",
    "NOTIFY",
    "OPTIONS",
    "PATCH",
    "POST",
    "PROPFIND",
    "PROPPATCH",
    "PURGE",
    "PUT",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "SOURCE",
    "SUBSCRIBE",
    "TRACE",
    "UNBIND",
    "UNLINK",
    "UNLOCK",
    "UNSUBSCRIBE",
];

/// Which of the methods that are off by default are allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MethodPolicy {
    /// Let `TRACE` requests reach the app (`--allow_trace`).
    pub allow_trace: bool,
    /// Let `CONNECT` requests (authority-form target) reach the app (`--allow_connect`).
    pub allow_connect: bool,
}

/// Checks the method token of a request line against the policy.
pub fn check_method(method: &[u8], policy: MethodPolicy) -> Result<(), HeadError> {
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(HeadError::InvalidMethod);
    }
    if !method
        .iter()
        .all(|&b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
    {
        return Err(HeadError::MethodNotUpperCase);
    }
    let known = std::str::from_utf8(method)
        .ok()
        .filter(|m| KNOWN_METHODS.binary_search(m).is_ok());
    match known {
        None => Err(HeadError::UnknownMethod),
        Some("TRACE") if !policy.allow_trace => Err(HeadError::TraceNotAllowed),
        Some("CONNECT") if !policy.allow_connect => Err(HeadError::ConnectNotSupported),
        Some(_) => Ok(()),
    }
}

/// RFC 9110 §5.6.2 token characters.
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(m: &str) -> Result<(), HeadError> {
        check_method(m.as_bytes(), MethodPolicy::default())
    }

    #[test]
    fn the_list_is_sorted_and_upper_case() {
        assert!(KNOWN_METHODS.windows(2).all(|w| w[0] < w[1]));
        assert!(KNOWN_METHODS
            .iter()
            .all(|m| !m.bytes().any(|b| b.is_ascii_lowercase())));
    }

    #[test]
    fn known_methods_pass() {
        for m in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "M-SEARCH", "PROPFIND",
        ] {
            assert_eq!(check(m), Ok(()), "{m}");
        }
    }

    #[test]
    fn lower_and_mixed_case_are_malformed() {
        for m in ["get", "Get", "gET", "post", "m-search"] {
            let e = check(m).unwrap_err();
            assert_eq!(
                (e.clone(), e.status()),
                (HeadError::MethodNotUpperCase, 400),
                "{m}"
            );
        }
    }

    #[test]
    fn unknown_upper_case_methods_are_not_implemented() {
        for m in ["FOO", "GETS", "BREW", "PRI", "HTTP_METHOD"] {
            let e = check(m).unwrap_err();
            assert_eq!(
                (e.clone(), e.status()),
                (HeadError::UnknownMethod, 501),
                "{m}"
            );
        }
    }

    #[test]
    fn trace_and_connect_need_their_flag() {
        assert_eq!(check("TRACE").unwrap_err().status(), 501);
        assert_eq!(check("CONNECT").unwrap_err().status(), 501);
        let open = MethodPolicy {
            allow_trace: true,
            allow_connect: true,
        };
        assert_eq!(check_method(b"TRACE", open), Ok(()));
        assert_eq!(check_method(b"CONNECT", open), Ok(()));
    }

    #[test]
    fn non_tokens_are_invalid() {
        for m in ["G@T", "GE T", "", "GET(", "G\u{e9}T"] {
            assert_eq!(check(m), Err(HeadError::InvalidMethod), "{m:?}");
        }
    }
}
