//! HBF: a single-binary web compute server.
//!
//! Data flow: socket → `net` (event loop, connection state machine) → `http` (parser, limits)
//! → `worker` (pool, handler seam) → application runtime → response → `net` (writer).
//! See `ARCHITECTURE.md` for the codemap and the invariants each layer keeps.

pub mod admin;
pub mod api;
pub mod auth;
mod builtin;
pub mod config;
pub mod db;
pub mod docs;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod henv;
pub mod http;
pub mod js;
mod net;
pub mod observe;
pub mod ops;
pub mod outbound;
pub mod pipeline;
mod server;
mod util;
pub mod worker;

pub use config::{AdminBind, Config, ConfigError, Durability, LogFormat, LogLevel};
pub use net::{IpNet, TlsError};
pub use observe::{Event, Hook, Metrics};
pub use server::{Server, ServerHandle, StartError, StopHandle, TlsReloader};
pub use worker::{Handler, WorkerEnv, WorkerHandler};

/// The crate version, as reported by `/health` and `hbf --version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
