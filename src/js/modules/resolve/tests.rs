use std::collections::HashMap;

use super::*;

struct Mem(HashMap<&'static str, &'static str>, Vec<String>);

impl Files for Mem {
    fn is_file(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.0.get(path).map(|s| s.as_bytes().to_vec())
    }
    fn skipped_addons(&self) -> Vec<String> {
        self.1.clone()
    }
}

fn resolver(files: &[(&'static str, &'static str)]) -> Resolver<Mem> {
    Resolver::new(Mem(files.iter().copied().collect(), vec![]))
}

fn req(r: &Resolver<Mem>, request: &str, from: &str) -> std::result::Result<String, String> {
    r.resolve(request, from, Mode::Require)
        .map(|x| x.path)
        .map_err(|e| format!("{}: {e}", e.code()))
}

#[test]
fn relative_absolute_extensions_and_index() {
    let r = resolver(&[
        ("server.js", ""),
        ("lib/a.js", ""),
        ("lib/data.json", "{}"),
        ("lib/dir/index.js", ""),
        ("lib/pkg/package.json", r#"{"main": "main.js"}"#),
        ("lib/pkg/main.js", ""),
        ("top.cjs", ""),
    ]);
    assert_eq!(req(&r, "./lib/a", "server.js").unwrap(), "lib/a.js");
    assert_eq!(req(&r, "./a.js", "lib/x.js").unwrap(), "lib/a.js");
    assert_eq!(req(&r, "./data", "lib/a.js").unwrap(), "lib/data.json");
    assert_eq!(req(&r, "./dir", "lib/a.js").unwrap(), "lib/dir/index.js");
    assert_eq!(req(&r, "./pkg", "lib/a.js").unwrap(), "lib/pkg/main.js");
    assert_eq!(req(&r, "../top.cjs", "lib/a.js").unwrap(), "top.cjs");
    assert_eq!(req(&r, "/lib/a", "lib/dir/index.js").unwrap(), "lib/a.js");
    // `..` stops at the root.
    assert_eq!(
        req(&r, "../../../server.js", "lib/a.js").unwrap(),
        "server.js"
    );
    let e = req(&r, "./nope", "lib/a.js").unwrap_err();
    assert_eq!(
        e,
        "MODULE_NOT_FOUND: Cannot find module './nope' from 'lib/a.js'"
    );
    assert_eq!(
        r.resolve("./top.cjs", "", Mode::Require).unwrap().format,
        Format::CommonJs
    );
    assert_eq!(
        r.resolve("./lib/data.json", "", Mode::Require)
            .unwrap()
            .format,
        Format::Json
    );
}

#[test]
fn node_modules_walk_up_and_main() {
    let r = resolver(&[
        ("node_modules/a/package.json", r#"{"main": "./lib/main"}"#),
        ("node_modules/a/lib/main.js", ""),
        ("node_modules/a/node_modules/b/index.js", ""),
        ("node_modules/b/index.js", ""),
        ("node_modules/@s/c/index.js", ""),
        ("node_modules/@s/c/extra.js", ""),
        ("lib/node_modules/d.js", ""),
    ]);
    assert_eq!(
        req(&r, "a", "server.js").unwrap(),
        "node_modules/a/lib/main.js"
    );
    assert_eq!(
        req(&r, "b", "node_modules/a/lib/main.js").unwrap(),
        "node_modules/a/node_modules/b/index.js"
    );
    assert_eq!(
        req(&r, "b", "lib/x/y.js").unwrap(),
        "node_modules/b/index.js"
    );
    assert_eq!(
        req(&r, "@s/c", "server.js").unwrap(),
        "node_modules/@s/c/index.js"
    );
    assert_eq!(
        req(&r, "@s/c/extra", "server.js").unwrap(),
        "node_modules/@s/c/extra.js"
    );
    assert_eq!(req(&r, "d", "lib/x.js").unwrap(), "lib/node_modules/d.js");
    assert!(req(&r, "d", "server.js").is_err());
}

#[test]
fn exports_subpaths_patterns_and_conditions() {
    let r = resolver(&[
        (
            "node_modules/p/package.json",
            r#"{"name": "p", "exports": {
                ".": {"import": "./esm/index.mjs", "require": "./cjs/index.js"},
                "./feature": {"node": {"import": "./esm/f.mjs", "default": "./cjs/f.js"}, "default": "./browser.js"},
                "./utils/*": "./cjs/utils/*.js",
                "./utils/private/*": null,
                "./package.json": "./package.json"
            }}"#,
        ),
        ("node_modules/p/esm/index.mjs", ""),
        ("node_modules/p/esm/f.mjs", ""),
        ("node_modules/p/cjs/index.js", ""),
        ("node_modules/p/cjs/f.js", ""),
        ("node_modules/p/cjs/utils/x.js", ""),
        ("node_modules/p/cjs/utils/private/y.js", ""),
        ("node_modules/p/cjs/hidden.js", ""),
        ("node_modules/s/package.json", r#"{"exports": "./main.js"}"#),
        ("node_modules/s/main.js", ""),
    ]);
    assert_eq!(
        req(&r, "p", "server.js").unwrap(),
        "node_modules/p/cjs/index.js"
    );
    let imp = r.resolve("p", "server.js", Mode::Import).unwrap();
    assert_eq!(
        (imp.path.as_str(), imp.format),
        ("node_modules/p/esm/index.mjs", Format::Module)
    );
    assert_eq!(
        req(&r, "p/feature", "server.js").unwrap(),
        "node_modules/p/cjs/f.js"
    );
    assert_eq!(
        req(&r, "p/utils/x", "server.js").unwrap(),
        "node_modules/p/cjs/utils/x.js"
    );
    assert!(req(&r, "p/utils/private/y", "server.js")
        .unwrap_err()
        .starts_with("ERR_PACKAGE_PATH_NOT_EXPORTED"));
    assert!(req(&r, "p/cjs/hidden.js", "server.js")
        .unwrap_err()
        .starts_with("ERR_PACKAGE_PATH_NOT_EXPORTED"));
    assert_eq!(
        req(&r, "p/package.json", "server.js").unwrap(),
        "node_modules/p/package.json"
    );
    assert_eq!(req(&r, "s", "server.js").unwrap(), "node_modules/s/main.js");
    // Self-reference from inside the package.
    assert_eq!(
        req(&r, "p/feature", "node_modules/p/cjs/index.js").unwrap(),
        "node_modules/p/cjs/f.js"
    );
}

#[test]
fn type_module_imports_and_addons() {
    let r = Resolver::new(Mem(
        [
            (
                "package.json",
                r##"{"type": "module", "imports": {"#db": "./lib/db.js", "#dep": "dep"}}"##,
            ),
            ("server.js", ""),
            ("lib/db.js", ""),
            ("node_modules/dep/index.js", ""),
            (
                "node_modules/native/package.json",
                r#"{"main": "index.js"}"#,
            ),
            ("node_modules/native/index.js", ""),
        ]
        .into_iter()
        .collect(),
        vec!["node_modules/native/build/Release/n.node".into()],
    ));
    assert_eq!(
        r.resolve("./server.js", "", Mode::Import).unwrap().format,
        Format::Module
    );
    assert_eq!(req(&r, "#db", "server.js").unwrap(), "lib/db.js");
    assert_eq!(
        req(&r, "#dep", "server.js").unwrap(),
        "node_modules/dep/index.js"
    );
    assert_eq!(
        r.resolve("dep", "", Mode::Require).unwrap().format,
        Format::CommonJs
    );
    assert!(req(&r, "#nope", "server.js")
        .unwrap_err()
        .starts_with("ERR_PACKAGE_IMPORT_NOT_DEFINED"));
    let e = req(&r, "native", "server.js").unwrap_err();
    assert!(
        e.contains("native") && e.contains("node_modules/native/build/Release/n.node"),
        "{e}"
    );
}

#[test]
fn helpers() {
    assert_eq!(join("a/b", "../c/./d"), "a/c/d");
    assert_eq!(join("", "../../x"), "x");
    assert_eq!(split_package("@a/b/c/d"), Some(("@a/b", "/c/d")));
    assert_eq!(split_package("lodash/fp"), Some(("lodash", "/fp")));
    assert_eq!(
        package_root("node_modules/a/node_modules/@s/b/x.js"),
        Some("node_modules/a/node_modules/@s/b")
    );
    assert_eq!(
        node_modules_dirs("node_modules/a/lib"),
        [
            "node_modules/a/lib/node_modules",
            "node_modules/a/node_modules",
            "node_modules"
        ]
    );
}
