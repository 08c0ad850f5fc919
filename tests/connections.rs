//! Connection handling: pipelining, keep-alive, per-connection limits, every timeout, overload
//! (queue, connection limits, per-IP limits) and handler failures.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn pipelined_requests_are_answered_in_order() {
    let srv = start_default();
    let mut c = srv.client();
    // A slow request first, a POST with a body in the middle, a fast one last; one write.
    let mut raw = get("/sleep?ms=300");
    raw.extend_from_slice(&post("/echo", b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"));
    raw.extend_from_slice(&get_close("/hello"));
    c.send(&raw);
    let first = c.read_response();
    assert_eq!((first.status, first.text().as_str()), (200, "slept 300"));
    let second = c.read_response();
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-method"), Some("POST"));
    assert_eq!(second.text(), "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    let third = c.read_response();
    assert_eq!((third.status, third.text().as_str()), (200, "hello"));
    assert!(third.says_close());
    c.expect_closed();
    // Exactly three requests reached the handler: the body was not parsed as a request.
    assert_eq!(srv.probe.started(), 3);
}

#[test]
fn pipelined_chunked_and_builtin_requests() {
    let srv = start_default();
    let mut c = srv.client();
    let mut raw = b"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
                    3\r\nabc\r\n0\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(&get("/_hbf/health"));
    raw.extend_from_slice(&post("/echo", b"xyz"));
    c.send(&raw);
    assert_eq!(c.read_response().text(), "abc");
    assert_eq!(c.read_response().json()["status"], "ok");
    assert_eq!(c.read_response().text(), "xyz");
    assert!(c.stays_open_for(Duration::from_millis(100)));
}

#[test]
fn keep_alive_serves_many_requests_on_one_socket() {
    let srv = start_default();
    let mut c = srv.client();
    for i in 0..100 {
        let resp = match i % 3 {
            0 => c.request(&get("/hello")),
            1 => c.request(&post("/echo", format!("body {i}").as_bytes())),
            _ => c.request(&get("/_hbf/health")),
        };
        assert_eq!(resp.status, 200, "request {i}: {resp:?}");
        assert!(!resp.says_close(), "request {i}");
        if i % 3 == 1 {
            assert_eq!(resp.text(), format!("body {i}"));
        }
    }
    assert_eq!(srv.metrics().connections_opened.load(SeqCst), 1);
}

#[test]
fn max_requests_per_conn_closes_after_the_last_one() {
    let srv = start(|c| c.max_requests_per_conn = 3);
    let mut c = srv.client();
    for i in 1..=3 {
        let resp = c.request(&get("/hello"));
        assert_eq!(resp.status, 200);
        assert_eq!(resp.says_close(), i == 3, "request {i}: {resp:?}");
    }
    c.expect_closed();
}

#[test]
fn incomplete_head_gets_408_after_header_timeout() {
    let srv = start(|c| c.header_timeout_ms = 300);
    let started = Instant::now();
    let mut c = srv.client();
    c.send(b"GET /hello HTTP/1.1\r\nHost: test\r\n");
    let resp = c.read_response();
    resp.assert_json_error(408);
    assert!(resp.says_close());
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "408 before the timeout"
    );
    c.expect_closed();
    assert_eq!(srv.metrics().labelled("timeouts", "header"), 1);
}

#[test]
fn trickled_head_does_not_extend_the_header_timeout() {
    let srv = start(|c| c.header_timeout_ms = 300);
    let mut c = srv.client();
    let mut writer = c.stream.try_clone().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    // One byte every 20 ms of a head that never ends, for up to 3 s.
    let trickle = std::thread::spawn(move || {
        use std::io::Write;
        let head = format!(
            "GET /hello HTTP/1.1\r\nHost: test\r\nX-Slow: {}",
            "s".repeat(200)
        );
        for b in head.bytes() {
            if stop2.load(SeqCst) || writer.write_all(&[b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let resp = c.read_response();
    stop.store(true, SeqCst);
    resp.assert_json_error(408);
    c.expect_closed();
    trickle.join().unwrap();
}

#[test]
fn silent_connection_is_closed_without_a_response() {
    let srv = start(|c| c.header_timeout_ms = 300);
    let started = Instant::now();
    let mut c = srv.client();
    c.expect_closed();
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn stalled_body_gets_408_after_body_timeout() {
    let srv = start(|c| c.body_timeout_ms = 300);
    let mut c = srv.client();
    c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc");
    let resp = c.read_response();
    resp.assert_json_error(408);
    assert!(resp.says_close());
    c.expect_closed();
    assert_eq!(srv.metrics().labelled("timeouts", "body"), 1);
    assert_eq!(srv.probe.started(), 0);
}

#[test]
fn idle_keep_alive_connection_is_closed() {
    let srv = start(|c| c.keepalive_timeout_ms = 300);
    let mut c = srv.client();
    let resp = c.request(&get("/hello"));
    assert!(!resp.says_close());
    c.expect_closed();
    assert_eq!(srv.metrics().labelled("timeouts", "keepalive"), 1);
}

#[test]
fn slow_handler_gets_504_and_the_server_keeps_serving() {
    let srv = start(|c| {
        c.qjs_timeout_ms = 300;
        c.workers = 2;
    });
    let mut c = srv.client();
    let resp = c.request(&get("/sleep?ms=1000"));
    resp.assert_json_error(504);
    assert!(resp.says_close());
    c.expect_closed();
    assert_eq!(srv.metrics().labelled("timeouts", "handler"), 1);
    // The loop and the other worker still serve.
    let mut c = srv.client();
    assert_eq!(c.request(&get("/_hbf/health")).status, 200);
    assert_eq!(c.request(&get("/hello")).status, 200);
    // Once the slow handler returns, its late reply is dropped and its worker serves again.
    assert!(wait_until(IO_TIMEOUT, || srv.probe.finished() >= 2));
    for _ in 0..4 {
        let resp = c.request(&get("/sleep?ms=1"));
        assert_eq!((resp.status, resp.text().as_str()), (200, "slept 1"));
    }
}

#[test]
fn full_queue_answers_503_with_retry_after() {
    let srv = start(|c| {
        c.workers = 1;
        c.queue_capacity = 1;
    });
    // The only worker is busy...
    let mut busy = srv.client();
    busy.send(&get("/sleep?ms=1500"));
    assert!(wait_until(IO_TIMEOUT, || srv.probe.started() == 1));
    // ...and the only queue slot is taken...
    let mut queued = srv.client();
    queued.send(&get("/sleep?ms=10"));
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .queue_depth
        .load(SeqCst)
        == 1));
    // ...so further requests are refused at once.
    let mut refused = Vec::new();
    for _ in 0..3 {
        let mut c = srv.client();
        c.send(&get("/sleep?ms=10"));
        refused.push(c);
    }
    for c in &mut refused {
        let resp = c.read_response();
        resp.assert_json_error(503);
        assert_eq!(resp.header("retry-after"), Some("1"));
    }
    // `Expect: 100-continue` is not promised while the queue is full: 503 instead of 100.
    let mut expect = srv.client();
    expect.send(
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    let resp = expect.read_response();
    resp.assert_json_error(503);
    assert!(resp.says_close());
    expect.expect_closed();
    assert_eq!(busy.read_response().text(), "slept 1500");
    assert_eq!(queued.read_response().text(), "slept 10");
    assert_eq!(srv.metrics().labelled("overload", "queue_full"), 4);
    // A refused connection stays usable once there is room again.
    let resp = refused[0].request(&get("/hello"));
    assert_eq!(resp.status, 200);
}

#[test]
fn max_conn_refuses_the_extra_connection_with_503() {
    let srv = start(|c| c.max_conn = 2);
    let mut a = srv.client();
    let mut b = srv.client();
    assert_eq!(a.request(&get("/hello")).status, 200);
    assert_eq!(b.request(&get("/hello")).status, 200);
    let mut extra = srv.client();
    let resp = extra.read_response();
    resp.assert_json_error(503);
    assert!(resp.says_close());
    assert_eq!(resp.header("retry-after"), Some("1"));
    extra.expect_closed();
    assert_eq!(
        srv.metrics().labelled("connections_rejected", "max_conn"),
        1
    );
    // The admitted connections are unaffected; closing one makes room.
    assert_eq!(a.request(&get("/hello")).status, 200);
    drop(extra);
    drop(b);
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .connections_active
        .load(SeqCst)
        == 1));
    let mut c = srv.client();
    assert_eq!(c.request(&get("/hello")).status, 200);
}

#[test]
fn connections_being_refused_do_not_hold_max_conn_slots() {
    // A refused connection lingers (503, then waiting for its client to close). If it counted
    // against --max_conn, a flood of new connections would keep the server refusing while
    // its slots held only refusals: stress/churn.sh (256 clients, --max_conn 32,
    // `Connection: close`) got 48 responses of 376,434 served before this was fixed.
    let srv = start(|c| {
        c.max_conn = 2;
        c.linger_timeout_ms = 10_000;
    });
    let mut a = srv.client();
    let mut b = srv.client();
    assert_eq!(a.request(&get("/hello")).status, 200);
    assert_eq!(b.request(&get("/hello")).status, 200);
    // Refused; its client keeps the socket open, so the server lingers on it.
    let mut refused = srv.client();
    refused.read_response().assert_json_error(503);
    drop(b);
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .connections_active
        .load(SeqCst)
        == 2));
    // One admitted connection (a) of two allowed: the next one is served even though a
    // refusal is still lingering.
    let mut c = srv.client();
    assert_eq!(c.request(&get("/hello")).status, 200);
    assert_eq!(a.request(&get("/hello")).status, 200);
    assert_eq!(
        srv.metrics().labelled("connections_rejected", "max_conn"),
        1
    );
    // Now both slots are taken again: refused.
    let mut extra = srv.client();
    extra.read_response().assert_json_error(503);
    drop(refused);
}

#[test]
fn per_ip_connection_limit_answers_429() {
    let srv = start(|c| c.max_conn_per_ip = 2);
    let mut a = srv.client();
    let mut b = srv.client();
    assert_eq!(a.request(&get("/hello")).status, 200);
    assert_eq!(b.request(&get("/hello")).status, 200);
    let mut extra = srv.client();
    let resp = extra.read_response();
    resp.assert_json_error(429);
    assert!(resp.says_close());
    assert!(resp
        .header("retry-after")
        .is_some_and(|v| v.parse::<u64>().is_ok_and(|n| n >= 1)));
    extra.expect_closed();
    assert_eq!(srv.metrics().labelled("connections_rejected", "per_ip"), 1);
    // Closing one gives its slot back.
    drop(extra);
    drop(a);
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .connections_active
        .load(SeqCst)
        == 1));
    let mut c = srv.client();
    assert_eq!(c.request(&get("/hello")).status, 200);
    assert_eq!(b.request(&get("/hello")).status, 200);
}

#[test]
fn per_ip_rate_limit_answers_429() {
    // One request per 100 s sustained, burst of 3: the fourth request is over the limit.
    let srv = start(|c| {
        c.rate_limit_rps = 0.01;
        c.rate_limit_burst = 3.0;
    });
    let mut c = srv.client();
    for _ in 0..3 {
        assert_eq!(c.request(&get("/hello")).status, 200);
    }
    for path in ["/hello", "/_hbf/health"] {
        let resp = c.request(&get(path));
        resp.assert_json_error(429);
        let retry: u64 = resp
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!(retry >= 1, "Retry-After {retry}");
        // A refused GET leaves the connection usable.
        assert!(!resp.says_close());
    }
    // A refused request with a body closes: its body was never read.
    let resp = c.request(&post("/echo", b"abc"));
    resp.assert_json_error(429);
    assert!(resp.says_close());
    c.expect_closed();
    assert_eq!(srv.probe.started(), 3);
    assert_eq!(srv.metrics().rate_limited.load(SeqCst), 3);
}

#[test]
fn handler_panic_is_500_and_the_worker_keeps_serving() {
    let srv = start(|c| c.workers = 1);
    let mut c = srv.client();
    for _ in 0..3 {
        let resp = c.request(&get("/panic"));
        resp.assert_json_error(500);
        assert!(!resp.says_close());
        let resp = c.request(&get("/hello"));
        assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
    }
}

#[test]
fn request_then_half_close_still_gets_its_response() {
    let srv = start_default();
    let mut c = srv.client();
    c.send(&post("/echo", b"last words"));
    c.shutdown_write();
    let resp = c.read_response();
    assert_eq!((resp.status, resp.text().as_str()), (200, "last words"));
    // Whether the response says `Connection: close` depends on whether the server read the
    // FIN before answering; either way it closes once the response is out.
    c.expect_closed();
}

#[test]
fn connections_and_slots_are_released() {
    let srv = start_default();
    for _ in 0..20 {
        let mut c = srv.client();
        assert_eq!(c.request(&get_close("/hello")).status, 200);
        c.expect_closed();
    }
    let m = srv.metrics();
    assert!(wait_until(IO_TIMEOUT, || m.connections_active.load(SeqCst) == 0));
    assert_eq!(m.connections_opened.load(SeqCst), 20);
    assert_eq!(m.connections_closed.load(SeqCst), 20);
}

#[test]
fn deep_pipeline_in_one_write() {
    let srv = start_default();
    let mut c = srv.client();
    let mut raw = Vec::new();
    for i in 0..50 {
        // Some clients send an empty line between requests; it is ignored.
        if i % 10 == 5 {
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(&post(
            &format!("/echo?i={i}"),
            format!("body-{i}").as_bytes(),
        ));
    }
    c.send(&raw);
    for i in 0..50 {
        let resp = c.read_response();
        assert_eq!(resp.status, 200, "request {i}");
        assert_eq!(resp.header("x-query"), Some(format!("i={i}").as_str()));
        assert_eq!(resp.text(), format!("body-{i}"));
    }
    assert!(c.stays_open_for(Duration::from_millis(50)));
}

#[test]
fn large_bodies_round_trip_on_a_keep_alive_connection() {
    let srv = start_default();
    let mut c = srv.client();
    let body: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    // Write from another thread: the server may answer before we finish reading.
    let mut writer = c.stream.try_clone().unwrap();
    let raw = post("/echo", &body);
    let sender = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(&raw).unwrap();
    });
    let resp = c.read_response();
    sender.join().unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.body == body, "echoed body differs");
    let resp = c.request(&get("/big?bytes=3000000"));
    assert_eq!(resp.body.len(), 3_000_000);
    assert_eq!(c.request(&get("/hello")).text(), "hello");
}

#[test]
fn expect_100_continue_when_the_body_follows_at_once() {
    let srv = start_default();
    let mut c = srv.client();
    // Clients may send the body without waiting for the 100; both responses still come.
    c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
    c.send(&get("/hello"));
    let interim = c.read_response();
    assert_eq!(interim.status, 100);
    let resp = c.read_response();
    assert_eq!((resp.status, resp.text().as_str()), (200, "hello"));
    assert_eq!(c.read_response().text(), "hello");
}

#[test]
fn body_timeout_is_an_idle_timeout() {
    let srv = start(|c| c.body_timeout_ms = 500);
    let mut c = srv.client();
    c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n");
    // Ten pieces 50 ms apart: 500 ms in total, but never 500 ms without progress.
    for b in b"0123456789" {
        std::thread::sleep(Duration::from_millis(50));
        c.send(&[*b]);
    }
    let resp = c.read_response();
    assert_eq!((resp.status, resp.text().as_str()), (200, "0123456789"));
}

#[test]
fn client_that_stops_reading_hits_the_write_timeout() {
    let srv = start(|c| c.write_timeout_ms = 300);
    let mut c = srv.client();
    c.send(&get("/big?bytes=33554432"));
    // Never read: the server's writes stop making progress and it gives up on the connection.
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .labelled("timeouts", "write")
        == 1));
    assert!(wait_until(IO_TIMEOUT, || srv
        .metrics()
        .connections_active
        .load(SeqCst)
        == 0));
    let (rest, _) = c.read_to_end();
    assert!(rest.len() < 33554432, "the whole response arrived");
}

#[test]
fn many_concurrent_clients() {
    let srv = start_default();
    let addr = srv.addr;
    let clients: Vec<_> = (0..32)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                for i in 0..20 {
                    let body = format!("{t}-{i}");
                    let resp = c.request(&post("/echo", body.as_bytes()));
                    assert_eq!((resp.status, resp.text()), (200, body));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(srv.metrics().connections_opened.load(SeqCst), 32);
}

#[test]
fn stray_crlf_after_a_request_is_not_a_partial_request() {
    // RFC 9112 §2.2: a client may send an extra CRLF after a request. That must not start a
    // header deadline (which would end in a 408) and the connection stays reusable.
    let server = start(|c| c.header_timeout_ms = 300);
    let mut client = server.client();
    let resp = client.request(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n\r\n");
    assert_eq!(resp.status, 200);
    assert!(
        client.stays_open_for(Duration::from_millis(700)),
        "no 408 and no close after stray CRLF"
    );
    assert_eq!(
        client
            .request(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
            .status,
        200
    );
}

#[test]
fn the_listen_backlog_is_the_configured_one() {
    // mio's bind asks for 128: a burst of new connections overflowed it and the kernel dropped
    // SYNs (clients waited 1 s for a retransmission; stress/idle_keepalive.sh took 41 s to
    // open 10,000 connections, 0.11 s for 3,000 after the fix). `ss` reports a listening
    // socket's backlog as its Send-Q.
    let srv = start(|c| c.listen_backlog = 777);
    let out = match std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{}", srv.addr.port())])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => {
            eprintln!("skipped: `ss` (iproute2) not available");
            return;
        }
    };
    let send_q: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(4096);
    let want = 777.min(somaxconn).to_string();
    assert_eq!(send_q, vec![want.as_str()], "ss output: {out}");
}
