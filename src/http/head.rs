//! Request-head parsing with hardened limits: `parse_head(&[u8], &Limits)`.
//!
//! Two passes over the bytes of the head. The first, ours, walks the lines: it enforces the
//! size limits on partial input (so a slowloris or a flood of header bytes is refused before the
//! head is complete) and rejects what httparse would let through — bare LF, bare CR, NUL,
//! obs-fold, whitespace before the colon. The second is httparse's tokenising of the complete
//! head. Then the semantic checks: version, target form, Host, Content-Length /
//! Transfer-Encoding framing (RFC 9112 §6.3), Connection and Expect. The method policy (which
//! tokens may reach an app) is `method.rs`.
//!
//! Over 800 lines because two thirds of it are the unit tests of the head grammar.

use super::method::{check_method, is_tchar, MethodPolicy};

/// Size limits applied while a request is parsed. `Config::limits()` builds it from the flags.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request line, excluding CRLF (414 past it).
    pub max_request_line: usize,
    /// Longest header line, excluding CRLF (431 past it).
    pub max_header_line: usize,
    /// All header lines together, including their CRLFs (431 past it).
    pub max_header_bytes: usize,
    /// Number of header fields (431 past it).
    pub max_headers: usize,
    /// Largest body, declared or chunked (413 past it).
    pub max_body: u64,
    /// Longest chunk-size line including extensions (400 past it).
    pub max_chunk_line: usize,
    /// All trailer bytes of a chunked body (431 past it).
    pub max_trailer_bytes: usize,
    /// Which methods that are off by default (`TRACE`, `CONNECT`) are allowed.
    pub methods: MethodPolicy,
}

impl Default for Limits {
    fn default() -> Self {
        crate::Config::default().limits()
    }
}

/// The HTTP versions HBF speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    /// The version as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// How the body that follows the head is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// Exactly this many bytes (never 0: `Content-Length: 0` is `None`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed and validated request head.
#[derive(Clone, Debug)]
pub struct RequestHead {
    /// Method token, case preserved (`GET`, `POST`, ...).
    pub method: String,
    /// The request target exactly as sent.
    pub target: String,
    /// The path of the target (`/` for `*` and for absolute-form without a path).
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    pub version: Version,
    /// Header fields in order; names lowercased, values trimmed and decoded as Latin-1
    /// (byte-for-byte, as Node does), so no byte is lost.
    pub headers: Vec<(String, String)>,
    /// The host the request is for: the authority of an absolute-form target, else `Host`.
    /// Validated, not normalised (case and port kept).
    pub host: Option<String>,
    pub framing: BodyFraming,
    /// Whether the client allows the connection to stay open after the response.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request with a body.
    pub expect_continue: bool,
}

impl RequestHead {
    /// First value of a header (name is matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `HEAD` requests get headers only.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// Why a request head was refused. Each kind maps to one status; all of them close the
/// connection, because after a malformed head the next byte's meaning is unknown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("request line longer than {0} bytes")]
    RequestLineTooLong(usize),
    #[error("header line longer than {0} bytes")]
    HeaderLineTooLong(usize),
    #[error("request headers larger than {0} bytes")]
    HeadersTooLarge(usize),
    #[error("more than {0} header fields")]
    TooManyHeaders(usize),
    #[error("line ends with a bare LF; CRLF is required")]
    BareLf,
    #[error("bare CR in request head")]
    BareCr,
    #[error("NUL byte in request head")]
    Nul,
    #[error("obsolete line folding is not accepted")]
    ObsFold,
    #[error("whitespace between header name and colon")]
    WhitespaceBeforeColon,
    #[error("invalid header name")]
    InvalidHeaderName,
    #[error("invalid header value")]
    InvalidHeaderValue,
    #[error("malformed request line")]
    BadRequestLine,
    #[error("invalid method token")]
    InvalidMethod,
    #[error("method must be an upper-case token")]
    MethodNotUpperCase,
    #[error("method not implemented")]
    UnknownMethod,
    #[error("TRACE is not allowed")]
    TraceNotAllowed,
    #[error("invalid request target")]
    InvalidTarget,
    #[error("HTTP version not supported")]
    UnsupportedVersion,
    #[error("HTTP/1.1 request without Host header")]
    MissingHost,
    #[error("more than one Host header")]
    DuplicateHost,
    #[error("invalid Host header")]
    InvalidHost,
    #[error("invalid Content-Length")]
    InvalidContentLength,
    #[error("conflicting Content-Length headers")]
    ConflictingContentLength,
    #[error("both Content-Length and Transfer-Encoding")]
    ContentLengthWithTransferEncoding,
    #[error("Transfer-Encoding in an HTTP/1.0 request")]
    TransferEncodingInHttp10,
    #[error("chunked must be the final transfer coding, once")]
    ChunkedNotLast,
    #[error("transfer coding not implemented")]
    UnsupportedTransferCoding,
    #[error("CONNECT is not supported")]
    ConnectNotSupported,
    #[error("request body larger than {0} bytes")]
    BodyTooLarge(u64),
    #[error("unsupported expectation")]
    ExpectationFailed,
}

impl HeadError {
    /// The status code this error is answered with.
    pub fn status(&self) -> u16 {
        use HeadError::*;
        match self {
            RequestLineTooLong(_) => 414,
            HeaderLineTooLong(_) | HeadersTooLarge(_) | TooManyHeaders(_) => 431,
            UnsupportedVersion => 505,
            UnsupportedTransferCoding | ConnectNotSupported | UnknownMethod | TraceNotAllowed => {
                501
            }
            BodyTooLarge(_) => 413,
            ExpectationFailed => 417,
            _ => 400,
        }
    }

    /// A short stable label for counters (`hbf_parse_errors_total{kind=...}`).
    pub fn kind(&self) -> &'static str {
        use HeadError::*;
        match self {
            RequestLineTooLong(_) => "request_line_too_long",
            HeaderLineTooLong(_) => "header_line_too_long",
            HeadersTooLarge(_) => "headers_too_large",
            TooManyHeaders(_) => "too_many_headers",
            BareLf => "bare_lf",
            BareCr => "bare_cr",
            Nul => "nul",
            ObsFold => "obs_fold",
            WhitespaceBeforeColon => "whitespace_before_colon",
            InvalidHeaderName => "invalid_header_name",
            InvalidHeaderValue => "invalid_header_value",
            BadRequestLine => "bad_request_line",
            InvalidMethod => "invalid_method",
            MethodNotUpperCase => "method_not_upper_case",
            UnknownMethod => "unknown_method",
            TraceNotAllowed => "trace_not_allowed",
            InvalidTarget => "invalid_target",
            UnsupportedVersion => "unsupported_version",
            MissingHost => "missing_host",
            DuplicateHost => "duplicate_host",
            InvalidHost => "invalid_host",
            InvalidContentLength => "invalid_content_length",
            ConflictingContentLength => "conflicting_content_length",
            ContentLengthWithTransferEncoding => "content_length_with_transfer_encoding",
            TransferEncodingInHttp10 => "transfer_encoding_in_http10",
            ChunkedNotLast => "chunked_not_last",
            UnsupportedTransferCoding => "unsupported_transfer_coding",
            ConnectNotSupported => "connect_not_supported",
            BodyTooLarge(_) => "body_too_large",
            ExpectationFailed => "expectation_failed",
        }
    }
}

/// Parses one request head from the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed (and the bytes so far are within limits),
/// `Ok(Some((head, len)))` when the head is complete and valid (`len` bytes consumed, including
/// any empty lines before the request line), or the reason to refuse the request.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(RequestHead, usize)>, HeadError> {
    // RFC 9112 §2.2: ignore empty lines before the request line (keep-alive clients send them).
    let mut start = 0;
    while buf[start..].starts_with(b"\r\n") {
        start += 2;
        if start > limits.max_request_line {
            return Err(HeadError::RequestLineTooLong(limits.max_request_line));
        }
    }
    let Some(head_end) = scan_lines(&buf[start..], limits)? else {
        return Ok(None);
    };
    let raw = &buf[start..start + head_end];
    let request_line_end = raw.iter().position(|&b| b == b'\r').unwrap_or(raw.len());
    let version = check_request_line(&raw[..request_line_end], limits.methods)?;

    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(HeadError::BadRequestLine),
        Err(e) => return Err(map_httparse_error(e, limits)),
    }
    let method = req.method.ok_or(HeadError::InvalidMethod)?.to_owned();
    let target = req.path.ok_or(HeadError::InvalidTarget)?.to_owned();
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), latin1(trim_ows(h.value))))
        .collect();

    let (path, query, target_host) = split_target(&method, &target)?;
    let framing = body_framing(&headers, version, limits)?;
    let host = resolve_host(&headers, version, target_host)?;
    let (keep_alive, expect_continue) = connection_options(&headers, version, framing)?;

    let head = RequestHead {
        method,
        target,
        path,
        query,
        version,
        headers,
        host,
        framing,
        keep_alive,
        expect_continue,
    };
    Ok(Some((head, start + head_end)))
}

/// Walks the lines of a (possibly partial) head, enforcing limits and line syntax.
/// Returns the length of the head including the final empty line, once it is complete.
fn scan_lines(buf: &[u8], limits: &Limits) -> Result<Option<usize>, HeadError> {
    let mut pos = 0;
    let mut line_no = 0usize;
    let mut header_bytes = 0usize;
    loop {
        let (limit, too_long) = if line_no == 0 {
            (
                limits.max_request_line,
                HeadError::RequestLineTooLong(limits.max_request_line),
            )
        } else {
            (
                limits.max_header_line,
                HeadError::HeaderLineTooLong(limits.max_header_line),
            )
        };
        let rest = &buf[pos..];
        // Errors are reported in byte order, so a head refused on a prefix is refused with the
        // same status however much follows (the verdict must not depend on how TCP split it):
        // bytes past the point where a limit refuses the line are not looked at.
        let room = match line_no {
            0 => limit,
            _ => limit.min(limits.max_header_bytes.saturating_sub(header_bytes)),
        };
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            // Incomplete line: refuse as soon as it can no longer fit.
            let partial = rest.strip_suffix(b"\r").unwrap_or(rest);
            check_line_bytes(&partial[..partial.len().min(room)])?;
            if partial.len() > limit {
                return Err(too_long);
            }
            if line_no > 0 && header_bytes + partial.len() > limits.max_header_bytes {
                return Err(HeadError::HeadersTooLarge(limits.max_header_bytes));
            }
            return Ok(None);
        };
        let raw_line = &rest[..nl];
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        check_line_bytes(&line[..line.len().min(room)])?;
        if line.len() > limit {
            return Err(too_long);
        }
        if line_no > 0 && header_bytes + line.len() > limits.max_header_bytes {
            return Err(HeadError::HeadersTooLarge(limits.max_header_bytes));
        }
        if line.len() == raw_line.len() {
            return Err(HeadError::BareLf);
        }
        pos += nl + 1;
        if line_no > 0 {
            if line.is_empty() {
                return Ok(Some(pos));
            }
            header_bytes += line.len() + 2;
            if header_bytes > limits.max_header_bytes {
                return Err(HeadError::HeadersTooLarge(limits.max_header_bytes));
            }
            if line_no > limits.max_headers {
                return Err(HeadError::TooManyHeaders(limits.max_headers));
            }
            check_field_line(line)?;
        } else if line.is_empty() {
            return Err(HeadError::BadRequestLine);
        }
        line_no += 1;
    }
}

/// No CR inside a line (a CR is only allowed right before LF) and no NUL.
fn check_line_bytes(line: &[u8]) -> Result<(), HeadError> {
    for &b in line {
        match b {
            b'\r' => return Err(HeadError::BareCr),
            0 => return Err(HeadError::Nul),
            _ => {}
        }
    }
    Ok(())
}

/// `field-name ":" OWS field-value OWS`, with no fold and no space before the colon.
fn check_field_line(line: &[u8]) -> Result<(), HeadError> {
    if line[0] == b' ' || line[0] == b'\t' {
        return Err(HeadError::ObsFold);
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(HeadError::InvalidHeaderName)?;
    let name = &line[..colon];
    if name.is_empty() {
        return Err(HeadError::InvalidHeaderName);
    }
    if name.ends_with(b" ") || name.ends_with(b"\t") {
        return Err(HeadError::WhitespaceBeforeColon);
    }
    if !name.iter().all(|&b| is_tchar(b)) {
        return Err(HeadError::InvalidHeaderName);
    }
    let value = &line[colon + 1..];
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(HeadError::InvalidHeaderValue);
    }
    Ok(())
}

/// `method SP request-target SP HTTP-version`, with exactly single spaces.
fn check_request_line(line: &[u8], methods: MethodPolicy) -> Result<Version, HeadError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::BadRequestLine);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(HeadError::InvalidMethod);
    }
    if target.is_empty() {
        return Err(HeadError::InvalidTarget);
    }
    // The version before the method policy: `PRI * HTTP/2.0` (an h2 preface) is 505.
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        [b'H', b'T', b'T', b'P', b'/', major, rest @ ..]
            if major.is_ascii_digit()
                && (rest.is_empty() || matches!(rest, [b'.', minor] if minor.is_ascii_digit())) =>
        {
            return Err(HeadError::UnsupportedVersion);
        }
        _ => return Err(HeadError::BadRequestLine),
    };
    check_method(method, methods)?;
    Ok(version)
}

fn map_httparse_error(e: httparse::Error, limits: &Limits) -> HeadError {
    match e {
        httparse::Error::HeaderName => HeadError::InvalidHeaderName,
        httparse::Error::HeaderValue => HeadError::InvalidHeaderValue,
        httparse::Error::Token => HeadError::InvalidMethod,
        httparse::Error::Version => HeadError::UnsupportedVersion,
        httparse::Error::TooManyHeaders => HeadError::TooManyHeaders(limits.max_headers),
        _ => HeadError::BadRequestLine,
    }
}

/// Splits the target into path, query and (for absolute-form) the host it names.
fn split_target(
    method: &str,
    target: &str,
) -> Result<(String, Option<String>, Option<String>), HeadError> {
    if method == "CONNECT" {
        // Reached only with --allow_connect: authority-form, the app sees path `/`.
        return if valid_host(target) && target.contains(':') {
            Ok(("/".to_owned(), None, Some(target.to_owned())))
        } else {
            Err(HeadError::InvalidTarget)
        };
    }
    if target == "*" {
        return if method == "OPTIONS" {
            Ok(("*".to_owned(), None, None))
        } else {
            Err(HeadError::InvalidTarget)
        };
    }
    let (origin, host) = if target.starts_with('/') {
        (target, None)
    } else {
        let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
        let after_scheme = if lower.starts_with("http://") {
            &target[7..]
        } else if lower.starts_with("https://") {
            &target[8..]
        } else {
            return Err(HeadError::InvalidTarget);
        };
        let auth_end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
        let authority = &after_scheme[..auth_end];
        if authority.is_empty() || authority.contains('@') || !valid_host(authority) {
            return Err(HeadError::InvalidTarget);
        }
        (&after_scheme[auth_end..], Some(authority.to_owned()))
    };
    if origin.contains('#') {
        return Err(HeadError::InvalidTarget);
    }
    let (path, query) = match origin.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (origin, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok((path.to_owned(), query, host))
}

/// Content-Length / Transfer-Encoding, strictly per RFC 9112 §6: never guess.
fn body_framing(
    headers: &[(String, String)],
    version: Version,
    limits: &Limits,
) -> Result<BodyFraming, HeadError> {
    let mut length: Option<u64> = None;
    let mut codings: Vec<String> = Vec::new();
    let mut has_te = false;
    for (name, value) in headers {
        match name.as_str() {
            "content-length" => {
                let n = parse_content_length(value)?;
                if length.is_some_and(|prev| prev != n) {
                    return Err(HeadError::ConflictingContentLength);
                }
                length = Some(n);
            }
            "transfer-encoding" => {
                has_te = true;
                for coding in value.split(',') {
                    let coding = trim_ows_str(coding);
                    if coding.is_empty() {
                        continue;
                    }
                    codings.push(coding.to_ascii_lowercase());
                }
            }
            _ => {}
        }
    }
    if has_te {
        if version == Version::Http10 {
            return Err(HeadError::TransferEncodingInHttp10);
        }
        if length.is_some() {
            return Err(HeadError::ContentLengthWithTransferEncoding);
        }
        let chunked_count = codings.iter().filter(|c| *c == "chunked").count();
        return match codings.last().map(String::as_str) {
            Some("chunked") if chunked_count == 1 && codings.len() == 1 => Ok(BodyFraming::Chunked),
            Some("chunked") if chunked_count == 1 => Err(HeadError::UnsupportedTransferCoding),
            _ if chunked_count > 0 => Err(HeadError::ChunkedNotLast),
            Some(_) => Err(HeadError::UnsupportedTransferCoding),
            None => Err(HeadError::ChunkedNotLast),
        };
    }
    match length {
        None | Some(0) => Ok(BodyFraming::None),
        Some(n) if n > limits.max_body => Err(HeadError::BodyTooLarge(limits.max_body)),
        Some(n) => Ok(BodyFraming::Length(n)),
    }
}

/// `Content-Length = 1*DIGIT`, overflow-checked.
fn parse_content_length(value: &str) -> Result<u64, HeadError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeadError::InvalidContentLength);
    }
    value.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(b - b'0')))
            .ok_or(HeadError::InvalidContentLength)
    })
}

/// Exactly one valid Host for HTTP/1.1 (at most one for 1.0); absolute-form target wins.
fn resolve_host(
    headers: &[(String, String)],
    version: Version,
    target_host: Option<String>,
) -> Result<Option<String>, HeadError> {
    let mut hosts = headers.iter().filter(|(n, _)| n == "host").map(|(_, v)| v);
    let first = hosts.next();
    if hosts.next().is_some() {
        return Err(HeadError::DuplicateHost);
    }
    match first {
        None if version == Version::Http11 => return Err(HeadError::MissingHost),
        Some(h) if !h.is_empty() && !valid_host(h) => return Err(HeadError::InvalidHost),
        _ => {}
    }
    Ok(target_host.or_else(|| first.filter(|h| !h.is_empty()).cloned()))
}

/// `Connection` and `Expect`: whether to keep the connection open, and 100-continue.
fn connection_options(
    headers: &[(String, String)],
    version: Version,
    framing: BodyFraming,
) -> Result<(bool, bool), HeadError> {
    let mut close = false;
    let mut keep_alive_token = false;
    let mut expect_continue = false;
    for (name, value) in headers {
        match name.as_str() {
            "connection" => {
                for token in value.split(',') {
                    let token = trim_ows_str(token);
                    if token.eq_ignore_ascii_case("close") {
                        close = true;
                    } else if token.eq_ignore_ascii_case("keep-alive") {
                        keep_alive_token = true;
                    }
                }
            }
            // RFC 9110 §10.1.1: a 1.0 client cannot mean 100-continue; ignore it there.
            "expect" if version == Version::Http11 => {
                if value.eq_ignore_ascii_case("100-continue") {
                    expect_continue = framing != BodyFraming::None;
                } else {
                    return Err(HeadError::ExpectationFailed);
                }
            }
            _ => {}
        }
    }
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => keep_alive_token && !close,
    };
    Ok((keep_alive, expect_continue))
}

/// RFC 9110 §7.2 `Host = uri-host [ ":" port ]`: reg-name, IPv4 or `[IPv6]`, port digits ≤ 65535.
pub fn valid_host(value: &str) -> bool {
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (inside, Some(port)),
                None => return false,
            },
        }
    } else {
        match value.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (value, None),
        }
    };
    if host.is_empty() {
        return false;
    }
    let reg_name_ok = value.starts_with('[')
        || host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b));
    let port_ok = match port {
        None | Some("") => true,
        Some(p) => {
            p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        }
    };
    reg_name_ok && port_ok
}

fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &v[start..end]
}

fn trim_ows_str(v: &str) -> &str {
    v.trim_matches([' ', '\t'])
}

/// Latin-1 decoding: every byte becomes the char with the same code point. Lossless.
fn latin1(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8; the common case costs one copy.
        return String::from_utf8_lossy(bytes).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_request_line: 8192,
            max_header_line: 8192,
            max_header_bytes: 32768,
            max_headers: 100,
            max_body: 1024,
            max_chunk_line: 64,
            max_trailer_bytes: 256,
            methods: MethodPolicy::default(),
        }
    }

    fn parse(s: &str) -> Result<Option<(RequestHead, usize)>, HeadError> {
        parse_head(s.as_bytes(), &limits())
    }

    fn err(s: &str) -> HeadError {
        parse(s).expect_err("should be rejected")
    }

    fn ok(s: &str) -> RequestHead {
        parse(s).expect("valid").expect("complete").0
    }

    #[test]
    fn a_refusal_does_not_depend_on_where_the_bytes_were_split() {
        // Regression (conn fuzz target): 300 bytes of request line followed by a bare CR was
        // 414 when the first 257 bytes arrived alone and 400 (bare CR) when all arrived at once.
        let l = Limits {
            max_request_line: 256,
            ..limits()
        };
        let long = "Y".repeat(300);
        for tail in ["\r\r\n", "\0", "\n", "\r\n\r\n"] {
            let full = format!("{long}{tail}");
            let prefix = &full.as_bytes()[..257];
            let a = parse_head(prefix, &l).unwrap_err();
            let b = parse_head(full.as_bytes(), &l).unwrap_err();
            assert_eq!(a.status(), 414, "{tail:?}");
            assert_eq!(a, b, "{tail:?}");
        }
        // A header line past the header budget: 431 before its bare CR, NUL or bare LF.
        let l = Limits {
            max_header_bytes: 64,
            ..limits()
        };
        for tail in ["\r\r\n", "\0", "\n"] {
            let full = format!("GET / HTTP/1.1\r\nX: {}{tail}", "v".repeat(100));
            let a = parse_head(&full.as_bytes()[..16 + 70], &l).unwrap_err();
            let b = parse_head(full.as_bytes(), &l).unwrap_err();
            assert_eq!((a.status(), b.status()), (431, 431), "{tail:?}");
        }
    }

    #[test]
    fn simple_get() {
        let (h, n) =
            parse("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nX-A:  v \r\n\r\nrest")
                .unwrap()
                .unwrap();
        assert_eq!(n, 58);
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/a/b");
        assert_eq!(h.query.as_deref(), Some("x=1&y=2"));
        assert_eq!(h.host.as_deref(), Some("example.com"));
        assert_eq!(h.header("x-a"), Some("v"));
        assert!(h.keep_alive);
        assert_eq!(h.framing, BodyFraming::None);
    }

    #[test]
    fn partial_heads_need_more() {
        assert!(parse("GET / HTTP/1.1\r\nHost: a\r\n").unwrap().is_none());
        assert!(parse("GET / HTTP/1.1\r\nHost: a\r\n\r").unwrap().is_none());
        assert!(parse("GE").unwrap().is_none());
        assert!(parse("").unwrap().is_none());
    }

    #[test]
    fn leading_empty_lines_are_skipped() {
        let (h, n) = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.path, "/");
        assert_eq!(n, 4 + 27);
    }

    #[test]
    fn size_limits() {
        let long_target = format!("GET /{} HTTP/1.1\r\n", "a".repeat(9000));
        assert_eq!(err(&long_target).status(), 414);
        // refused before the line is complete
        assert_eq!(err(&format!("GET /{}", "a".repeat(9000))).status(), 414);
        let long_header = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "v".repeat(9000)
        );
        assert_eq!(err(&long_header), HeadError::HeaderLineTooLong(8192));
        let many = format!(
            "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
            "X: 1\r\n".repeat(100)
        );
        assert_eq!(err(&many), HeadError::TooManyHeaders(100));
        let exactly_100 = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", "X: 1\r\n".repeat(99));
        ok(&exactly_100);
        let big = format!(
            "GET / HTTP/1.1\r\nHost: a\r\n{}",
            format!("X: {}\r\n", "v".repeat(8000)).repeat(5)
        );
        assert_eq!(err(&big), HeadError::HeadersTooLarge(32768));
    }

    #[test]
    fn line_syntax_is_strict() {
        assert_eq!(err("GET / HTTP/1.1\nHost: a\n\n"), HeadError::BareLf);
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"),
            HeadError::BareCr
        );
        assert_eq!(err("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n"), HeadError::Nul);
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n"),
            HeadError::ObsFold
        );
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
            HeadError::WhitespaceBeforeColon
        );
        assert_eq!(
            err("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"),
            HeadError::InvalidHeaderName
        );
        assert_eq!(
            err("GET / HTTP/1.1\r\nnocolon\r\n\r\n"),
            HeadError::InvalidHeaderName
        );
        assert_eq!(
            err("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadError::BadRequestLine
        );
        assert_eq!(
            err("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadError::InvalidMethod
        );
        assert_eq!(err("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n").status(), 400);
    }

    #[test]
    fn method_policy_applies_to_the_request_line() {
        assert_eq!(
            err("get / HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadError::MethodNotUpperCase
        );
        assert_eq!(err("Get / HTTP/1.1\r\nHost: a\r\n\r\n").status(), 400);
        assert_eq!(
            err("FOO / HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadError::UnknownMethod
        );
        assert_eq!(err("FOO / HTTP/1.1\r\nHost: a\r\n\r\n").status(), 501);
        assert_eq!(
            err("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadError::TraceNotAllowed
        );
        assert_eq!(
            ok("PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n").method,
            "PROPFIND"
        );
        let open = Limits {
            methods: MethodPolicy {
                allow_trace: true,
                allow_connect: true,
            },
            ..limits()
        };
        let trace = parse_head(b"TRACE /t HTTP/1.1\r\nHost: a\r\n\r\n", &open);
        assert_eq!(trace.unwrap().unwrap().0.path, "/t");
        let connect = parse_head(
            b"CONNECT h.test:443 HTTP/1.1\r\nHost: h.test:443\r\n\r\n",
            &open,
        );
        let connect = connect.unwrap().unwrap().0;
        assert_eq!(
            (connect.path.as_str(), connect.host.as_deref()),
            ("/", Some("h.test:443"))
        );
        assert_eq!(
            parse_head(b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", &open).unwrap_err(),
            HeadError::InvalidTarget
        );
    }

    #[test]
    fn versions() {
        assert_eq!(err("GET / HTTP/2.0\r\nHost: a\r\n\r\n").status(), 505);
        assert_eq!(err("GET / HTTP/1.2\r\nHost: a\r\n\r\n").status(), 505);
        assert_eq!(err("GET / HTTP/3\r\nHost: a\r\n\r\n").status(), 505);
        assert_eq!(err("GET / http/1.1\r\nHost: a\r\n\r\n").status(), 400);
        let h = ok("GET / HTTP/1.0\r\n\r\n");
        assert_eq!(h.version, Version::Http10);
        assert!(!h.keep_alive);
        assert!(ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(!ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
    }

    #[test]
    fn host_rules() {
        assert_eq!(err("GET / HTTP/1.1\r\n\r\n"), HeadError::MissingHost);
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
            HeadError::DuplicateHost
        );
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: localhost:8o8o\r\n\r\n"),
            HeadError::InvalidHost
        );
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            HeadError::InvalidHost
        );
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: a:70000\r\n\r\n"),
            HeadError::InvalidHost
        );
        assert_eq!(
            ok("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
                .host
                .as_deref(),
            Some("[::1]:8080")
        );
        assert_eq!(ok("GET / HTTP/1.1\r\nHost: \r\n\r\n").host, None);
        let h = ok("GET http://Other.example:81/p?q HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(h.host.as_deref(), Some("Other.example:81"));
        assert_eq!(h.path, "/p");
        assert_eq!(h.query.as_deref(), Some("q"));
        assert_eq!(
            ok("GET https://x.test HTTP/1.1\r\nHost: x.test\r\n\r\n").path,
            "/"
        );
        assert_eq!(
            err("GET http://u@x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            HeadError::InvalidTarget
        );
        assert_eq!(
            err("GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            HeadError::InvalidTarget
        );
        assert_eq!(ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").path, "*");
        assert_eq!(
            err("GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
            HeadError::InvalidTarget
        );
        assert_eq!(
            err("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n").status(),
            501
        );
    }

    #[test]
    fn content_length_rules() {
        let h = ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Length(10));
        assert_eq!(
            ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").framing,
            BodyFraming::None
        );
        ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            HeadError::ConflictingContentLength
        );
        for bad in ["+5", "-1", "5 5", "0x10", "", "5,5", "1.0"] {
            let req = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {bad}\r\n\r\n");
            assert_eq!(err(&req), HeadError::InvalidContentLength, "{bad:?}");
        }
        let overflow =
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(err(overflow), HeadError::InvalidContentLength);
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n").status(),
            413
        );
        ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n");
    }

    #[test]
    fn transfer_encoding_rules() {
        let h = ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(h.framing, BodyFraming::Chunked);
        ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HeadError::ContentLengthWithTransferEncoding
        );
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n").status(),
            501
        );
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status(),
            501
        );
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").status(),
            400
        );
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
                .status(),
            400
        );
        assert_eq!(
            err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n").status(),
            400
        );
        assert_eq!(
            err("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HeadError::TransferEncodingInHttp10
        );
    }

    #[test]
    fn expectations() {
        let h =
            ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        assert!(h.expect_continue);
        assert!(!ok("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").expect_continue);
        assert_eq!(
            err("GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n").status(),
            417
        );
        ok("GET / HTTP/1.0\r\nExpect: teapot\r\n\r\n");
    }

    #[test]
    fn header_values_keep_every_byte() {
        let mut raw = b"GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf".to_vec();
        raw.push(0xe9);
        raw.extend_from_slice(b"\r\n\r\n");
        let (h, _) = parse_head(&raw, &limits()).unwrap().unwrap();
        assert_eq!(h.header("x-latin"), Some("caf\u{e9}"));
    }
}
