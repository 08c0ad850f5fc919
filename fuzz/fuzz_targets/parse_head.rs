//! Request-head parser under arbitrary bytes and small limits.
//!
//! Invariants beyond "no panic":
//! - a complete head consumes at most the input, and re-parsing exactly those bytes gives the
//!   same result (nothing after the head influences it);
//! - every strict prefix of a complete head is "need more bytes" — a head that arrives in
//!   pieces is never refused, and never completes early at a different length;
//! - every error maps to a 4xx/5xx status, and every refused prefix met by a binary search for
//!   the shortest one is refused with the same status as the whole input (the verdict does not
//!   depend on how TCP split the bytes).
#![no_main]

use hbf::http::{parse_head, Limits, MethodPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks tight limits so that limit paths are reached with short inputs.
    let (knob, buf) = match data.split_first() {
        Some((k, rest)) => (*k, rest),
        None => return,
    };
    let limits = Limits {
        max_request_line: 16 + usize::from(knob & 0x3f),
        max_header_line: 16 + usize::from(knob >> 2),
        max_header_bytes: 64 + usize::from(knob) * 2,
        max_headers: 1 + usize::from(knob & 0x0f),
        max_body: u64::from(knob) * 4,
        max_chunk_line: 8,
        max_trailer_bytes: 32,
        // The knob's top bits open TRACE and CONNECT, so both policy paths are reached.
        methods: MethodPolicy {
            allow_trace: knob & 0x40 != 0,
            allow_connect: knob & 0x80 != 0,
        },
    };
    match parse_head(buf, &limits) {
        Ok(Some((head, len))) => {
            assert!(len <= buf.len());
            let again = parse_head(&buf[..len], &limits).expect("same bytes, same verdict");
            let (head2, len2) = again.expect("still complete");
            assert_eq!(len, len2);
            assert_eq!(head.headers, head2.headers);
            assert_eq!(head.framing, head2.framing);
            for cut in [len / 2, len.saturating_sub(1), len.saturating_sub(2)] {
                if cut < len {
                    assert!(
                        matches!(parse_head(&buf[..cut], &limits), Ok(None)),
                        "prefix {cut} of {len}"
                    );
                }
            }
        }
        Ok(None) => {}
        Err(e) => {
            assert!((400..=599).contains(&e.status()));
            // A refusal does not depend on where the bytes were split: every refused prefix on
            // the way to the shortest one (binary search; refusal is monotone in the prefix
            // length) is refused with the same status as the whole input.
            let (mut lo, mut hi) = (0, buf.len());
            while lo + 1 < hi {
                let mid = (lo + hi) / 2;
                match parse_head(&buf[..mid], &limits) {
                    Err(early) => {
                        assert_eq!(
                            early.status(),
                            e.status(),
                            "prefix {mid}: {early:?} vs {e:?}"
                        );
                        hi = mid;
                    }
                    Ok(_) => lo = mid,
                }
            }
        }
    }
});
