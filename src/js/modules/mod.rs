//! The module system over the henv's files: the host side of `require()` (resolution by
//! Node's algorithm in `resolve`, compilation of each file to bytecode once per content hash,
//! shared by every worker) and the ES module loader QuickJS calls for `import` and `import()`
//! (`esm`). `loader.js` is the JavaScript side (the CommonJS `Module`, `require.cache`,
//! circular requires). The read-only `fs` built-in reads through `fs_host`.

mod esm;
pub(crate) mod fs_host;
mod json;
mod resolve;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};

use rquickjs::{Ctx, Exception, Function, IntoJs, Object, Value};
use rusqlite::{Connection, OptionalExtension};

use super::{Bytecode, JsError};
use crate::db;
pub(crate) use esm::{load_main, EsmLoader, EsmResolver};
pub(crate) use resolve::{join, Format, Mode, ResolveError, Resolver};

/// The henv's files, as the resolver sees them.
pub(crate) struct HenvFiles {
    conn: Rc<Connection>,
}

impl resolve::Files for HenvFiles {
    fn is_file(&self, path: &str) -> bool {
        db::file_hash(&self.conn, path).ok().flatten().is_some()
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        db::read_file(&self.conn, path)
            .ok()
            .flatten()
            .map(|f| f.content)
    }

    fn skipped_addons(&self) -> Vec<String> {
        self.conn
            .prepare_cached("SELECT value FROM _hbf_config WHERE key = 'native_addons'")
            .and_then(|mut st| st.query_row([], |r| r.get::<_, String>(0)).optional())
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default()
    }
}

/// The module state of one runtime: its resolver (with its caches) over the henv connection.
pub(crate) struct ModuleHost {
    pub(crate) resolver: Resolver<HenvFiles>,
    pub(crate) conn: Rc<Connection>,
}

impl ModuleHost {
    pub(crate) fn new(conn: Rc<Connection>) -> Rc<ModuleHost> {
        Rc::new(ModuleHost {
            resolver: Resolver::new(HenvFiles { conn: conn.clone() }),
            conn,
        })
    }

    /// The content of a henv file with its hash.
    fn file(&self, path: &str) -> Option<db::StoredFile> {
        db::read_file(&self.conn, path).ok().flatten()
    }

    /// A JavaScript file compiled as `format` (CommonJS falls back to ES module when the
    /// source is module syntax, as Node's syntax detection does): its bytecode and the format
    /// it was compiled as.
    pub(crate) fn compile(
        &self,
        path: &str,
        format: Format,
    ) -> Result<(Format, Arc<Bytecode>), JsError> {
        let file = self.file(path).ok_or_else(|| JsError::Exception {
            message: format!("Cannot read module {path}"),
            stack: String::new(),
        })?;
        compile_file(path, &file.hash, &file.content, format)
    }
}

/// Which kind of bytecode: a CommonJS wrapper or an ES module.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    CommonJs,
    Module,
}

/// Bytecode of every module file compiled in this process, by (kind, path, content hash):
/// each file is compiled once and shared by all workers. Bounded by total size.
#[derive(Default)]
struct CodeCache {
    map: HashMap<(Kind, String, String), Arc<Bytecode>>,
    bytes: usize,
}

/// The cache is cleared (everything recompiles on next use) past this many bytes of bytecode.
const CODE_CACHE_MAX_BYTES: usize = 256 << 20;

fn cached(
    kind: Kind,
    path: &str,
    hash: &str,
    compile: impl FnOnce() -> Result<Vec<u8>, JsError>,
) -> Result<Arc<Bytecode>, JsError> {
    static CACHE: OnceLock<Mutex<CodeCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (kind, path.to_owned(), hash.to_owned());
    if let Some(b) = cache.lock().ok().and_then(|c| c.map.get(&key).cloned()) {
        return Ok(b);
    }
    let b = Arc::new(Bytecode { bytes: compile()? });
    if let Ok(mut c) = cache.lock() {
        if c.bytes + b.bytes.len() > CODE_CACHE_MAX_BYTES {
            c.map.clear();
            c.bytes = 0;
        }
        c.bytes += b.bytes.len();
        c.map.insert(key, b.clone());
    }
    Ok(b)
}

/// Compiles a henv file (cached by content hash). See `ModuleHost::compile`.
pub(crate) fn compile_file(
    path: &str,
    hash: &str,
    content: &[u8],
    format: Format,
) -> Result<(Format, Arc<Bytecode>), JsError> {
    let source = String::from_utf8_lossy(content);
    let source = source.strip_prefix('\u{feff}').unwrap_or(&source);
    let source = strip_shebang(source);
    if format == Format::Module {
        let b = cached(Kind::Module, path, hash, || {
            compile_esm(path, &source).map_err(|e| located(e, path, 0))
        })?;
        return Ok((Format::Module, b));
    }
    match cached(Kind::CommonJs, path, hash, || {
        // (named `/path`: the ES module `path` is the wrapper `import` of this file gets)
        super::runtime::compile_commonjs(&format!("/{path}"), &source)
            .map_err(|e| located(e, path, CJS_PREFIX))
    }) {
        Ok(b) => Ok((Format::CommonJs, b)),
        Err(e) if path.ends_with(".js") && looks_like_esm(&source) => {
            match cached(Kind::Module, path, hash, || compile_esm(path, &source)) {
                Ok(b) => Ok((Format::Module, b)),
                Err(_) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Compiles an ES module to bytecode. QuickJS loads a module's imports while it compiles it:
/// here every import is an empty stand-in (only the specifier is kept in the bytecode; the
/// real modules are resolved and linked when the bytecode is loaded in an app's runtime).
fn compile_esm(path: &str, source: &str) -> Result<Vec<u8>, JsError> {
    struct AnyName;
    impl rquickjs::loader::Resolver for AnyName {
        fn resolve<'js>(
            &mut self,
            _: &Ctx<'js>,
            _base: &str,
            name: &str,
            _: Option<rquickjs::loader::ImportAttributes<'js>>,
        ) -> rquickjs::Result<String> {
            Ok(name.to_owned())
        }
    }
    struct Empty;
    impl rquickjs::loader::Loader for Empty {
        fn load<'js>(
            &mut self,
            ctx: &Ctx<'js>,
            name: &str,
            _: Option<rquickjs::loader::ImportAttributes<'js>>,
        ) -> rquickjs::Result<rquickjs::Module<'js, rquickjs::module::Declared>> {
            rquickjs::Module::declare(ctx.clone(), name, "")
        }
    }
    let engine = |e: rquickjs::Error| JsError::Engine(e.to_string());
    let runtime = rquickjs::Runtime::new().map_err(engine)?;
    runtime.set_loader(AnyName, Empty);
    let context = rquickjs::Context::full(&runtime).map_err(engine)?;
    context.with(|ctx| {
        use rquickjs::CatchResultExt;
        let module = rquickjs::Module::declare(ctx.clone(), path, source)
            .catch(&ctx)
            .map_err(|e| super::runtime::caught_error(&ctx, e))?;
        module
            .write(rquickjs::module::WriteOptions::default())
            .map_err(engine)
    })
}

/// Length of the CommonJS wrapper's text before the source on line 1 (see `compile_commonjs`).
const CJS_PREFIX: usize =
    "export default function (exports, require, module, __filename, __dirname) {".len();

/// A `#!` first line is blanked (kept as an empty line, so line numbers do not move).
fn strip_shebang(source: &str) -> std::borrow::Cow<'_, str> {
    if source.starts_with("#!") {
        let end = source.find('\n').unwrap_or(source.len());
        std::borrow::Cow::Owned(format!("//{}", &source[2..end]) + &source[end..])
    } else {
        std::borrow::Cow::Borrowed(source)
    }
}

/// Whether a source has `import`/`export` statements (ES module syntax) at a line start.
pub(crate) fn looks_like_esm(source: &str) -> bool {
    source.lines().any(|l| {
        let l = l.trim_start();
        [
            "import ", "import{", "import*", "export ", "export{", "export*",
        ]
        .iter()
        .any(|k| l.starts_with(k))
            && !l.starts_with("import(")
    })
}

/// A compile error as `SyntaxError: message` with `file:line:col` first, as Node prints
/// it; column positions on line 1 are given back what the CommonJS wrapper took.
fn located(e: JsError, path: &str, line1_shift: usize) -> JsError {
    let JsError::Exception { message, stack } = e else {
        return e;
    };
    let prefix = format!("{path}:");
    let location = stack
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .find_map(|tok| {
            let tok = tok.strip_prefix('/').unwrap_or(tok);
            tok.strip_prefix(&prefix).map(str::to_owned)
        });
    let location = location.map(|loc| {
        let mut parts = loc.splitn(2, ':');
        let line = parts.next().unwrap_or("1");
        let col: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
        let col = if line == "1" {
            col.saturating_sub(line1_shift).max(1)
        } else {
            col
        };
        format!("{path}:{line}:{col}")
    });
    let location = location.unwrap_or_else(|| path.to_owned());
    JsError::Exception {
        message: format!("{location}: SyntaxError: {message}"),
        stack: format!("SyntaxError: {message}\n    at {location}"),
    }
}

/// Throws a JS `Error` (or `SyntaxError`) with `message` and `code`.
pub(crate) fn throw_coded<'js>(ctx: &Ctx<'js>, message: &str, code: &str) -> rquickjs::Error {
    let err = match Exception::from_message(ctx.clone(), message) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let _ = err.set("code", code);
    ctx.throw(err.into_value())
}

fn throw_resolve<'js>(ctx: &Ctx<'js>, e: &ResolveError) -> rquickjs::Error {
    throw_coded(ctx, &e.to_string(), e.code())
}

/// A compile failure thrown into JS as a `SyntaxError` naming `file:line:col`.
fn throw_compile<'js>(ctx: &Ctx<'js>, e: &JsError) -> rquickjs::Error {
    match e {
        JsError::Exception { message, .. } => {
            let text = message.replacen(": SyntaxError: ", ": ", 1);
            match ctx
                .globals()
                .get::<_, Function>("SyntaxError")
                .and_then(|f| f.call::<_, Value>((text.clone(),)))
            {
                Ok(v) => ctx.throw(v),
                Err(_) => throw_coded(ctx, &text, "ERR_SYNTAX"),
            }
        }
        other => Exception::throw_internal(ctx, &other.to_string()),
    }
}

/// Adds the module host functions to the `hbf:host` object.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Object<'js>,
    modules: &Rc<ModuleHost>,
) -> rquickjs::Result<()> {
    let m = modules.clone();
    host.set(
        "resolveModule",
        // [path, format] of `request` required or imported from the file `from`.
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, request: String, from: String, import: bool| {
                let mode = if import { Mode::Import } else { Mode::Require };
                match m.resolver.resolve(&request, &from, mode) {
                    Ok(r) => Ok(vec![r.path, r.format.as_str().to_owned()]),
                    Err(e) => Err(throw_resolve(&ctx, &e)),
                }
            },
        )?,
    )?;
    let m = modules.clone();
    host.set(
        "compileModule",
        // The CommonJS factory of a file; ERR_REQUIRE_ESM if it is an ES module.
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, path: String| {
            let (format, bytecode) = m
                .compile(&path, Format::CommonJs)
                .map_err(|e| throw_compile(&ctx, &e))?;
            if format == Format::Module {
                // loader.js then loads it with requireEsm.
                return Ok(Value::new_null(ctx));
            }
            super::runtime::instantiate_commonjs(&ctx, &bytecode)
                .map(Function::into_value)
                .map_err(|e| throw_compile(&ctx, &e))
        })?,
    )?;
    host.set(
        "requireEsm",
        // require() of an ES module (Node 20.19+): its namespace, once it has evaluated.
        Function::new(ctx.clone(), |ctx: Ctx<'js>, path: String| {
            esm::require_esm(&ctx, &path)
        })?,
    )?;
    let m = modules.clone();
    host.set(
        "readModuleText",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, path: String| {
            match m.file(&path) {
                Some(f) => Ok(String::from_utf8_lossy(&f.content).into_owned()),
                None => Err(throw_coded(
                    &ctx,
                    &format!("Cannot read module {path}"),
                    "MODULE_NOT_FOUND",
                )),
            }
        })?,
    )?;
    host.set(
        "isBuiltin",
        Function::new(ctx.clone(), |name: String| {
            super::builtins::builtin_source(&name).is_some()
        })?,
    )?;
    host.set(
        "builtinNames",
        Function::new(ctx.clone(), |ctx: Ctx<'js>| {
            let names: Vec<&str> = super::builtins::BUILTINS.iter().map(|(n, _)| *n).collect();
            names.into_js(&ctx)
        })?,
    )?;
    fs_host::install(ctx, host, modules)?;
    super::host_templates::install(ctx, host, modules)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esm_detection() {
        assert!(looks_like_esm("const a = 1;\nexport default a;\n"));
        assert!(looks_like_esm("import x from 'y'"));
        assert!(!looks_like_esm(
            "const x = import('y');\nmodule.exports = 1"
        ));
    }

    #[test]
    fn syntax_error_names_file_line_col() {
        let err = compile_file(
            "lib/x.js",
            "h1",
            b"const a = 1;\nconst b = ;\n",
            Format::CommonJs,
        )
        .err()
        .unwrap();
        let text = err.to_string();
        assert!(text.starts_with("lib/x.js:2:"), "{text}");
        assert!(text.contains("SyntaxError"), "{text}");
    }

    #[test]
    fn esm_source_compiles_as_module() {
        let (format, _) = compile_file(
            "server.js",
            "h2",
            b"import x from './y.js';\nexport default x;\n",
            Format::CommonJs,
        )
        .unwrap();
        assert!(format == Format::Module);
    }
}
