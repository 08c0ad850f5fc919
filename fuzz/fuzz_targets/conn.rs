//! The connection state machine (`src/net/conn.rs`) driven in memory: arbitrary bytes at
//! arbitrary split points, pipelining, write back-pressure, deadlines and a client close.
//!
//! Input: `[k][k control bytes][byte stream]` (see `src/net/fuzzing.rs`, which also lists the
//! invariants: responses never outnumber complete requests, each echoes its request in order,
//! the requests seen equal a sequential parse of the stream however it was split, framing
//! errors close with the right status).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hbf::fuzzing::connection(data);
});
