//! Who an app may talk to: host allowlists (exact names and `*.domain`) and the addresses
//! outbound requests may never reach unless `--fetch_allow_private` is on (private, loopback,
//! link-local, unique-local, CGNAT, metadata, multicast and reserved ranges).
//!
//! The address check runs on the resolved address the engine is about to connect to, for
//! every hop, so a name that resolves to 127.0.0.1 (or starts to, DNS rebinding) and a
//! redirect to an internal URL are refused alike.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `host` (a lowercase name or IP literal) is on `allowlist`. An empty list allows
/// every host. Entries are exact names, or `*.example.com` for any subdomain of example.com
/// (not example.com itself).
pub fn host_allowed(allowlist: &[String], host: &str) -> bool {
    if allowlist.is_empty() {
        return true;
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allowlist.iter().any(|entry| {
        let entry = entry.trim_end_matches('.').to_ascii_lowercase();
        match entry.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => host == entry,
        }
    })
}

/// Why an address is refused, or `None` when it is a public unicast address.
pub fn address_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        (0, _) => "unspecified",
        (127, _) => "loopback",
        (10, _) => "private",
        (172, 16..=31) => "private",
        (192, 168) => "private",
        (169, 254) => "link-local (cloud metadata)",
        (100, 64..=127) => "CGNAT",
        (192, 0) if c == 0 || c == 2 => "reserved",
        (198, 18..=19) => "benchmarking",
        (198, 51) if c == 100 => "documentation",
        (203, 0) if c == 113 => "documentation",
        (224..=239, _) => "multicast",
        (240..=255, _) => "reserved",
        _ => return None,
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_class(v4);
    }
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form carry an IPv4 address.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] || s[0..6] == [0; 6] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return v4_class(v4).or(Some("reserved"));
    }
    Some(match s[0] {
        x if x & 0xfe00 == 0xfc00 => "unique-local (includes cloud metadata)",
        x if x & 0xffc0 == 0xfe80 => "link-local",
        x if x & 0xffc0 == 0xfec0 => "site-local",
        x if x & 0xff00 == 0xff00 => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<&'static str> {
        address_class(s.parse().unwrap())
    }

    #[test]
    fn refuses_internal_addresses() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe",
            "ff02::1",
        ] {
            assert!(class(a).is_some(), "{a} must be refused");
        }
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(class(a), None, "{a} is public");
        }
    }

    #[test]
    fn allowlist_matches_exact_and_wildcard() {
        let list = vec!["api.example.com".to_owned(), "*.stripe.com".to_owned()];
        assert!(host_allowed(&list, "api.example.com"));
        assert!(host_allowed(&list, "API.Example.com."));
        assert!(!host_allowed(&list, "example.com"));
        assert!(!host_allowed(&list, "evilapi.example.com"));
        assert!(host_allowed(&list, "api.stripe.com"));
        assert!(host_allowed(&list, "a.b.stripe.com"));
        assert!(!host_allowed(&list, "stripe.com"));
        assert!(!host_allowed(&list, "evilstripe.com"));
        assert!(host_allowed(&[], "anything.test"));
    }
}
