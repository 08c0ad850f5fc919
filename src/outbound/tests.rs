//! The engine against real sockets: a small std-thread server on loopback.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::*;

fn engine() -> Arc<Engine> {
    let config = OutboundConfig {
        allow_private: true,
        buffer_bytes: 64 * 1024,
        ..OutboundConfig::default()
    };
    let log =
        Arc::new(Logger::new(crate::LogLevel::Error, crate::LogFormat::Text).expect("logger"));
    Engine::start(config, Arc::new(Metrics::new()), log).expect("engine starts")
}

fn request(port: u16, target: &str) -> OutboundRequest {
    OutboundRequest {
        method: "GET".into(),
        https: false,
        host: "127.0.0.1".into(),
        port,
        target: target.into(),
        headers: vec![],
        body: vec![],
        henv: "test".into(),
        request_id: 1,
        deadline: Instant::now() + Duration::from_secs(10),
        insecure_tls: false,
        max_response_bytes: 1 << 30,
        max_conns: 8,
        cancel: None,
    }
}

fn submit(engine: &Engine, req: OutboundRequest) -> (u64, Receiver<OutboundEvent>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let id = engine
        .submit(req, |_| {
            Box::new(move |e| {
                let _ = tx.send(e);
            })
        })
        .expect("submitted");
    (id, rx)
}

/// Collects events until End or Error; returns (status, body, error).
fn collect(rx: &Receiver<OutboundEvent>) -> (u16, Vec<u8>, Option<OutboundError>) {
    let (mut status, mut body) = (0, Vec::new());
    loop {
        match rx.recv_timeout(Duration::from_secs(10)).expect("event") {
            OutboundEvent::Head { status: s, .. } => status = s,
            OutboundEvent::Data(d) => body.extend(d),
            OutboundEvent::End => return (status, body, None),
            OutboundEvent::Error(e) => return (status, body, Some(e)),
        }
    }
}

/// Serves `responses` (one per request) on keep-alive connections; counts connections.
fn server(responses: Vec<Vec<u8>>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let conns = Arc::new(AtomicUsize::new(0));
    let counter = conns.clone();
    std::thread::spawn(move || {
        let mut responses = responses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            counter.fetch_add(1, SeqCst);
            let mut buf = [0u8; 4096];
            loop {
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                if got.is_empty() {
                    break;
                }
                let Some(resp) = responses.next() else { return };
                if s.write_all(&resp).is_err() {
                    break;
                }
            }
        }
    });
    (port, conns)
}

#[test]
fn content_length_chunked_and_keep_alive_reuse() {
    let (port, conns) = server(vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".to_vec(),
    ]);
    let e = engine();
    let (_, rx) = submit(&e, request(port, "/a"));
    assert_eq!(collect(&rx), (200, b"hello".to_vec(), None));
    let (_, rx) = submit(&e, request(port, "/b"));
    assert_eq!(collect(&rx), (201, b"abcde".to_vec(), None));
    assert_eq!(
        conns.load(SeqCst),
        1,
        "the second request reused the connection"
    );
}

#[test]
fn stops_reading_until_the_consumer_credits() {
    let big = 4 << 20;
    let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {big}\r\n\r\n").into_bytes();
    resp.resize(resp.len() + big, b'x');
    let (port, _) = server(vec![resp]);
    let e = engine();
    let (id, rx) = submit(&e, request(port, "/big"));
    let mut delivered = 0;
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        if let Ok(OutboundEvent::Data(d)) = rx.recv_timeout(Duration::from_millis(50)) {
            delivered += d.len();
        }
    }
    assert!(
        delivered < 256 * 1024,
        "the engine kept reading without credit: {delivered} bytes"
    );
    // Credit as we go: the whole body arrives.
    e.credit(id, delivered);
    loop {
        match rx.recv_timeout(Duration::from_secs(10)).expect("event") {
            OutboundEvent::Data(d) => {
                delivered += d.len();
                e.credit(id, d.len());
            }
            OutboundEvent::End => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(delivered, big);
}

#[test]
fn errors_are_typed() {
    let e = engine();
    // Nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, rx) = submit(&e, request(port, "/"));
    assert!(matches!(collect(&rx).2, Some(OutboundError::Connect(_))));
    // A declared length over the limit.
    let (port, _) = server(vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n".to_vec()
    ]);
    let mut req = request(port, "/");
    req.max_response_bytes = 10;
    let (_, rx) = submit(&e, req);
    assert_eq!(collect(&rx).2, Some(OutboundError::TooLarge(10)));
    // A silent server and a near deadline.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut req = request(listener.local_addr().unwrap().port(), "/");
    req.deadline = Instant::now() + Duration::from_millis(200);
    let (_, rx) = submit(&e, req);
    assert!(matches!(collect(&rx).2, Some(OutboundError::Timeout(_))));
    // A cancel flag set by the runtime ends the exchange.
    let listener2 = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut req = request(listener2.local_addr().unwrap().port(), "/");
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    req.cancel = Some(flag.clone());
    let (_, rx) = submit(&e, req);
    std::thread::sleep(Duration::from_millis(100));
    flag.store(true, SeqCst);
    assert_eq!(collect(&rx).2, Some(OutboundError::Aborted));
    // The per-henv cap refuses at once.
    let mut req = request(1, "/");
    req.max_conns = 0;
    assert_eq!(
        e.submit(req, |_| Box::new(|_| {})).err(),
        Some(OutboundError::TooManyConnections(0))
    );
}

#[test]
fn private_addresses_are_refused_without_the_flag() {
    let log = Arc::new(Logger::new(crate::LogLevel::Error, crate::LogFormat::Text).unwrap());
    let config = OutboundConfig {
        allow_private: false,
        ..OutboundConfig::default()
    };
    let e = Engine::start(config, Arc::new(Metrics::new()), log).unwrap();
    let (_, rx) = submit(&e, request(80, "/"));
    assert!(matches!(
        collect(&rx).2,
        Some(OutboundError::AddressDenied { .. })
    ));
}
