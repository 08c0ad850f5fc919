//! Reverse-proxy support: which peers are trusted (`--trust_proxy`), and what a trusted peer's
//! `X-Forwarded-*` / `Forwarded` headers say about the original client.
//!
//! Only a peer inside one of the trusted ranges may speak for the client. From any other peer
//! these headers are ignored, so a client talking to HBF directly cannot forge its address,
//! scheme or host. Behind a chain of proxies, the client address is found by walking the
//! `X-Forwarded-For` list from the right (the entry written by the proxy we talk to) past every
//! trusted address: the first untrusted address is the client. Entries to its left were written
//! by the client itself and mean nothing.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use crate::http::valid_host;

/// An address range in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside this range. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a
    /// dual-stack listener reports for IPv4 peers) match IPv4 ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: prefix length must be 0..={max}"))?,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Whether `ip` is in any of `nets`.
pub fn trusted(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(ip))
}

/// What a trusted proxy says about the original request. `None` fields were not (validly) sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Forwarded {
    pub client_ip: Option<IpAddr>,
    /// `Some(true)` for `https`, `Some(false)` for `http`.
    pub secure: Option<bool>,
    pub host: Option<String>,
}

/// Reads the forwarding headers of a request that came from a trusted `peer`.
///
/// `X-Forwarded-For` wins over `Forwarded` when both are present (common proxies set the former
/// and pass the latter through from the client untouched); `X-Forwarded-Proto` and
/// `X-Forwarded-Host` likewise win over the `proto=`/`host=` of `Forwarded`. For the proto and
/// host headers the last value counts: it is the one the nearest (trusted) proxy wrote.
pub fn read_forwarded<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    peer: IpAddr,
    nets: &[IpNet],
) -> Forwarded {
    let all = |name: &'static str| {
        headers
            .clone()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
    };
    let mut out = Forwarded::default();

    // The hop list, oldest first, as `Forwarded` elements (for, proto, host).
    let xff: Vec<&str> = all("x-forwarded-for").collect();
    let elements: Vec<Element<'_>> = if xff.is_empty() {
        all("forwarded").map(parse_element).collect()
    } else {
        xff.iter()
            .map(|f| Element {
                r#for: Some(f),
                ..Element::default()
            })
            .collect()
    };
    // Walk from the right past trusted hops; stop at the first untrusted (the client) or at an
    // entry we cannot read (then the last trusted hop is as far as we can believe).
    let mut client = peer;
    let mut chosen = None;
    for (i, el) in elements.iter().enumerate().rev() {
        if !trusted(nets, client) {
            break;
        }
        match el.r#for.and_then(parse_node) {
            Some(ip) => {
                client = ip;
                chosen = Some(i);
            }
            None => break,
        }
    }
    if chosen.is_some() {
        out.client_ip = Some(client);
    }

    let proto = all("x-forwarded-proto")
        .last()
        .or_else(|| chosen.and_then(|i| elements[i].proto));
    out.secure = proto.and_then(|p| {
        if p.eq_ignore_ascii_case("https") {
            Some(true)
        } else if p.eq_ignore_ascii_case("http") {
            Some(false)
        } else {
            None
        }
    });
    let host = all("x-forwarded-host")
        .last()
        .or_else(|| chosen.and_then(|i| elements[i].host));
    out.host = host.filter(|h| valid_host(h)).map(str::to_owned);
    out
}

/// One element of a `Forwarded` header (RFC 7239 §4): `for=...;proto=...;host=...`.
#[derive(Default)]
struct Element<'a> {
    r#for: Option<&'a str>,
    proto: Option<&'a str>,
    host: Option<&'a str>,
}

fn parse_element(element: &str) -> Element<'_> {
    let mut el = Element::default();
    for pair in element.split(';') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        match name.trim().to_ascii_lowercase().as_str() {
            "for" => el.r#for = Some(value),
            "proto" => el.proto = Some(value),
            "host" => el.host = Some(value),
            _ => {}
        }
    }
    el
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:80`. `unknown` and obfuscated identifiers (`_hidden`) are `None`.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &str) -> Vec<IpNet> {
        s.split(',').map(|n| n.parse().unwrap()).collect()
    }

    fn fwd(headers: &[(&str, &str)], peer: &str, trust: &str) -> Forwarded {
        read_forwarded(
            headers.iter().map(|(n, v)| (*n, *v)),
            peer.parse().unwrap(),
            &nets(trust),
        )
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn cidr_parsing_and_matching() {
        let n: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.200.3.4".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.3".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert_eq!(one.to_string(), "127.0.0.1/32");
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(!all.contains("::1".parse().unwrap()));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!("::/0"
            .parse::<IpNet>()
            .unwrap()
            .contains("::1".parse().unwrap()));
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rightmost_untrusted_address_is_the_client() {
        let h = [("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2")];
        let f = fwd(&h, "10.0.0.1", "10.0.0.0/8");
        assert_eq!(f.client_ip, ip("203.0.113.7"));
        // Several headers are one list.
        let h = [
            ("x-forwarded-for", "6.6.6.6"),
            ("X-Forwarded-For", "203.0.113.7"),
        ];
        assert_eq!(
            fwd(&h, "10.0.0.1", "10.0.0.0/8").client_ip,
            ip("203.0.113.7")
        );
        // All trusted: the leftmost is as far as the chain goes.
        let h = [("x-forwarded-for", "10.0.0.9, 10.0.0.8")];
        assert_eq!(fwd(&h, "10.0.0.1", "10.0.0.0/8").client_ip, ip("10.0.0.9"));
        // Garbage stops the walk at the last trusted hop.
        let h = [("x-forwarded-for", "203.0.113.7, nonsense, 10.0.0.2")];
        assert_eq!(fwd(&h, "10.0.0.1", "10.0.0.0/8").client_ip, ip("10.0.0.2"));
        let h = [("x-forwarded-for", "nonsense")];
        assert_eq!(fwd(&h, "10.0.0.1", "10.0.0.0/8").client_ip, None);
        // Ports and brackets.
        let h = [("x-forwarded-for", "[2001:db8::1]:4711")];
        assert_eq!(
            fwd(&h, "10.0.0.1", "10.0.0.0/8").client_ip,
            ip("2001:db8::1")
        );
        let h = [("x-forwarded-for", "203.0.113.7:80")];
        assert_eq!(
            fwd(&h, "10.0.0.1", "10.0.0.0/8").client_ip,
            ip("203.0.113.7")
        );
    }

    #[test]
    fn forwarded_header_is_used_without_x_forwarded_for() {
        let h = [(
            "forwarded",
            "for=6.6.6.6;proto=http, for=\"[2001:db8::7]:1\";proto=https;host=app.example",
        )];
        let f = fwd(&h, "127.0.0.1", "127.0.0.1");
        assert_eq!(f.client_ip, ip("2001:db8::7"));
        assert_eq!(f.secure, Some(true));
        assert_eq!(f.host.as_deref(), Some("app.example"));
        // X-Forwarded-For wins when both are present.
        let h = [
            ("forwarded", "for=6.6.6.6"),
            ("x-forwarded-for", "203.0.113.7"),
        ];
        assert_eq!(
            fwd(&h, "127.0.0.1", "127.0.0.1").client_ip,
            ip("203.0.113.7")
        );
    }

    #[test]
    fn proto_and_host_take_the_last_value_and_are_validated() {
        let h = [
            ("x-forwarded-proto", "http, https"),
            ("x-forwarded-host", "evil.example, app.example:8443"),
        ];
        let f = fwd(&h, "127.0.0.1", "127.0.0.1");
        assert_eq!(f.secure, Some(true));
        assert_eq!(f.host.as_deref(), Some("app.example:8443"));
        assert_eq!(f.client_ip, None);
        let h = [
            ("x-forwarded-proto", "gopher"),
            ("x-forwarded-host", "bad host"),
        ];
        let f = fwd(&h, "127.0.0.1", "127.0.0.1");
        assert_eq!(f, Forwarded::default());
    }
}
