//! Responses and their encoding to bytes.
//!
//! Handlers build a `Response`; only the encoder writes the framing headers (`Content-Length`,
//! `Connection`, `Date`), so no handler can produce a response whose framing disagrees with its
//! body. Header names and values that would split the response (CR, LF, NUL, non-token names)
//! are dropped, never written.

use super::Version;

/// A response as produced by a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Extra header fields, in order. Framing headers set here are ignored by the encoder.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with this status.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        let mut body = value.to_string().into_bytes();
        body.push(b'\n');
        Response::new(status)
            .with_header("Content-Type", "application/json")
            .with_body(body)
    }

    /// A JSON error body `{"error": message, "status": status}`.
    pub fn error(status: u16, message: &str) -> Self {
        Response::json(
            status,
            &serde_json::json!({ "error": message, "status": status }),
        )
    }

    /// Plain text.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(text.into().into_bytes())
    }

    pub fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this status is sent without a body (RFC 9110 §6.4.1).
    pub fn status_forbids_body(status: u16) -> bool {
        (100..200).contains(&status) || status == 204 || status == 304
    }
}

/// How the loop wants a response framed.
#[derive(Clone, Copy, Debug)]
pub struct EncodeOptions<'a> {
    /// Version of the request line being answered.
    pub version: Version,
    /// A HEAD request: headers as for GET, no body.
    pub head_only: bool,
    /// Keep the connection open after this response.
    pub keep_alive: bool,
    /// The current `Date` value (the loop caches it per second).
    pub date: &'a str,
    /// Add `Server: hbf`.
    pub server_header: bool,
}

/// Appends the wire form of `resp` to `out`. Returns the number of body bytes written.
pub fn encode_response(resp: &Response, opts: &EncodeOptions<'_>, out: &mut Vec<u8>) -> usize {
    let status = if (100..=999).contains(&resp.status) {
        resp.status
    } else {
        500
    };
    let no_body = Response::status_forbids_body(status);
    out.reserve(128 + resp.body.len());
    out.extend_from_slice(opts.version.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\nDate: ");
    out.extend_from_slice(opts.date.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut has_server = false;
    for (name, value) in &resp.headers {
        if is_framing_header(name) || !header_is_safe(name, value) {
            continue;
        }
        has_server |= name.eq_ignore_ascii_case("server");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if opts.server_header && !has_server {
        out.extend_from_slice(b"Server: hbf\r\n");
    }
    if !no_body {
        // A HEAD response may carry the length the GET body would have (the app computed it
        // and sent no body); anywhere else the length is always the real body's.
        let declared = resp
            .header("content-length")
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .filter(|_| opts.head_only && resp.body.is_empty());
        out.extend_from_slice(b"Content-Length: ");
        match declared {
            Some(v) => out.extend_from_slice(v.as_bytes()),
            None => out.extend_from_slice(resp.body.len().to_string().as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
    }
    match (opts.keep_alive, opts.version) {
        (false, _) => out.extend_from_slice(b"Connection: close\r\n"),
        (true, Version::Http10) => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        (true, Version::Http11) => {}
    }
    out.extend_from_slice(b"\r\n");
    if no_body || opts.head_only {
        return 0;
    }
    out.extend_from_slice(&resp.body);
    resp.body.len()
}

/// Headers only the encoder may write.
fn is_framing_header(name: &str) -> bool {
    [
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "date",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn header_is_safe(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value
            .bytes()
            .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// The standard reason phrase of a status code ("" for unknown codes).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(resp: &Response, head_only: bool, keep_alive: bool, version: Version) -> String {
        let opts = EncodeOptions {
            version,
            head_only,
            keep_alive,
            date: "Wed, 25 Nov 2026 20:00:00 GMT",
            server_header: true,
        };
        let mut out = Vec::new();
        encode_response(resp, &opts, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn frames_a_body() {
        let r = Response::text(200, "hi");
        assert_eq!(
            encode(&r, false, true, Version::Http11),
            "HTTP/1.1 200 OK\r\nDate: Wed, 25 Nov 2026 20:00:00 GMT\r\n\
             Content-Type: text/plain; charset=utf-8\r\nServer: hbf\r\nContent-Length: 2\r\n\r\nhi"
        );
    }

    #[test]
    fn head_keeps_length_but_drops_body() {
        let s = encode(&Response::text(200, "hello"), true, false, Version::Http11);
        assert!(s.contains("Content-Length: 5\r\n"));
        assert!(s.contains("Connection: close\r\n"));
        assert!(s.ends_with("\r\n\r\n"));
    }

    #[test]
    fn head_may_declare_the_get_length() {
        let r = Response::new(200).with_header("Content-Length", "1234");
        assert!(encode(&r, true, true, Version::Http11).contains("Content-Length: 1234\r\n"));
        let r = Response::text(200, "abc").with_header("Content-Length", "1234");
        assert!(encode(&r, false, true, Version::Http11).contains("Content-Length: 3\r\n"));
    }

    #[test]
    fn no_body_statuses() {
        for status in [204, 304] {
            let s = encode(&Response::text(status, "x"), false, true, Version::Http11);
            assert!(!s.contains("Content-Length"), "{s}");
            assert!(s.ends_with("\r\n\r\n"));
        }
    }

    #[test]
    fn http10_keep_alive_is_explicit() {
        let s = encode(&Response::new(200), false, true, Version::Http10);
        assert!(s.starts_with("HTTP/1.0 200 OK\r\n"));
        assert!(s.contains("Connection: keep-alive\r\n"));
    }

    #[test]
    fn handler_cannot_break_framing() {
        let r = Response::text(200, "abc")
            .with_header("Content-Length", "999")
            .with_header("Transfer-Encoding", "chunked")
            .with_header("X-Split", "a\r\nInjected: 1")
            .with_header("Bad Name", "v")
            .with_header("X-Ok", "fine");
        let s = encode(&r, false, true, Version::Http11);
        assert!(s.contains("Content-Length: 3\r\n"));
        assert!(!s.contains("999") && !s.contains("chunked") && !s.contains("Injected"));
        assert!(!s.contains("Bad Name"));
        assert!(s.contains("X-Ok: fine\r\n"));
    }
}
