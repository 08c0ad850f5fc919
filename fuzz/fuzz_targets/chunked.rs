//! Chunked body decoder: the same bytes split at arbitrary points decode identically.
//!
//! Invariants: decoded size never exceeds the body limit; consumed never exceeds input; once
//! done, nothing more is consumed; feeding in pieces gives the same body, the same consumed
//! count and the same error as feeding everything at once.
#![no_main]

use hbf::http::{ChunkedDecoder, Limits};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    Limits {
        max_request_line: 8192,
        max_header_line: 8192,
        max_header_bytes: 32768,
        max_headers: 100,
        max_body: 4096,
        max_chunk_line: 32,
        max_trailer_bytes: 64,
        methods: Default::default(),
    }
}

fuzz_target!(|data: &[u8]| {
    let (splits, input) = match data.split_first() {
        Some((s, rest)) => (*s, rest),
        None => return,
    };
    let mut whole = ChunkedDecoder::new(&limits());
    let mut whole_out = Vec::new();
    let whole_result = whole.decode(input, &mut whole_out);
    assert!(whole_out.len() as u64 <= limits().max_body);

    let step = usize::from(splits).max(1);
    let mut pieces = ChunkedDecoder::new(&limits());
    let mut pieces_out = Vec::new();
    let mut consumed = 0;
    let mut pieces_result = Ok(0);
    for chunk in input.chunks(step) {
        match pieces.decode(chunk, &mut pieces_out) {
            Ok(n) => {
                assert!(n <= chunk.len());
                consumed += n;
                if n < chunk.len() {
                    assert!(pieces.is_done());
                    break;
                }
            }
            Err(e) => {
                pieces_result = Err(e);
                break;
            }
        }
    }
    match (&whole_result, &pieces_result) {
        (Ok(n), Ok(_)) => {
            assert_eq!(*n, consumed);
            assert_eq!(whole.is_done(), pieces.is_done());
            assert_eq!(whole_out, pieces_out);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("split decoding disagrees: {whole_result:?} vs {pieces_result:?}"),
    }
    if whole.is_done() {
        let mut more = Vec::new();
        assert_eq!(whole.decode(b"5\r\nhello\r\n", &mut more), Ok(0));
    }
});
