//! Bytes ⇄ HTTP/1.1 messages, as pure functions over byte slices.
//!
//! This layer never sees a socket, a thread or JavaScript: the event loop hands it buffers and
//! gets back parsed heads, decoded bodies and encoded responses. That is what makes it easy to
//! unit-test and to fuzz. httparse does the tokenising; everything httparse is lenient about
//! (bare LF, obs-fold, Host syntax, framing conflicts) is checked here first, and every check
//! fails closed: when the framing of a request is in doubt it is rejected and the connection is
//! closed, because behind a keep-alive proxy a framing disagreement becomes a request desync.

mod chunked;
mod head;
mod method;
mod request;
mod response;

pub use chunked::{ChunkError, ChunkedDecoder};
pub use head::{parse_head, valid_host, BodyFraming, HeadError, Limits, RequestHead, Version};
pub use method::{check_method, MethodPolicy, KNOWN_METHODS};
pub use request::Request;
pub use response::{encode_response, reason_phrase, EncodeOptions, Response};
