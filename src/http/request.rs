//! A complete request as handed from the event loop to a handler.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::RequestHead;

/// One complete request: validated head, whole body, and where it came from.
#[derive(Clone, Debug)]
pub struct Request {
    /// Server-unique id, also in the access log.
    pub id: u64,
    pub head: RequestHead,
    /// The complete body (decoded if it was chunked).
    pub body: Vec<u8>,
    /// The TCP peer (a proxy's address when behind one).
    pub peer: SocketAddr,
    /// The original client: `peer`, or what a trusted proxy (`--trust_proxy`) says in
    /// `X-Forwarded-For` / `Forwarded`.
    pub client_ip: IpAddr,
    /// Whether the client used https: the request arrived over TLS, or a trusted proxy says so
    /// in `X-Forwarded-Proto` / `Forwarded: proto=`. (`head.host` is likewise the trusted
    /// proxy's `X-Forwarded-Host` when it sends one; the raw `Host` stays in `head.headers`.)
    pub secure: bool,
    /// When the head was complete.
    pub received_at: Instant,
    /// When the loop answers 504 if the handler has not replied.
    pub deadline: Instant,
}

impl Request {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }

    pub fn method(&self) -> &str {
        &self.head.method
    }

    pub fn path(&self) -> &str {
        &self.head.path
    }

    /// `https` or `http`, as the client used it.
    pub fn protocol(&self) -> &'static str {
        if self.secure {
            "https"
        } else {
            "http"
        }
    }
}
