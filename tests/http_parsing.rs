//! The HTTP/1.1 parser seen from the wire: every refusal has its status, a JSON error body and
//! closes the connection; every accepted form reaches the handler intact.

mod common;

use common::*;

/// Asserts `raw` is refused with `status`, a JSON error body, `Connection: close`, and that the
/// connection is then closed.
fn assert_refused(srv: &TestServer, raw: &[u8], status: u16) -> Resp {
    let resp = refused_and_closed(srv.addr, raw);
    resp.assert_json_error(status);
    resp
}

fn with_header(line: &str) -> Vec<u8> {
    format!("GET /hello HTTP/1.1\r\nHost: test\r\n{line}\r\n\r\n").into_bytes()
}

#[test]
fn request_line_over_8k_is_414() {
    let srv = start_default();
    let raw = format!("GET /{} HTTP/1.1\r\nHost: test\r\n\r\n", "a".repeat(9000));
    assert_refused(&srv, raw.as_bytes(), 414);
    // Refused while the line is still incomplete, too.
    let partial = format!("GET /{}", "a".repeat(9000));
    assert_refused(&srv, partial.as_bytes(), 414);
}

#[test]
fn header_line_over_8k_is_431() {
    let srv = start_default();
    assert_refused(
        &srv,
        &with_header(&format!("X-Big: {}", "v".repeat(9000))),
        431,
    );
}

#[test]
fn headers_over_32k_in_total_are_431() {
    let srv = start_default();
    let lines: Vec<String> = (0..5)
        .map(|i| format!("X-Part-{i}: {}", "v".repeat(7000)))
        .collect();
    assert_refused(&srv, &with_header(&lines.join("\r\n")), 431);
}

#[test]
fn more_than_100_headers_are_431_and_100_are_fine() {
    let srv = start_default();
    // Host + 100 more = 101 fields.
    let lines: Vec<String> = (0..100).map(|i| format!("X-H{i}: {i}")).collect();
    assert_refused(&srv, &with_header(&lines.join("\r\n")), 431);
    // Host + 99 = exactly 100 fields.
    let resp = srv
        .client()
        .request(&with_header(&lines[..99].join("\r\n")));
    assert_eq!(resp.status, 200, "{resp:?}");
}

#[test]
fn invalid_content_length_is_400() {
    let srv = start_default();
    for bad in ["+5", "5x", "-1", "99999999999999999999999999999"] {
        let raw =
            format!("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {bad}\r\n\r\nhello");
        assert_refused(&srv, raw.as_bytes(), 400);
    }
}

#[test]
fn conflicting_content_lengths_are_400_and_equal_ones_are_accepted() {
    let srv = start_default();
    let raw =
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
    assert_refused(&srv, raw.as_bytes(), 400);
    let same =
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello";
    let resp = srv.client().request(same.as_bytes());
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello"[..]));
}

#[test]
fn content_length_with_transfer_encoding_is_400() {
    let srv = start_default();
    let raw = "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\
               Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_refused(&srv, raw.as_bytes(), 400);
}

#[test]
fn body_over_limit_is_413_before_the_body_is_sent() {
    let srv = start(|c| c.max_body_bytes = 1024);
    // Only the head is sent: the 413 must not wait for the body.
    let head = "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n";
    assert_refused(&srv, head.as_bytes(), 413);
    // Same with Expect: 100-continue: a 413 instead of the 100.
    let expect = "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1025\r\n\
                  Expect: 100-continue\r\n\r\n";
    assert_refused(&srv, expect.as_bytes(), 413);
    // A chunked body that grows past the limit.
    let chunked = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n";
    assert_refused(&srv, chunked.as_bytes(), 413);
    // At the limit it is fine.
    let body = vec![b'x'; 1024];
    let resp = srv.client().request(&post("/echo", &body));
    assert_eq!((resp.status, resp.body.len()), (200, 1024));
}

#[test]
fn chunked_body_is_decoded_with_extensions_and_trailers() {
    let srv = start_default();
    let mut c = srv.client();
    let raw = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
               5;name=value\r\nhello\r\n\
               6;quoted=\"a b\";flag\r\n world\r\n\
               A\r\n, chunked!\r\n\
               0;last\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n";
    let resp = c.request(raw.as_bytes());
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(resp.text(), "hello world, chunked!");
    assert_eq!(resp.header("x-transfer-encoding"), Some("chunked"));
    assert!(!resp.says_close());
    // The connection stays usable: the decoder stopped exactly at the end of the body.
    let resp = c.request(&get("/hello"));
    assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
    // An empty chunked body.
    let empty = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let resp = c.request(empty.as_bytes());
    assert_eq!((resp.status, resp.body.len()), (200, 0));
}

#[test]
fn malformed_chunked_framing_is_400() {
    let srv = start_default();
    let head = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    for body in [
        "\r\nhello\r\n0\r\n\r\n",                // empty size line
        "fffffffffffffffffff\r\nx\r\n0\r\n\r\n", // size overflows u64
        "5\nhello\r\n0\r\n\r\n",                 // bare LF after the size
        "5\r\nhello\n0\r\n\r\n",                 // bare LF after the data
        "5\r\nhelloX\r\n0\r\n\r\n",              // data longer than announced
        "zz\r\nhello\r\n0\r\n\r\n",              // not hex
        "0\r\n\n",                               // bare LF ending the message
    ] {
        let resp = assert_refused(&srv, format!("{head}{body}").as_bytes(), 400);
        assert!(resp.text().contains("chunk"), "{body:?}: {}", resp.text());
    }
}

#[test]
fn unknown_transfer_coding_is_501() {
    let srv = start_default();
    for te in ["gzip", "gzip, chunked"] {
        let raw = format!("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: {te}\r\n\r\n");
        assert_refused(&srv, raw.as_bytes(), 501);
    }
}

#[test]
fn malformed_header_lines_are_400() {
    let srv = start_default();
    let cases: [(&str, &[u8]); 7] = [
        (
            "obs-fold",
            b"GET /hello HTTP/1.1\r\nHost: test\r\nX-A: one\r\n  two\r\n\r\n",
        ),
        (
            "bare CR",
            b"GET /hello HTTP/1.1\r\nHost: test\r\nX-A: one\rtwo\r\n\r\n",
        ),
        (
            "NUL",
            b"GET /hello HTTP/1.1\r\nHost: test\r\nX-A: one\0two\r\n\r\n",
        ),
        (
            "space before colon",
            b"GET /hello HTTP/1.1\r\nHost: test\r\nX-A : one\r\n\r\n",
        ),
        (
            "invalid name",
            b"GET /hello HTTP/1.1\r\nHost: test\r\nX@A: one\r\n\r\n",
        ),
        (
            "no colon",
            b"GET /hello HTTP/1.1\r\nHost: test\r\nNoColonHere\r\n\r\n",
        ),
        ("bare LF", b"GET /hello HTTP/1.1\nHost: test\n\n"),
    ];
    for (what, raw) in cases {
        let resp = refused_and_closed(srv.addr, raw);
        assert_eq!(resp.status, 400, "{what}: {resp:?}");
        resp.assert_json_error(400);
    }
}

#[test]
fn host_rules_for_http11() {
    let srv = start_default();
    assert_refused(&srv, b"GET /hello HTTP/1.1\r\n\r\n", 400);
    assert_refused(
        &srv,
        b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        400,
    );
    assert_refused(
        &srv,
        b"GET /hello HTTP/1.1\r\nHost: localhost:8o8o\r\n\r\n",
        400,
    );
    let resp = srv
        .client()
        .request(b"GET /echo HTTP/1.1\r\nHost: localhost:8080\r\n\r\n");
    assert_eq!(
        (resp.status, resp.header("x-host")),
        (200, Some("localhost:8080"))
    );
}

#[test]
fn http10_without_host_works_and_closes() {
    let srv = start_default();
    let mut c = srv.client();
    let resp = c.request(b"GET /hello HTTP/1.0\r\n\r\n");
    assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
    assert_eq!(resp.version, "HTTP/1.0");
    assert!(resp.says_close(), "{resp:?}");
    c.expect_closed();
}

#[test]
fn http10_keep_alive_when_asked() {
    let srv = start_default();
    let mut c = srv.client();
    for _ in 0..3 {
        let resp = c.request(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert_eq!((resp.status, resp.version.as_str()), (200, "HTTP/1.0"));
        assert_eq!(
            resp.header("connection")
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("keep-alive")
        );
    }
    let resp = c.request(b"GET /hello HTTP/1.0\r\n\r\n");
    assert!(resp.says_close());
    c.expect_closed();
    assert_eq!(
        srv.metrics()
            .connections_opened
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn unsupported_versions_are_505() {
    let srv = start_default();
    assert_refused(&srv, b"GET /hello HTTP/2.0\r\nHost: test\r\n\r\n", 505);
    assert_refused(&srv, b"GET /hello HTTP/1.2\r\nHost: test\r\n\r\n", 505);
    assert_refused(&srv, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
}

#[test]
fn absolute_form_target_is_accepted() {
    let srv = start_default();
    let raw = "GET http://example.com:8080/echo?x=1&y=2 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n";
    let resp = srv.client().request(raw.as_bytes());
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(resp.header("x-path"), Some("/echo"));
    assert_eq!(resp.header("x-query"), Some("x=1&y=2"));
    assert_eq!(resp.header("x-host"), Some("example.com:8080"));
}

#[test]
fn expect_100_continue_comes_before_the_body() {
    let srv = start_default();
    let mut c = srv.client();
    c.send(
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n",
    );
    let interim = c.read_response();
    assert_eq!(
        (interim.version.as_str(), interim.status),
        ("HTTP/1.1", 100),
        "{interim:?}"
    );
    assert_eq!(interim.reason, "Continue");
    assert!(interim.headers.is_empty(), "{interim:?}");
    assert!(
        c.buf.is_empty(),
        "nothing may follow the 100 before the body is sent"
    );
    c.send(b"hello world");
    let resp = c.read_response();
    assert_eq!((resp.status, resp.text().as_str()), (200, "hello world"));
    assert!(!resp.says_close());
    // Still a keep-alive connection.
    let resp = c.request(&get("/hello"));
    assert_eq!(resp.status, 200);
}

#[test]
fn unknown_expectation_is_417() {
    let srv = start_default();
    assert_refused(
        &srv,
        b"GET /hello HTTP/1.1\r\nHost: test\r\nExpect: foo\r\n\r\n",
        417,
    );
    let raw = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nExpect: foo\r\n\r\nhi";
    assert_refused(&srv, raw, 417);
}

#[test]
fn head_gets_headers_with_length_and_no_body() {
    let srv = start_default();
    let mut c = srv.client();
    // HEAD then GET in one write: if HEAD leaked a body, the GET's response would be garbled.
    let mut raw = b"HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n".to_vec();
    raw.extend_from_slice(&get("/hello"));
    raw.extend_from_slice(b"HEAD /_hbf/health HTTP/1.1\r\nHost: test\r\n\r\n");
    raw.extend_from_slice(&get_close("/hello"));
    c.send(&raw);
    let head = c.read_head_response();
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("5"))
    );
    assert!(head.body.is_empty());
    let full = c.read_response();
    assert_eq!((full.status, full.text().as_str()), (200, "hello"));
    let health = c.read_head_response();
    assert_eq!(health.status, 200);
    assert!(health
        .header("content-length")
        .is_some_and(|n| n.parse::<usize>().unwrap() > 0));
    let last = c.read_response();
    assert_eq!((last.status, last.text().as_str()), (200, "hello"));
    c.expect_closed();
}

#[test]
fn no_content_has_no_length_and_no_body() {
    let srv = start_default();
    let mut c = srv.client();
    let mut raw = get("/nocontent");
    raw.extend_from_slice(&get_close("/hello"));
    c.send(&raw);
    let resp = c.read_response();
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("x-nocontent"), Some("yes"));
    assert!(!resp.has_header("content-length"), "{resp:?}");
    assert!(!resp.has_header("transfer-encoding"), "{resp:?}");
    let next = c.read_response();
    assert_eq!(
        (next.status, next.text().as_str()),
        (200, "hello"),
        "204 leaked a body"
    );
    c.expect_closed();
}

#[test]
fn date_and_server_headers_are_present() {
    let srv = start_default();
    let mut c = srv.client();
    for raw in [get("/hello"), get("/_hbf/health"), get("/missing")] {
        let resp = c.request(&raw);
        let date = resp.header("date").expect("Date header");
        assert!(httpdate::parse_http_date(date).is_ok(), "bad Date {date:?}");
        assert_eq!(resp.header("server"), Some("hbf"));
        assert_eq!(resp.header_all("date").len(), 1);
    }
    // Errors written by the parser carry them too.
    let resp = refused_and_closed(srv.addr, b"GET /hello HTTP/1.1\r\n\r\n");
    assert!(
        resp.has_header("date") && resp.header("server") == Some("hbf"),
        "{resp:?}"
    );
}

#[test]
fn unknown_route_is_a_json_404() {
    let srv = start_default();
    let resp = srv.client().request(&get("/no/such/route"));
    resp.assert_json_error(404);
    assert!(!resp.says_close());
}

#[test]
fn builtins_refuse_other_methods() {
    let srv = start_default();
    let mut c = srv.client();
    let resp = c.request(&post("/_hbf/health", b"x"));
    resp.assert_json_error(405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD"));
}

#[test]
fn connect_is_501() {
    let srv = start_default();
    assert_refused(
        &srv,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        501,
    );
}

#[test]
fn methods_are_case_sensitive_tokens_refused_before_the_handler() {
    let srv = start_default();
    for (method, status) in [
        ("get", 400),
        ("Get", 400),
        ("post", 400),
        ("FOO", 501),
        ("BREW", 501),
        ("TRACE", 501),
    ] {
        let raw = format!("{method} /echo HTTP/1.1\r\nHost: test\r\n\r\n");
        assert_refused(&srv, raw.as_bytes(), status);
    }
    assert_eq!(
        srv.probe.started(),
        0,
        "no refused method reached the handler"
    );
    // Methods Node knows still reach it, case preserved.
    let resp = srv
        .client()
        .request(b"PROPFIND /echo HTTP/1.1\r\nHost: test\r\n\r\n");
    assert_eq!(resp.header("x-method"), Some("PROPFIND"));
}

#[test]
fn trace_and_connect_reach_the_handler_only_with_their_flags() {
    let srv = start(|c| {
        c.allow_trace = true;
        c.allow_connect = true;
    });
    let mut c = srv.client();
    let resp = c.request(b"TRACE /echo HTTP/1.1\r\nHost: test\r\n\r\n");
    assert_eq!(resp.header("x-method"), Some("TRACE"));
    let resp = c.request(b"CONNECT test:443 HTTP/1.1\r\nHost: test:443\r\n\r\n");
    assert_eq!(resp.status, 404, "CONNECT reaches the handler (path /)");
    assert_eq!(srv.probe.started(), 2);
}

#[test]
fn chunk_lines_follow_the_rfc_9112_grammar() {
    let srv = start_default();
    let head = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    for line in [
        "5 ", "5\t", "5;", "5; ", "5;;a", "5;a ", "5;a=", "5;=v", "5 x",
    ] {
        let raw = format!("{head}{line}\r\nhello\r\n0\r\n\r\n");
        let resp = assert_refused(&srv, raw.as_bytes(), 400);
        assert!(resp.text().contains("chunk"), "{line:?}: {}", resp.text());
    }
    let mut c = srv.client();
    for line in ["5 ;a", "5;a = \"b c\"", "5;a=b;c"] {
        let resp = c.request(format!("{head}{line}\r\nhello\r\n0\r\n\r\n").as_bytes());
        assert_eq!(
            (resp.status, resp.text().as_str()),
            (200, "hello"),
            "{line:?}"
        );
    }
}
