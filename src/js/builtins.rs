//! The built-in JavaScript modules an app can `require` by name (Node's core modules such as
//! `buffer` or `events`, also reachable as `node:buffer`), embedded in the binary.
//!
//! Each entry is a CommonJS source (a function body over `exports, require, module,
//! __filename, __dirname`). It is compiled to bytecode once per process, on first use, and
//! instantiated lazily in a context on its first `require`, so an app that uses none of them
//! pays nothing at start-up or per request. Host functions a built-in needs are reached with
//! `require('hbf:host')`, never through app-visible globals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::{compile_commonjs, Bytecode, JsError};

/// `(name without "node:", CommonJS source)`, one per built-in module.
pub(crate) const BUILTINS: &[(&str, &str)] = &[
    // modules helper: the read-only view of the henv's files.
    ("fs", include_str!("lib/fs.js")),
    ("fs/promises", "module.exports = require('fs').promises;"),
    // Express's `trust proxy` (proxy-addr), for express.js (not a Node module).
    ("hbf:proxy-addr", include_str!("lib/proxy_addr.js")),
    ("buffer", include_str!("lib/node/buffer.js")),
    ("events", include_str!("lib/node/events.js")),
    ("process", include_str!("lib/node/process.js")),
    ("crypto", include_str!("lib/node/crypto.js")),
    ("zlib", include_str!("lib/node/zlib.js")),
    // WebCrypto's SubtleCrypto/CryptoKey behind the global `crypto.subtle` (not a Node module).
    ("hbf:webcrypto", include_str!("lib/node/webcrypto.js")),
    // Node's error codes and messages, shared by the modules above (not a Node module).
    ("hbf:node-errors", include_str!("lib/node/errors.js")),
];

/// The source of the built-in module `name` (`"buffer"`, not `"node:buffer"`).
pub(crate) fn builtin_source(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}

/// The bytecode of built-in `name`, compiled once per process and shared by all workers.
pub(crate) fn builtin_bytecode(name: &str) -> Result<Option<Arc<Bytecode>>, JsError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Bytecode>>>> = OnceLock::new();
    let Some(source) = builtin_source(name) else {
        return Ok(None);
    };
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(b) = cache.lock().ok().and_then(|m| m.get(name).cloned()) {
        return Ok(Some(b));
    }
    let bytes = compile_commonjs(&format!("node:{name}"), source)?;
    let b = Arc::new(Bytecode { bytes });
    if let Ok(mut m) = cache.lock() {
        m.insert(name.to_owned(), b.clone());
    }
    Ok(Some(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_compiles() {
        for (name, _) in BUILTINS {
            if let Err(e) = builtin_bytecode(name) {
                panic!("built-in {name} does not compile: {e}");
            }
        }
        assert!(builtin_bytecode("no-such-builtin").unwrap().is_none());
    }
}
