//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; also built for unit tests).
//! Not a stable API: each function runs one fuzz input against the real code and panics when an
//! invariant breaks, so the targets stay one line and the invariants live (and are unit-tested)
//! beside the code they check.

pub use crate::js::fuzzing::run_parser as express_parsers;
pub use crate::net::fuzzing::run_script as connection;
