//! Node's module resolution algorithm over the henv's files (`require.resolve` and `import`
//! specifiers): relative and absolute paths, extension and directory-index probing,
//! `node_modules/` lookup walking up from the requiring file, `package.json` `main`,
//! `exports` and `imports` (subpaths, `*` patterns, conditions), package self-reference, and
//! the module format of the file found (`type` of the nearest `package.json`).
//!
//! Paths are relative to the henv root without a leading slash (`lib/x.js`); the root
//! directory is `""`. Nothing outside the henv's files is reachable: `..` stops at the root.
//! File existence and `package.json` contents are cached for the life of the resolver (one
//! runtime, which is rebuilt when the henv's code files change).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::json::Json;

/// Where the resolver reads files from.
pub(crate) trait Files {
    fn is_file(&self, path: &str) -> bool;
    fn read(&self, path: &str) -> Option<Vec<u8>>;
    /// Native addons (`.node` files) left out at import, as henv paths.
    fn skipped_addons(&self) -> Vec<String>;
}

/// How a module is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    CommonJs,
    Module,
    Json,
    Addon,
}

impl Format {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::CommonJs => "commonjs",
            Format::Module => "module",
            Format::Json => "json",
            Format::Addon => "addon",
        }
    }
}

/// `require()` or `import`: the conditions and extension probing differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Require,
    Import,
}

impl Mode {
    fn conditions(self) -> &'static [&'static str] {
        match self {
            Mode::Require => &["require", "node", "default"],
            Mode::Import => &["import", "node", "default"],
        }
    }
}

/// A resolved module file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub path: String,
    pub format: Format,
}

/// Why a specifier does not resolve. `code()` is Node's `err.code`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResolveError {
    #[error("Cannot find module '{request}' from '{from}'")]
    NotFound { request: String, from: String },
    #[error("Package subpath '{subpath}' is not defined by \"exports\" in {package}/package.json (required from '{from}')")]
    NotExported {
        subpath: String,
        package: String,
        from: String,
    },
    #[error("Package import specifier \"{request}\" is not defined in package {package}/package.json (required from '{from}')")]
    ImportNotDefined {
        request: String,
        package: String,
        from: String,
    },
    #[error("Invalid package config {path}: {reason}")]
    InvalidPackage { path: String, reason: String },
    #[error("Cannot load native addon {addon}: package '{package}' needs a compiled Node.js addon, which HBF cannot run (only pure-JavaScript packages work)")]
    NativeAddon { package: String, addon: String },
}

impl ResolveError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ResolveError::NotFound { .. } => "MODULE_NOT_FOUND",
            ResolveError::NotExported { .. } => "ERR_PACKAGE_PATH_NOT_EXPORTED",
            ResolveError::ImportNotDefined { .. } => "ERR_PACKAGE_IMPORT_NOT_DEFINED",
            ResolveError::InvalidPackage { .. } => "ERR_INVALID_PACKAGE_CONFIG",
            ResolveError::NativeAddon { .. } => "ERR_DLOPEN_FAILED",
        }
    }
}

type Result<T> = std::result::Result<T, ResolveError>;

/// The resolver of one runtime, with its caches.
pub(crate) struct Resolver<F: Files> {
    files: F,
    exists: RefCell<HashMap<String, bool>>,
    packages: RefCell<HashMap<String, Option<Rc<Json>>>>,
    addons: RefCell<Option<Rc<Vec<String>>>>,
}

impl<F: Files> Resolver<F> {
    pub(crate) fn new(files: F) -> Self {
        Resolver {
            files,
            exists: RefCell::default(),
            packages: RefCell::default(),
            addons: RefCell::default(),
        }
    }

    /// Resolves `request` as written in the file `from` (`""` for the henv root).
    pub(crate) fn resolve(&self, request: &str, from: &str, mode: Mode) -> Result<Resolved> {
        let not_found = || ResolveError::NotFound {
            request: request.to_owned(),
            from: if from.is_empty() { "/" } else { from }.to_owned(),
        };
        if request.is_empty() {
            return Err(not_found());
        }
        let dir = parent(from);
        let path = if let Some(abs) = request.strip_prefix('/') {
            self.load_path(&join("", abs), request.ends_with('/'), mode)
        } else if is_relative(request) {
            self.load_path(&join(dir, request), request.ends_with('/'), mode)
        } else if request.starts_with('#') {
            Some(self.package_imports(request, dir, from, mode)?)
        } else {
            match self.package_self(request, dir, from, mode)? {
                Some(p) => Some(p),
                None => self.node_modules(request, dir, from, mode)?,
            }
        };
        let path = path.ok_or_else(not_found)?;
        self.check_addons(request, &path)?;
        let format = self.format_of(&path);
        Ok(Resolved { path, format })
    }

    fn is_file(&self, path: &str) -> bool {
        if path.is_empty() {
            return false;
        }
        if let Some(&known) = self.exists.borrow().get(path) {
            return known;
        }
        let found = self.files.is_file(path);
        self.exists.borrow_mut().insert(path.to_owned(), found);
        found
    }

    /// The parsed `package.json` of directory `dir`, if it has one.
    fn package(&self, dir: &str) -> Result<Option<Rc<Json>>> {
        let path = join(dir, "package.json");
        if let Some(p) = self.packages.borrow().get(&path) {
            return Ok(p.clone());
        }
        let parsed = if self.is_file(&path) {
            let bytes = self.files.read(&path).unwrap_or_default();
            match Json::parse(&bytes) {
                Ok(j) => Some(Rc::new(j)),
                Err(e) => {
                    return Err(ResolveError::InvalidPackage {
                        path,
                        reason: e.to_string(),
                    })
                }
            }
        } else {
            None
        };
        self.packages.borrow_mut().insert(path, parsed.clone());
        Ok(parsed)
    }

    /// LOAD_AS_FILE then LOAD_AS_DIRECTORY.
    fn load_path(&self, path: &str, dir_only: bool, mode: Mode) -> Option<String> {
        if !dir_only {
            if let Some(p) = self.load_file(path, mode) {
                return Some(p);
            }
        }
        self.load_dir(path, mode)
    }

    fn load_file(&self, path: &str, mode: Mode) -> Option<String> {
        if self.is_file(path) {
            return Some(path.to_owned());
        }
        let exts: &[&str] = match mode {
            Mode::Require => &[".js", ".json", ".node"],
            Mode::Import => &[".js", ".mjs", ".cjs", ".json", ".node"],
        };
        exts.iter()
            .map(|ext| format!("{path}{ext}"))
            .find(|p| self.is_file(p) || self.is_addon(p))
    }

    fn load_index(&self, dir: &str) -> Option<String> {
        ["index.js", "index.json", "index.node"]
            .iter()
            .map(|name| join(dir, name))
            .find(|p| self.is_file(p) || self.is_addon(p))
    }

    fn load_dir(&self, dir: &str, mode: Mode) -> Option<String> {
        if let Ok(Some(pkg)) = self.package(dir) {
            if let Some(main) = pkg.get("main").and_then(Json::as_str) {
                if !main.is_empty() {
                    let m = join(dir, main);
                    if let Some(p) = self.load_file(&m, mode).or_else(|| self.load_index(&m)) {
                        return Some(p);
                    }
                }
            }
        }
        self.load_index(dir)
    }

    /// LOAD_NODE_MODULES: `dir/node_modules`, then each parent's, up to the root.
    fn node_modules(
        &self,
        request: &str,
        dir: &str,
        from: &str,
        mode: Mode,
    ) -> Result<Option<String>> {
        let (name, subpath) = split_package(request).ok_or_else(|| ResolveError::NotFound {
            request: request.to_owned(),
            from: from.to_owned(),
        })?;
        for nm in node_modules_dirs(dir) {
            let pkg_dir = join(&nm, name);
            if let Some(pkg) = self.package(&pkg_dir)? {
                if let Some(exports) = pkg.get("exports").filter(|e| !e.is_null()) {
                    let sub = format!(".{subpath}");
                    let found = self.exports_resolve(&pkg_dir, &sub, exports, from, mode)?;
                    return Ok(Some(found.ok_or_else(|| ResolveError::NotFound {
                        request: request.to_owned(),
                        from: from.to_owned(),
                    })?));
                }
            }
            let path = join(&nm, request);
            if let Some(p) = self.load_path(&path, request.ends_with('/'), mode) {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// LOAD_PACKAGE_SELF: a package requiring itself by its own name through `exports`.
    fn package_self(
        &self,
        request: &str,
        dir: &str,
        from: &str,
        mode: Mode,
    ) -> Result<Option<String>> {
        let Some(scope) = self.package_scope(dir)? else {
            return Ok(None);
        };
        let Some(pkg) = self.package(&scope)? else {
            return Ok(None);
        };
        let (Some(name), Some(exports)) =
            (pkg.get("name").and_then(Json::as_str), pkg.get("exports"))
        else {
            return Ok(None);
        };
        let subpath = if request == name {
            ".".to_owned()
        } else if let Some(rest) = request.strip_prefix(name).filter(|r| r.starts_with('/')) {
            format!(".{rest}")
        } else {
            return Ok(None);
        };
        let found = self.exports_resolve(&scope, &subpath, exports, from, mode)?;
        Ok(Some(found.ok_or_else(|| ResolveError::NotFound {
            request: request.to_owned(),
            from: from.to_owned(),
        })?))
    }

    /// PACKAGE_IMPORTS_RESOLVE: `#name` through the nearest package.json's `imports`.
    fn package_imports(&self, request: &str, dir: &str, from: &str, mode: Mode) -> Result<String> {
        let undefined = |package: &str| ResolveError::ImportNotDefined {
            request: request.to_owned(),
            package: package.to_owned(),
            from: from.to_owned(),
        };
        let scope = self
            .package_scope(dir)?
            .ok_or_else(|| undefined("(none)"))?;
        let pkg = self.package(&scope)?.ok_or_else(|| undefined(&scope))?;
        let imports = pkg.get("imports").ok_or_else(|| undefined(&scope))?;
        let Some(entries) = imports.as_object() else {
            return Err(undefined(&scope));
        };
        match self.map_resolve(&scope, request, entries, true, mode)? {
            Some(p) => Ok(p),
            None => Err(undefined(&scope)),
        }
    }

    /// The directory of the nearest `package.json` at or above `dir`, not crossing a
    /// `node_modules` directory (GET_PACKAGE_SCOPE).
    fn package_scope(&self, dir: &str) -> Result<Option<String>> {
        let mut d = dir.to_owned();
        loop {
            if d.rsplit('/').next() == Some("node_modules") {
                return Ok(None);
            }
            if self.is_file(&join(&d, "package.json")) {
                return Ok(Some(d));
            }
            if d.is_empty() {
                return Ok(None);
            }
            d = parent(&d).to_owned();
        }
    }

    /// PACKAGE_EXPORTS_RESOLVE. `Ok(None)`: the target resolved to a file that does not exist.
    fn exports_resolve(
        &self,
        pkg_dir: &str,
        subpath: &str,
        exports: &Json,
        from: &str,
        mode: Mode,
    ) -> Result<Option<String>> {
        let pkg_json = join(pkg_dir, "package.json");
        let sugar;
        let map: &[(String, Json)] = match exports.as_object() {
            Some(entries) => {
                let dotted = entries.iter().filter(|(k, _)| k.starts_with('.')).count();
                if dotted == 0 {
                    sugar = vec![(".".to_owned(), exports.clone())];
                    &sugar
                } else if dotted != entries.len() {
                    return Err(ResolveError::InvalidPackage {
                        path: pkg_json,
                        reason: "\"exports\" cannot mix keys starting with '.' and others".into(),
                    });
                } else {
                    entries
                }
            }
            None => {
                sugar = vec![(".".to_owned(), exports.clone())];
                &sugar
            }
        };
        let not_exported = || ResolveError::NotExported {
            subpath: subpath.to_owned(),
            package: pkg_dir.to_owned(),
            from: from.to_owned(),
        };
        match self.map_resolve(pkg_dir, subpath, map, false, mode)? {
            Some(p) if self.is_file(&p) => Ok(Some(p)),
            Some(p) if self.is_addon(&p) => Ok(Some(p)),
            Some(_) => Ok(None),
            None => Err(not_exported()),
        }
    }

    /// PACKAGE_IMPORTS_EXPORTS_RESOLVE: an exact key, else the best `*` pattern.
    fn map_resolve(
        &self,
        pkg_dir: &str,
        key: &str,
        map: &[(String, Json)],
        imports: bool,

        mode: Mode,
    ) -> Result<Option<String>> {
        if !key.contains('*') {
            if let Some((_, target)) = map.iter().find(|(k, _)| k == key) {
                return self.target_resolve(pkg_dir, target, None, imports, mode);
            }
        }
        let mut best: Option<(&str, &Json, &str)> = None;
        for (k, target) in map {
            let Some(star) = k.find('*') else { continue };
            if k[star + 1..].contains('*') {
                continue;
            }
            let (prefix, suffix) = (&k[..star], &k[star + 1..]);
            if key.starts_with(prefix)
                && key != prefix
                && key.len() >= k.len()
                && key.ends_with(suffix)
            {
                let matched = &key[prefix.len()..key.len() - suffix.len()];
                if best.is_none_or(|(b, _, _)| pattern_key_compare(b, k)) {
                    best = Some((k, target, matched));
                }
            }
        }
        match best {
            Some((_, target, matched)) => {
                self.target_resolve(pkg_dir, target, Some(matched), imports, mode)
            }
            None => Ok(None),
        }
    }

    /// PACKAGE_TARGET_RESOLVE: a string, an array of fallbacks or a conditions object.
    fn target_resolve(
        &self,
        pkg_dir: &str,
        target: &Json,
        pattern: Option<&str>,
        imports: bool,

        mode: Mode,
    ) -> Result<Option<String>> {
        match target {
            Json::Str(t) => {
                let t = match pattern {
                    Some(m) => t.replace('*', m),
                    None => t.clone(),
                };
                if let Some(rest) = t.strip_prefix("./") {
                    if rest
                        .split('/')
                        .any(|s| s == ".." || s == "." || s == "node_modules")
                    {
                        return Err(ResolveError::InvalidPackage {
                            path: join(pkg_dir, "package.json"),
                            reason: format!("invalid target \"{t}\""),
                        });
                    }
                    return Ok(Some(join(pkg_dir, rest)));
                }
                if imports && !t.starts_with('/') && !t.starts_with("../") && !t.contains(':') {
                    // `"#dep": "some-package"`: resolved as a package from the scope.
                    let dir = pkg_dir.to_owned();
                    let from_file = join(&dir, "package.json");
                    return Ok(Some(self.resolve(&t, &from_file, mode)?.path));
                }
                Err(ResolveError::InvalidPackage {
                    path: join(pkg_dir, "package.json"),
                    reason: format!("invalid target \"{t}\": targets must start with \"./\""),
                })
            }
            Json::Arr(items) => {
                let mut last_err = None;
                for item in items {
                    match self.target_resolve(pkg_dir, item, pattern, imports, mode) {
                        Ok(Some(p)) => return Ok(Some(p)),
                        Ok(None) => {}
                        Err(e @ ResolveError::InvalidPackage { .. }) => last_err = Some(e),
                        Err(e) => return Err(e),
                    }
                }
                match last_err {
                    Some(e) => Err(e),
                    None => Ok(None),
                }
            }
            Json::Obj(entries) => {
                for (cond, value) in entries {
                    if cond == "default" || mode.conditions().contains(&cond.as_str()) {
                        if let Some(p) =
                            self.target_resolve(pkg_dir, value, pattern, imports, mode)?
                        {
                            return Ok(Some(p));
                        }
                    }
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// The format of a resolved file: by extension, and for `.js` by the `type` of the
    /// nearest `package.json`.
    pub(crate) fn format_of(&self, path: &str) -> Format {
        let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
        match ext {
            "mjs" => Format::Module,
            "cjs" => Format::CommonJs,
            "json" => Format::Json,
            "node" => Format::Addon,
            _ => {
                let scope = self.package_scope(parent(path)).ok().flatten();
                let pkg = scope.and_then(|s| self.package(&s).ok().flatten());
                match pkg
                    .as_ref()
                    .and_then(|p| p.get("type"))
                    .and_then(Json::as_str)
                {
                    Some("module") => Format::Module,
                    _ => Format::CommonJs,
                }
            }
        }
    }

    fn addons(&self) -> Rc<Vec<String>> {
        self.addons
            .borrow_mut()
            .get_or_insert_with(|| Rc::new(self.files.skipped_addons()))
            .clone()
    }

    fn is_addon(&self, path: &str) -> bool {
        path.ends_with(".node") && self.addons().iter().any(|a| a == path)
    }

    /// A package whose tree held native addons (left out at import) cannot load: say which.
    fn check_addons(&self, request: &str, path: &str) -> Result<()> {
        if path.ends_with(".node") {
            return Err(ResolveError::NativeAddon {
                package: package_root(path).unwrap_or(request).to_owned(),
                addon: path.to_owned(),
            });
        }
        if is_relative(request) || request.starts_with('/') {
            return Ok(());
        }
        let Some(root) = package_root(path) else {
            return Ok(());
        };
        let prefix = format!("{root}/");
        let addons = self.addons();
        match addons
            .iter()
            .find(|a| a.starts_with(&prefix) && !a[prefix.len()..].contains("/node_modules/"))
        {
            Some(addon) => Err(ResolveError::NativeAddon {
                package: root
                    .rsplit_once("node_modules/")
                    .map_or(root, |(_, n)| n)
                    .to_owned(),
                addon: addon.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// `./x`, `../x`, `.` or `..`.
fn is_relative(request: &str) -> bool {
    request == "." || request == ".." || request.starts_with("./") || request.starts_with("../")
}

/// The directory of a henv path (`""` for a file at the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `dir` joined with `rel`, normalised (`.` and `..` removed; `..` stops at the root).
pub(crate) fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The `node_modules` directories searched from `dir`, nearest first.
fn node_modules_dirs(dir: &str) -> Vec<String> {
    let parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    for i in (0..=parts.len()).rev() {
        if i > 0 && parts[i - 1] == "node_modules" {
            continue;
        }
        out.push(join(&parts[..i].join("/"), "node_modules"));
    }
    out
}

/// `name` and `/subpath` of a bare specifier (`@scope/name/x` → `@scope/name`, `/x`).
fn split_package(request: &str) -> Option<(&str, &str)> {
    let end = if request.starts_with('@') {
        let first = request.find('/')?;
        request[first + 1..]
            .find('/')
            .map_or(request.len(), |i| first + 1 + i)
    } else {
        request.find('/').unwrap_or(request.len())
    };
    let name = &request[..end];
    if name.is_empty() || name.starts_with('.') || name.contains('\\') || name.contains('%') {
        return None;
    }
    Some((name, &request[end..]))
}

/// The package directory (`node_modules/@s/p`) a path inside `node_modules` belongs to.
fn package_root(path: &str) -> Option<&str> {
    let idx = path.rfind("node_modules/")?;
    let rest = &path[idx + "node_modules/".len()..];
    let (name, _) = split_package(rest)?;
    Some(&path[..idx + "node_modules/".len() + name.len()])
}

/// PATTERN_KEY_COMPARE: whether key `b` sorts before (is more specific than) `a`.
fn pattern_key_compare(a: &str, b: &str) -> bool {
    let base_a = a.find('*').map_or(a.len(), |i| i + 1);
    let base_b = b.find('*').map_or(b.len(), |i| i + 1);
    if base_b != base_a {
        return base_b > base_a;
    }
    b.len() > a.len()
}

#[cfg(test)]
mod tests;
