//! The module system end to end: app trees stored in a real henv (as `hbf import` writes
//! them), run by the real server, spoken to over TCP: require() with Node's resolution,
//! ES modules, circular requires, errors naming file:line:col, hot reload that keeps the
//! previous version when the new one fails to load, native addons, the read-only `fs`.

mod common;

use common::apps::{put_file, start_app_server, AppServer};
use common::TempDir;
use hbf::henv;

fn app(files: &[(&str, &str)]) -> AppServer {
    app_with(files, |_| {})
}

fn app_with(files: &[(&str, &str)], tweak: impl FnOnce(&mut hbf::Config)) -> AppServer {
    let dir = TempDir::new("modules");
    for (path, content) in files {
        put_file(dir.path(), path, content.as_bytes());
    }
    start_app_server(dir, true, tweak)
}

fn body(app: &AppServer, path: &str) -> (u16, String) {
    let r = app.get(path);
    (r.status, r.text())
}

#[test]
fn relative_json_index_and_node_modules() {
    let app = app(&[
        (
            "server.js",
            r#"const express = require('express');
const greet = require('./lib/greet');
const data = require('./lib/data.json');
const util = require('./lib/util');
const dep = require('dep');
const app = express();
app.get('/', (req, res) => res.json({
  greet: greet('x'), data, util: util.name, dep,
  filename: __filename, dirname: __dirname,
  resolved: require.resolve('./lib/greet'), depPath: require.resolve('dep'),
  cached: Object.keys(require.cache).sort(),
  main: require.main === module,
  builtins: require('module').builtinModules.includes('fs') && require('node:module').isBuiltin('node:fs'),
}));
module.exports = app;"#,
        ),
        (
            "lib/greet.js",
            "module.exports = (n) => 'hi ' + n + ' from ' + __filename + ' in ' + __dirname;",
        ),
        ("lib/data.json", r#"{"a": [1, 2]}"#),
        ("lib/util/index.js", "exports.name = 'util';"),
        (
            "node_modules/dep/package.json",
            r#"{"main": "lib/main.js"}"#,
        ),
        (
            "node_modules/dep/lib/main.js",
            "module.exports = require('inner') + '+dep';",
        ),
        (
            "node_modules/dep/node_modules/inner/index.js",
            "module.exports = 'inner';",
        ),
    ]);
    let r = app.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["greet"], "hi x from /lib/greet.js in /lib");
    assert_eq!(j["data"]["a"][1], 2);
    assert_eq!(j["util"], "util");
    assert_eq!(j["dep"], "inner+dep");
    assert_eq!(j["filename"], "/server.js");
    assert_eq!(j["dirname"], "/");
    assert_eq!(j["resolved"], "/lib/greet.js");
    assert_eq!(j["depPath"], "/node_modules/dep/lib/main.js");
    assert_eq!(j["main"], true);
    assert_eq!(j["builtins"], true);
    assert!(j["cached"]
        .as_array()
        .unwrap()
        .contains(&"/node_modules/dep/node_modules/inner/index.js".into()));
}

#[test]
fn package_exports_conditions_and_esm() {
    let app = app(&[
        (
            "server.js",
            r#"import express from 'express';
import pkg, { kind } from 'dual';
import cjs from './lib/c.cjs';
import { named } from './lib/c.cjs';
import data from './lib/d.json';
import { helper } from '#helper';
const app = express();
app.get('/', async (req, res) => {
  const dyn = await import('./lib/late.mjs');
  res.json({ kind, pkgKind: pkg.kind, cjs: cjs.named, named, data, helper: helper(),
             dyn: dyn.default, requireKind: dyn.requireKind, meta: dyn.meta });
});
export default app;"#,
        ),
        (
            "package.json",
            r##"{"type": "module", "imports": {"#helper": "./lib/helper.js"}}"##,
        ),
        ("lib/helper.js", "export function helper() { return 'helped'; }"),
        ("lib/c.cjs", "exports.named = 'cjs-named';"),
        ("lib/d.json", r#"{"x": 1}"#),
        (
            "lib/late.mjs",
            "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);
export const meta = [import.meta.url, import.meta.filename, import.meta.dirname];\nexport default 'late';\nexport const requireKind = require('dual').kind;",
        ),
        (
            "node_modules/dual/package.json",
            r#"{"name": "dual", "exports": {".": {"import": "./esm.mjs", "require": "./cjs.js"}}}"#,
        ),
        ("node_modules/dual/esm.mjs", "export const kind = 'esm';\nexport default { kind: 'esm-default' };"),
        ("node_modules/dual/cjs.js", "exports.kind = 'cjs';"),
    ]);
    let r = app.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["kind"], "esm");
    assert_eq!(j["pkgKind"], "esm-default");
    assert_eq!(j["cjs"], "cjs-named");
    assert_eq!(j["named"], "cjs-named");
    assert_eq!(j["data"]["x"], 1);
    assert_eq!(j["helper"], "helped");
    assert_eq!(j["dyn"], "late");
    assert_eq!(j["requireKind"], "cjs");
    assert_eq!(
        j["meta"],
        serde_json::json!(["file:///lib/late.mjs", "/lib/late.mjs", "/lib"])
    );
}

#[test]
fn circular_requires_see_partial_exports() {
    // Node's own example (modules.md "Cycles").
    let app = app(&[
        (
            "server.js",
            r#"const log = [];
globalThis.__log = log;
const a = require('./a.js');
const b = require('./b.js');
log.push('in main, a.done = ' + a.done + ', b.done = ' + b.done);
const app = require('express')();
app.get('/', (req, res) => res.json(log));
module.exports = app;"#,
        ),
        (
            "a.js",
            "__log.push('a starting');\nexports.done = false;\nconst b = require('./b.js');\n__log.push('in a, b.done = ' + b.done);\nexports.done = true;\n__log.push('a done');",
        ),
        (
            "b.js",
            "__log.push('b starting');\nexports.done = false;\nconst a = require('./a.js');\n__log.push('in b, a.done = ' + a.done);\nexports.done = true;\n__log.push('b done');",
        ),
    ]);
    let r = app.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    let log: Vec<String> = serde_json::from_value(r.json()).unwrap();
    assert_eq!(
        log,
        [
            "a starting",
            "b starting",
            "in b, a.done = false",
            "b done",
            "in a, b.done = true",
            "a done",
            "in main, a.done = true, b.done = true"
        ]
    );
}

#[test]
fn errors_name_the_module_file_line_and_column() {
    let app = app(&[
        (
            "server.js",
            r#"const app = require('express')();
app.get('/syntax', (req, res) => {
  try { require('./lib/bad'); } catch (e) { res.status(500).json({ message: e.message, name: e.name }); }
});
app.get('/missing', (req, res) => {
  try { require('./lib/user').missing(); } catch (e) { res.status(500).json({ message: e.message, code: e.code }); }
});
app.get('/pkg', (req, res) => {
  try { require('nope-pkg'); } catch (e) { res.status(500).json({ message: e.message, code: e.code }); }
});
app.get('/throws', (req, res) => {
  try { require('./lib/throws'); } catch (e) { res.status(500).json({ stack: e.stack }); }
});
app.get('/addon', (req, res) => {
  try { require('native-pkg'); } catch (e) { res.status(500).json({ message: e.message, code: e.code }); }
});
app.get('/esm', (req, res) => {
  try { res.json({ value: require('./lib/e.mjs').default }); } catch (e) { res.status(500).json({ message: e.message, code: e.code }); }
});
module.exports = app;"#,
        ),
        (
            "lib/bad.js",
            "const a = 1;\nfunction f() {\n  return a +;\n}\n",
        ),
        (
            "lib/user.js",
            "exports.missing = () => require('./not-there');",
        ),
        (
            "lib/throws.js",
            "const x = 1;\nthrow new Error('boom at load');\n",
        ),
        ("lib/e.mjs", "export default 1;"),
        (
            "node_modules/native-pkg/package.json",
            r#"{"main": "index.js"}"#,
        ),
        (
            "node_modules/native-pkg/index.js",
            "module.exports = require('./build/Release/n.node');",
        ),
    ]);
    {
        let (conn, _) = henv::open_henv(app.dir.path(), "localhost").unwrap();
        conn.execute(
            "INSERT INTO _hbf_config (key, value) VALUES ('native_addons', '[\"node_modules/native-pkg/build/Release/n.node\"]')",
            [],
        )
        .unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    let r = app.get("/syntax");
    assert_eq!(r.status, 500);
    let j = r.json();
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .starts_with("lib/bad.js:3:13: "),
        "{j}"
    );
    assert_eq!(j["name"], "SyntaxError");
    let j = app.get("/missing").json();
    assert_eq!(j["code"], "MODULE_NOT_FOUND");
    assert_eq!(
        j["message"],
        "Cannot find module './not-there' from 'lib/user.js'"
    );
    let j = app.get("/pkg").json();
    assert_eq!(
        j["message"],
        "Cannot find module 'nope-pkg' from 'server.js'"
    );
    let r = app.get("/throws");
    let stack = r.json()["stack"].as_str().unwrap().to_owned();
    assert!(stack.contains("lib/throws.js:2"), "{stack}");
    let j = app.get("/addon").json();
    let msg = j["message"].as_str().unwrap();
    assert!(
        msg.contains("native-pkg") && msg.contains("node_modules/native-pkg/build/Release/n.node"),
        "{msg}"
    );
    // require() of an ES module gives its namespace, as Node 20.19+ does.
    let j = app.get("/esm").json();
    assert_eq!(j["value"], 1);
}

#[test]
fn a_version_that_fails_to_load_leaves_the_previous_one_serving() {
    // One worker: the one that served the previous version (a worker that never ran the app
    // has no previous version to fall back on).
    let app = app_with(&[
        (
            "server.js",
            "const app = require('express')();\napp.get('/', (req, res) => res.send(require('./lib/v').v));\nmodule.exports = app;",
        ),
        ("lib/v.js", "exports.v = 'one';"),
    ], |c| c.workers = 1);
    assert_eq!(body(&app, "/"), (200, "one".into()));
    // A module file changed alone reloads the app.
    put_file(app.dir.path(), "lib/v.js", b"exports.v = 'two';");
    std::thread::sleep(std::time::Duration::from_millis(150));
    let mut seen = String::new();
    for _ in 0..10 {
        seen = body(&app, "/").1;
        if seen == "two" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(seen, "two");
    put_file(
        app.dir.path(),
        "server.js",
        b"require('./lib/v');\nthrow new Error('broken release');",
    );
    std::thread::sleep(std::time::Duration::from_millis(150));
    for _ in 0..4 {
        assert_eq!(body(&app, "/"), (200, "two".into()));
    }
}

#[test]
fn fs_reads_the_henv_files_and_refuses_writes() {
    let app = app(&[
        (
            "server.js",
            r#"const fs = require('fs');
const path = '/views/a.txt';
const app = require('express')();
app.get('/', async (req, res) => {
  const out = {
    text: fs.readFileSync(path, 'utf8'),
    bytes: fs.readFileSync('views/a.txt').length,
    exists: [fs.existsSync(path), fs.existsSync('/nope'), fs.existsSync('/views')],
    stat: [fs.statSync(path).isFile(), fs.statSync(path).size, fs.statSync('/views').isDirectory()],
    dir: fs.readdirSync('/views'),
    root: fs.readdirSync('/').includes('server.js'),
    promise: await fs.promises.readFile(path, 'utf8'),
    escape: fs.existsSync('/../../etc/passwd'),
  };
  try { fs.readFileSync('/missing.txt'); } catch (e) { out.enoent = e.code; }
  try { fs.writeFileSync('/x', 'y'); } catch (e) { out.write = [e.code, /hbf:db/.test(e.message)]; }
  out.cb = await new Promise((r) => fs.readFile(path, 'utf8', (err, d) => r(d)));
  out.fromPromises = await require('fs/promises').readFile(path, 'utf8');
  res.json(out);
});
module.exports = app;"#,
        ),
        ("views/a.txt", "hello fs"),
        ("views/sub/b.txt", "b"),
    ]);
    let r = app.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["text"], "hello fs");
    assert_eq!(j["bytes"], 8);
    assert_eq!(j["exists"], serde_json::json!([true, false, true]));
    assert_eq!(j["stat"], serde_json::json!([true, 8, true]));
    assert_eq!(j["dir"], serde_json::json!(["a.txt", "sub"]));
    assert_eq!(j["root"], true);
    assert_eq!(j["promise"], "hello fs");
    assert_eq!(j["escape"], false);
    assert_eq!(j["enoent"], "ENOENT");
    assert_eq!(
        j["write"],
        serde_json::json!(["ERR_HBF_READ_ONLY_FS", true])
    );
    assert_eq!(j["cb"], "hello fs");
    assert_eq!(j["fromPromises"], "hello fs");
}

fn hbf(args: &[&str], storage: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args(args)
        .args(["--host", "localhost", "--storage_dir"])
        .arg(storage)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn cli_import_of_node_modules_skips_refuses_and_exports_byte_for_byte() {
    let src = TempDir::new("import-src");
    let p = src.path();
    let files: &[(&str, &[u8])] = &[
        (
            "server.js",
            b"const app = require('express')();\napp.get('/', (req, res) => res.send(require('left-pad')('x', 3)));\napp.get('/native', (req, res) => { try { require('fast-native'); } catch (e) { res.status(500).send(e.message); } });\nmodule.exports = app;",
        ),
        ("node_modules/left-pad/package.json", br#"{"name": "left-pad", "main": "index.js"}"#),
        ("node_modules/left-pad/index.js", b"module.exports = (s, n) => ' '.repeat(n - s.length) + s;"),
        ("node_modules/left-pad/README.md", b"# left-pad"),
        ("node_modules/left-pad/test/index.js", b"throw 1"),
        ("node_modules/fast-native/package.json", br#"{"name": "fast-native", "main": "index.js"}"#),
        ("node_modules/fast-native/index.js", b"module.exports = require('node-gyp-build')(__dirname);"),
        ("node_modules/fast-native/prebuilds/linux-x64/fast.node", b"\x7fELF\0\0"),
        ("www/logo.bin", &[0, 255, 13, 10, 0, 128]),
    ];
    for (f, c) in files {
        std::fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
        std::fs::write(p.join(f), c).unwrap();
    }
    let storage = TempDir::new("import-store");
    let (ok, out) = hbf(&["import", p.to_str().unwrap()], storage.path());
    assert!(ok, "{out}");
    assert!(
        out.contains("skipped native addon node_modules/fast-native/prebuilds/linux-x64/fast.node"),
        "{out}"
    );
    assert!(out.contains("imported 6 files"), "{out}");
    assert!(out.contains("3 skipped"), "{out}");

    // Export gives every imported file back, byte for byte.
    let back = TempDir::new("export");
    let (ok, out) = hbf(&["export", back.path().to_str().unwrap()], storage.path());
    assert!(ok, "{out}");
    for (f, c) in files {
        let skipped = f.ends_with(".md") || f.contains("/test/") || f.ends_with(".node");
        assert_eq!(
            std::fs::read(back.path().join(f)).ok(),
            (!skipped).then(|| c.to_vec()),
            "{f}"
        );
    }

    let app = start_app_server(storage, true, |_| {});
    assert_eq!(body(&app, "/"), (200, "  x".into()));
    let (status, text) = body(&app, "/native");
    assert_eq!(status, 500);
    assert!(
        text.contains("fast-native") && text.contains("fast.node"),
        "{text}"
    );

    // Refusals: a link out of the tree, an import over the size limit.
    let outside = TempDir::new("outside");
    std::fs::write(outside.path().join("secret.txt"), "s").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), p.join("leak.txt")).unwrap();
    let (ok, out) = hbf(&["import", p.to_str().unwrap()], app.dir.path());
    assert!(!ok);
    assert!(
        out.contains("leak.txt") && out.contains("outside the imported directory"),
        "{out}"
    );
    std::fs::remove_file(p.join("leak.txt")).unwrap();
    std::fs::write(p.join("big.bin"), vec![7u8; 2 << 20]).unwrap();
    let (ok, out) = hbf(
        &["import", p.to_str().unwrap(), "--max_import_mb", "1"],
        app.dir.path(),
    );
    assert!(!ok);
    assert!(out.contains("exceed 1 MiB"), "{out}");
    // Nothing was written by the refused imports: the app still serves.
    assert_eq!(body(&app, "/"), (200, "  x".into()));
}
