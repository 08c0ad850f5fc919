//! express.js's parsers in QuickJS: cookies, the simple and extended query parsers,
//! `URLSearchParams` and the Express 5 path matcher.
//!
//! Input: `[parser][flags][text]` (see `src/js/fuzzing.rs`; invariants in `src/js/fuzzing.js`:
//! only documented exceptions, plain results with no `__proto__` keys and no change to built-in
//! prototypes, bounded parameter counts, `URLSearchParams` round-trips, the matcher's fast paths
//! agree with its regexp, a path built from a pattern matches with the values it was built from,
//! and every input finishes within a deadline).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hbf::fuzzing::express_parsers(data));
