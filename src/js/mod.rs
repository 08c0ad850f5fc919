//! The QuickJS-NG runtime that runs a henv's `server.js` (an Express app): building a
//! runtime (prelude, loader, express.js, server.js from bytecode compiled once per content
//! version and shared by all workers), running requests in it, and the host functions app
//! code reaches. Which request reaches which runtime, and everything HBF does around it
//! (routing, endpoints, static files, headers), is `crate::pipeline`.

mod auth_host;
pub(crate) mod builtins;
pub mod completion;
mod convert;
mod crypto_keys;
mod crypto_prims;
mod ffi;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzzing;
mod host;
mod host_buffer;
mod host_crypto;
mod host_docs;
mod host_templates;
mod host_zlib;
pub(crate) mod modules;
mod native;
mod runtime;
mod scope;
mod zlib_codec;

use std::sync::{Arc, Mutex};

pub use crate::pipeline::{AppConfig, AppHandler};
pub(crate) use host::{HostEnv, LogContext};
pub(crate) use runtime::AppSource;
pub use runtime::{compile_commonjs, AppRuntime, JsError, Settled, Step};
pub use scope::Binding;

/// A new runtime generation (`Completion::runtime_id`): unique in the process.
pub(crate) fn next_runtime_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub(crate) const PRELUDE_JS: &str = include_str!("lib/prelude.js");
pub(crate) const LOADER_JS: &str = include_str!("lib/loader.js");
pub(crate) const DB_JS: &str = include_str!("lib/db.js");
pub(crate) const AUTH_JS: &str = include_str!("lib/auth.js");
pub(crate) const DOCUMENTS_JS: &str = include_str!("lib/documents.js");
const EXPRESS_JS: &str = include_str!("lib/express.js");

/// Compiled module bytecode, shared between workers.
pub struct Bytecode {
    pub bytes: Vec<u8>,
}

/// express.js compiled once. (The app's own files, server.js included, are compiled once per
/// content hash by `modules`.)
#[derive(Default)]
pub struct BytecodeCache {
    express: Mutex<Option<Arc<Bytecode>>>,
}

impl BytecodeCache {
    pub(crate) fn express(&self) -> Result<Arc<Bytecode>, JsError> {
        let mut slot = self
            .express
            .lock()
            .map_err(|_| JsError::Engine("bytecode cache poisoned".into()))?;
        if let Some(b) = slot.as_ref() {
            return Ok(b.clone());
        }
        let b = Arc::new(Bytecode {
            bytes: compile_commonjs("express.js", EXPRESS_JS)?,
        });
        *slot = Some(b.clone());
        Ok(b)
    }
}
