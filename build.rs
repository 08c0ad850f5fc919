//! Packs the `/_admin` UI into the binary (cargo feature `admin`, on by default).
//!
//! The UI's own files (`admin/src/`) and the part of Monaco's minified AMD build
//! (`admin/node_modules/monaco-editor/min/vs`, installed by `scripts/install-deps.sh` from the
//! pinned `admin/package-lock.json`) that the JS/TS/HTML/CSS/JSON/Markdown modes need are
//! gzip-compressed here and written to `$OUT_DIR/admin_assets.rs` as a table the server
//! serves with `Content-Encoding: gzip`. Assets live under a directory named by a hash of
//! their content (`/_admin/a/<hash>/`, `/_admin/m/<hash>/vs/...`), so they are cached for a
//! year; the HTML pages (which name those directories) are never cached.
//!
//! Without Monaco installed the build still succeeds (with a warning) and the editor falls
//! back to a plain text area. Without the feature nothing is packed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Monaco files packed, relative to `min/vs` (directories are taken whole).
const MONACO: &[&str] = &[
    "loader.js",
    "editor/editor.main.js",
    "editor/editor.main.css",
    "base/worker/workerMain.js",
    "base/browser/ui/codicons/codicon/codicon.ttf",
    "basic-languages/javascript",
    "basic-languages/typescript",
    "basic-languages/html",
    "basic-languages/css",
    "basic-languages/markdown",
    "basic-languages/sql",
    "language/typescript",
    "language/html",
    "language/css",
    "language/json",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_ADMIN");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let table = out.join("admin_assets.rs");
    if std::env::var_os("CARGO_FEATURE_ADMIN").is_none() {
        std::fs::write(&table, "").expect("write admin_assets.rs");
        return;
    }
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let ui = root.join("admin/src");
    let monaco = root.join("admin/node_modules/monaco-editor/min/vs");
    println!("cargo:rerun-if-changed=admin/src");
    println!("cargo:rerun-if-changed=admin/node_modules/monaco-editor/package.json");

    // (url path below /_admin/, file on disk)
    let mut ui_files: Vec<(String, PathBuf)> = Vec::new();
    collect(&ui, &ui, &mut ui_files);
    ui_files.sort();
    let mut monaco_files: Vec<(String, PathBuf)> = Vec::new();
    let has_monaco = monaco.join("loader.js").is_file();
    if has_monaco {
        for entry in MONACO {
            let p = monaco.join(entry);
            if p.is_dir() {
                collect(&monaco, &p, &mut monaco_files);
            } else {
                monaco_files.push((entry.to_string(), p));
            }
        }
        monaco_files.sort();
    } else {
        println!(
            "cargo:warning=monaco-editor is not installed (run scripts/install-deps.sh); /_admin uses a plain text editor"
        );
    }

    let ui_hash = hash_of(&ui_files);
    let monaco_hash = if has_monaco {
        hash_of(&monaco_files)
    } else {
        String::from("none")
    };
    let a_dir = format!("/_admin/a/{ui_hash}");
    let m_dir = format!("/_admin/m/{monaco_hash}");
    let mut code = String::new();
    let _ = writeln!(code, "/// URL directory of the UI's own assets.");
    let _ = writeln!(code, "pub const UI_DIR: &str = {a_dir:?};");
    let _ = writeln!(
        code,
        "/// URL directory of Monaco's `vs` tree (\"\" when not packed)."
    );
    let m_url = if has_monaco {
        m_dir.clone()
    } else {
        String::new()
    };
    let _ = writeln!(code, "pub const MONACO_DIR: &str = {m_url:?};");
    let _ = writeln!(code, "/// (URL path, gzip-compressed content, raw length)");
    let _ = writeln!(code, "pub static ASSETS: &[(&str, &[u8], usize)] = &[");
    let mut n = 0;
    let mut pack = |url: String, file: &Path, code: &mut String| {
        let mut raw = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if file.extension().is_some_and(|e| e == "html") {
            raw = String::from_utf8_lossy(&raw)
                .replace("{{A}}", &a_dir)
                .replace("{{M}}", &m_url)
                .into_bytes();
        }
        let gz = out.join(format!("admin_{n}.gz"));
        n += 1;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&raw).expect("gzip");
        std::fs::write(&gz, enc.finish().expect("gzip")).expect("write gz");
        let _ = writeln!(
            code,
            "    ({url:?}, include_bytes!({:?}), {}),",
            gz.display().to_string(),
            raw.len()
        );
    };
    for (rel, file) in &ui_files {
        // Pages keep their plain names; everything else goes under the hashed directory.
        let url = if rel.ends_with(".html") {
            format!("/_admin/{}", rel.trim_end_matches(".html"))
        } else {
            format!("{a_dir}/{rel}")
        };
        pack(url, file, &mut code);
    }
    for (rel, file) in &monaco_files {
        pack(format!("{m_dir}/vs/{rel}"), file, &mut code);
    }
    code.push_str("];\n");
    std::fs::write(&table, code).expect("write admin_assets.rs");
}

/// Every file under `dir`, as (path relative to `base`, path).
fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(base, &p, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push((rel.to_string_lossy().replace('\\', "/"), p.clone()));
        }
    }
}

/// A short content hash of a file set (names and bytes), for cache-busting directory names.
fn hash_of(files: &[(String, PathBuf)]) -> String {
    // FNV-1a 64: no extra build dependency; collisions only cost a stale cache.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (rel, file) in files {
        feed(rel.as_bytes());
        feed(&std::fs::read(file).unwrap_or_default());
    }
    format!("{h:016x}")
}
