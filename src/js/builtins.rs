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
    // views helper: the EJS engine (not a Node module: an app's node_modules/ejs wins).
    ("ejs", "module.exports = require('hbf:ejs');"),
    ("hbf:ejs", include_str!("lib/ejs.js")),
    ("hbf:express-view", include_str!("lib/express_view.js")),
    ("hbf:templates", include_str!("lib/templates.js")),
    ("_stream_duplex", include_str!("lib/node/_stream_duplex.js")),
    (
        "_stream_passthrough",
        include_str!("lib/node/_stream_passthrough.js"),
    ),
    (
        "_stream_readable",
        include_str!("lib/node/_stream_readable.js"),
    ),
    (
        "_stream_transform",
        include_str!("lib/node/_stream_transform.js"),
    ),
    (
        "_stream_writable",
        include_str!("lib/node/_stream_writable.js"),
    ),
    ("assert", include_str!("lib/node/assert.js")),
    (
        "assert/strict",
        "module.exports = require('assert').strict;",
    ),
    ("async_hooks", include_str!("lib/node/async_hooks.js")),
    ("buffer", include_str!("lib/node/buffer.js")),
    (
        "child_process",
        "module.exports = require('hbf:node-stubs').child_process;",
    ),
    (
        "cluster",
        "module.exports = require('hbf:node-stubs').cluster;",
    ),
    (
        "constants",
        "module.exports = require('hbf:node-stubs').constants;",
    ),
    ("dgram", "module.exports = require('hbf:node-stubs').dgram;"),
    (
        "diagnostics_channel",
        include_str!("lib/node/diagnostics_channel.js"),
    ),
    ("dns", "module.exports = require('hbf:node-stubs').dns;"),
    (
        "dns/promises",
        "module.exports = require('hbf:node-stubs').dns.promises;",
    ),
    ("events", include_str!("lib/node/events.js")),
    ("http", include_str!("lib/node/http.js")),
    ("http2", "module.exports = require('hbf:node-stubs').http2;"),
    ("https", include_str!("lib/node/https.js")),
    (
        "inspector",
        "module.exports = require('hbf:node-stubs').inspector;",
    ),
    (
        "module",
        "module.exports = require('hbf:node-stubs').module;",
    ),
    ("net", include_str!("lib/node/net.js")),
    ("os", include_str!("lib/node/os.js")),
    ("path", include_str!("lib/node/path.js")),
    ("path/posix", "module.exports = require('path');"),
    ("path/win32", "module.exports = require('path');"),
    (
        "perf_hooks",
        "module.exports = require('hbf:node-stubs').perf_hooks;",
    ),
    ("process", include_str!("lib/node/process.js")),
    ("crypto", include_str!("lib/node/crypto.js")),
    ("zlib", include_str!("lib/node/zlib.js")),
    // WebCrypto's SubtleCrypto/CryptoKey behind the global `crypto.subtle` (not a Node module).
    ("hbf:webcrypto", include_str!("lib/node/webcrypto.js")),
    // Node's error codes and messages, shared by the modules above (not a Node module).
    ("punycode", include_str!("lib/node/punycode.js")),
    ("querystring", include_str!("lib/node/querystring.js")),
    (
        "readline",
        "module.exports = require('hbf:node-stubs').readline;",
    ),
    (
        "readline/promises",
        "module.exports = require('hbf:node-stubs').readline.promises;",
    ),
    ("stream", include_str!("lib/node/stream.js")),
    (
        "stream/promises",
        include_str!("lib/node/stream_promises.js"),
    ),
    ("string_decoder", include_str!("lib/node/string_decoder.js")),
    ("timers", include_str!("lib/node/timers.js")),
    (
        "timers/promises",
        include_str!("lib/node/timers_promises.js"),
    ),
    ("tty", include_str!("lib/node/tty.js")),
    ("url", include_str!("lib/node/url.js")),
    ("util", include_str!("lib/node/util.js")),
    ("util/types", "module.exports = require('util').types;"),
    ("v8", "module.exports = require('hbf:node-stubs').v8;"),
    ("vm", "module.exports = require('hbf:node-stubs').vm;"),
    (
        "worker_threads",
        "module.exports = require('hbf:node-stubs').worker_threads;",
    ),
    // Shared by the modules above; not Node modules.
    ("hbf:node-compare", include_str!("lib/node/compare.js")),
    ("hbf:node-errors", include_str!("lib/node/errors.js")),
    (
        "hbf:node-stream-base",
        include_str!("lib/node/stream_base.js"),
    ),
    ("hbf:node-stubs", include_str!("lib/node/stubs.js")),
    ("hbf:node-types", include_str!("lib/node/types.js")),
    // Backed by Rust host functions (src/js/host_crypto.rs, src/js/host_zlib.rs).
    ("crypto", include_str!("lib/node/crypto.js")),
    ("zlib", include_str!("lib/node/zlib.js")),
    // WebCrypto's SubtleCrypto/CryptoKey behind the global `crypto.subtle` (not a Node module).
    ("hbf:webcrypto", include_str!("lib/node/webcrypto.js")),
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
