//! ES modules: the `Resolver` and `Loader` QuickJS calls for `import` statements and
//! `import()`, and the start of an app whose `server.js` is an ES module.
//!
//! Module names are henv paths (`lib/x.mjs`); built-ins are `node:NAME`, HBF's modules keep
//! their `hbf:` name and `express` is `hbf:express`. A CommonJS or JSON file imported from
//! ESM becomes a module whose default export is `module.exports` and whose named exports are
//! its own enumerable keys (taken when it is loaded, as Node's cjs-module-lexer would find
//! most of them).

use std::rc::Rc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{CatchResultExt, Ctx, Function, Module, Object, Value};

use super::{throw_coded, throw_compile, throw_resolve, Format, Mode, ModuleHost};
use crate::js::runtime::JsError;

/// Resolves import specifiers with Node's algorithm (see `resolve`).
pub(crate) struct EsmResolver(pub Rc<ModuleHost>);

/// Loads henv files and built-ins as ES modules.
pub(crate) struct EsmLoader(pub Rc<ModuleHost>);

/// Whether a bare name is a built-in or HBF module, and its module name.
fn builtin_name(name: &str) -> Option<String> {
    if let Some(rest) = name.strip_prefix("node:") {
        return Some(format!("node:{rest}"));
    }
    if name.starts_with("hbf:") {
        return Some(name.to_owned());
    }
    if name == "express" {
        return Some("hbf:express".to_owned());
    }
    crate::js::builtins::builtin_source(name).map(|_| format!("node:{name}"))
}

impl Resolver for EsmResolver {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        let base = if base.contains(':') { "" } else { base };
        let base = base.strip_prefix('/').unwrap_or(base);
        if name == "ejs" {
            // not a Node core module: the app's own node_modules/ejs wins over the built-in
            if let Ok(r) = self.0.resolver.resolve(name, base, Mode::Import) {
                return Ok(r.path);
            }
        }
        if let Some(b) = builtin_name(name) {
            return Ok(b);
        }
        self.0
            .resolver
            .resolve(name, base, Mode::Import)
            .map(|r| r.path)
            .map_err(|e| throw_resolve(ctx, &e))
    }
}

impl Loader for EsmLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if let Some(builtin) = name.strip_prefix("node:") {
            let exports = call_loader(ctx, "builtin", builtin)?;
            return wrapper(ctx, name, "builtin", builtin, &exports);
        }
        if let Some(rest) = name.strip_prefix("hbf:") {
            let key = if rest == "express" { "express" } else { name };
            let exports = call_loader(ctx, "builtin", key)?;
            return wrapper(ctx, name, "builtin", key, &exports);
        }
        let format = self.0.resolver.format_of(name);
        match format {
            Format::Module | Format::CommonJs => {
                let (compiled, bytecode) = self
                    .0
                    .compile(name, format)
                    .map_err(|e| throw_compile(ctx, &e))?;
                if compiled == Format::Module {
                    let module = crate::js::ffi::load_module(ctx, &bytecode.bytes)?;
                    // import.meta as Node has it (the henv root is `/`).
                    let meta = module.meta()?;
                    let filename = format!("/{name}");
                    let dirname = match filename.rfind('/') {
                        Some(0) | None => "/".to_owned(),
                        Some(i) => filename[..i].to_owned(),
                    };
                    meta.set("url", format!("file://{filename}"))?;
                    meta.set("filename", filename)?;
                    meta.set("dirname", dirname)?;
                    return Ok(module);
                }
                let exports = call_loader(ctx, "commonjs", name)?;
                wrapper(ctx, name, "commonjs", name, &exports)
            }
            Format::Json => {
                let exports = call_loader(ctx, "json", name)?;
                wrapper(ctx, name, "json", name, &exports)
            }
            Format::Addon => Err(throw_coded(
                ctx,
                &format!(
                    "Cannot load native addon /{name}: HBF runs only pure-JavaScript packages"
                ),
                "ERR_DLOPEN_FAILED",
            )),
        }
    }
}

/// `__hbf_esm_exports(kind, name)` (loader.js): the value a non-ESM module exports.
fn call_loader<'js>(ctx: &Ctx<'js>, kind: &str, name: &str) -> rquickjs::Result<Value<'js>> {
    let f: Function = ctx.globals().get("__hbf_esm_exports")?;
    f.call((kind, name))
}

/// An ES module re-exporting `exports` as default, and its identifier keys by name.
fn wrapper<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    kind: &str,
    key: &str,
    exports: &Value<'js>,
) -> rquickjs::Result<Module<'js, Declared>> {
    let quoted = serde_json::to_string(key).unwrap_or_default();
    let mut src = format!(
        "const m = globalThis.__hbf_esm_exports({}, {quoted});\nexport default m;\n",
        serde_json::to_string(kind).unwrap_or_default()
    );
    if let Some(obj) = exports.as_object() {
        let keys: Vec<String> = obj
            .keys::<String>()
            .filter_map(Result::ok)
            .filter(|k| k != "default" && is_identifier(k))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            src.push_str(&format!(
                "const e{i} = m[{0}];\nexport {{ e{i} as {k} }};\n",
                serde_json::to_string(k).unwrap_or_default()
            ));
        }
    }
    Module::declare(ctx.clone(), name, src)
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Runs the app's `server.js` and returns what it exports: `module.exports` of a CommonJS
/// file, the default export of an ES module.
pub(crate) fn load_main<'js>(ctx: &Ctx<'js>, modules: &ModuleHost) -> Result<Value<'js>, JsError> {
    let caught = |e| crate::js::runtime::caught_error(ctx, e);
    let format = modules.resolver.format_of("server.js");
    let (format, _) = modules.compile("server.js", format)?;
    if format == Format::CommonJs {
        let main: Function = ctx
            .globals()
            .get("__hbf_main")
            .map_err(|e| JsError::Engine(e.to_string()))?;
        return main.call(("server.js",)).catch(ctx).map_err(caught);
    }
    let promise = Module::import(ctx, "./server.js")
        .catch(ctx)
        .map_err(caught)?;
    while ctx.execute_pending_job() {}
    let namespace: Object = match promise.result::<Object>() {
        Some(r) => r.catch(ctx).map_err(caught)?,
        None => return Err(JsError::Exception {
            message:
                "server.js did not finish loading (top-level await on something that never settles)"
                    .into(),
            stack: String::new(),
        }),
    };
    namespace
        .get("default")
        .map_err(|e| JsError::Engine(e.to_string()))
}

/// `require()` of an ES module, as Node 20.19+ does it: the module is imported and, when its
/// evaluation settles at once (no top-level `await` still pending), its namespace returned.
pub(crate) fn require_esm<'js>(ctx: &Ctx<'js>, path: &str) -> rquickjs::Result<Value<'js>> {
    let promise = Module::import(ctx, format!("/{path}"))?;
    for _ in 0..1000 {
        if let Some(result) = promise.result::<Value>() {
            return result;
        }
        if !ctx.execute_pending_job() {
            break;
        }
    }
    match promise.result::<Value>() {
        Some(result) => result,
        None => Err(throw_coded(
            ctx,
            &format!("require() cannot be used on an ESM graph with top-level await (/{path}). Use import() instead."),
            "ERR_REQUIRE_ASYNC_MODULE",
        )),
    }
}
