//! `hbf import DIR`: a directory tree, `node_modules/` included, loaded into a henv's files in
//! one transaction. Inside `node_modules/` what can never load is left out and reported:
//! native addons (`.node`, recorded so that `require` of their package names them), test,
//! example and docs directories, Markdown, source maps and TypeScript sources. Symbolic links
//! are followed only when they stay inside the tree; a link out of it, a path with `..`, or
//! a tree over the size limit refuses the whole import before anything is written.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::HenvError;
use crate::db;

/// Default limit of a whole import (`hbf import --max_import_mb`).
pub const DEFAULT_MAX_IMPORT_MB: u64 = 512;

/// Directory names under `node_modules/` that hold nothing a package loads at run time.
const SKIPPED_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__mocks__",
    "example",
    "examples",
    "docs",
    "benchmark",
    "benchmarks",
    "coverage",
];

/// File name endings under `node_modules/` that are never loaded.
const SKIPPED_SUFFIXES: &[&str] = &[
    ".md",
    ".markdown",
    ".map",
    ".d.ts",
    ".d.mts",
    ".d.cts",
    ".ts",
    ".tsx",
];

/// How an import runs.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Also delete henv files absent from the tree.
    pub prune: bool,
    /// The most bytes the imported files may add up to.
    pub max_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            prune: false,
            max_bytes: DEFAULT_MAX_IMPORT_MB << 20,
        }
    }
}

/// Why an entry was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    NativeAddon,
    TestsDocsExamples,
    DocsMapsTypes,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::NativeAddon => "native addons (.node)",
            SkipReason::TestsDocsExamples => "test/example/docs directories",
            SkipReason::DocsMapsTypes => "Markdown, source maps and TypeScript files",
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub files: usize,
    pub bytes: u64,
    pub deleted: usize,
    pub skipped: Vec<(SkipReason, String)>,
}

/// Imports the tree `dir`; `progress(done, total)` is called as files are written.
pub fn import_tree(
    conn: &mut Connection,
    dir: &Path,
    options: &ImportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ImportReport, HenvError> {
    let io = |source, p: &Path| HenvError::Io {
        path: p.display().to_string(),
        source,
    };
    let root = dir.canonicalize().map_err(|e| io(e, dir))?;
    let mut walk = Walk {
        root: root.clone(),
        files: Vec::new(),
        skipped: Vec::new(),
        bytes: 0,
        max_bytes: options.max_bytes,
        visited: HashSet::new(),
    };
    walk.dir(&root, "")?;
    let sql = |path: &str| {
        let path = path.to_owned();
        move |source| HenvError::Sqlite { path, source }
    };
    let tx = conn.transaction().map_err(sql("import"))?;
    let total = walk.files.len() as u64;
    for (i, (rel, abs)) in walk.files.iter().enumerate() {
        let content = std::fs::read(abs).map_err(|e| io(e, abs))?;
        // Keep the source mtime, so Last-Modified is the file's, not the import's.
        let mtime = std::fs::metadata(abs)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        db::put_file_at(&tx, rel, &content, mtime).map_err(sql(rel))?;
        progress(i as u64 + 1, total);
    }
    let addons: Vec<&str> = walk
        .skipped
        .iter()
        .filter(|(r, _)| *r == SkipReason::NativeAddon)
        .map(|(_, p)| p.as_str())
        .collect();
    if !addons.is_empty()
        || walk
            .files
            .iter()
            .any(|(p, _)| p.starts_with("node_modules/"))
    {
        let list = serde_json::to_string(&addons).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "INSERT INTO _hbf_config (key, value, description)
             VALUES ('native_addons', ?1, 'Native addons left out by hbf import (require names them)')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, modified_at = unixepoch()",
            [list],
        )
        .map_err(sql("native_addons"))?;
    }
    let mut deleted = 0;
    if options.prune {
        let keep: HashSet<&str> = walk.files.iter().map(|(p, _)| p.as_str()).collect();
        for meta in db::list_files(&tx).map_err(sql("files"))? {
            if !keep.contains(meta.path.as_str()) {
                db::delete_file(&tx, &meta.path).map_err(sql(&meta.path))?;
                deleted += 1;
            }
        }
    }
    tx.commit().map_err(sql("import"))?;
    Ok(ImportReport {
        files: walk.files.len(),
        bytes: walk.bytes,
        deleted,
        skipped: walk.skipped,
    })
}

struct Walk {
    root: PathBuf,
    files: Vec<(String, PathBuf)>,
    skipped: Vec<(SkipReason, String)>,
    bytes: u64,
    max_bytes: u64,
    /// Canonical directories entered (a link back up the tree is not walked twice).
    visited: HashSet<PathBuf>,
}

impl Walk {
    fn dir(&mut self, dir: &Path, rel_dir: &str) -> Result<(), HenvError> {
        let io = |source, p: &Path| HenvError::Io {
            path: p.display().to_string(),
            source,
        };
        let canonical = dir.canonicalize().map_err(|e| io(e, dir))?;
        if !self.visited.insert(canonical) {
            return Ok(());
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(e, dir))?
            .collect::<Result<_, _>>()
            .map_err(|e| io(e, dir))?;
        entries.sort_by_key(|e| e.file_name());
        let in_node_modules = rel_dir == "node_modules"
            || rel_dir.starts_with("node_modules/")
            || rel_dir.contains("/node_modules");
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = if rel_dir.is_empty() {
                name.clone()
            } else {
                format!("{rel_dir}/{name}")
            };
            if rel.contains("..") || !db::valid_file_path(&rel) {
                return Err(HenvError::BadPath(rel));
            }
            let mut kind = entry.file_type().map_err(|e| io(e, &path))?;
            if kind.is_symlink() {
                let target = path.canonicalize().map_err(|e| io(e, &path))?;
                if !target.starts_with(&self.root) {
                    return Err(HenvError::SymlinkEscapes {
                        path: rel,
                        target: target.display().to_string(),
                    });
                }
                kind = std::fs::metadata(&target)
                    .map_err(|e| io(e, &path))?
                    .file_type();
            }
            if kind.is_dir() {
                if in_node_modules && SKIPPED_DIRS.contains(&name.as_str()) {
                    self.skipped.push((SkipReason::TestsDocsExamples, rel));
                    continue;
                }
                self.dir(&path, &rel)?;
            } else if kind.is_file() {
                if in_node_modules {
                    if name.ends_with(".node") {
                        self.skipped.push((SkipReason::NativeAddon, rel));
                        continue;
                    }
                    if SKIPPED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
                        self.skipped.push((SkipReason::DocsMapsTypes, rel));
                        continue;
                    }
                }
                self.bytes += std::fs::metadata(&path).map_err(|e| io(e, &path))?.len();
                if self.bytes > self.max_bytes {
                    return Err(HenvError::TooLarge {
                        limit_mb: self.max_bytes >> 20,
                    });
                }
                self.files.push((rel, path));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_what_cannot_load_and_refuses_escapes() {
        let src = tempfile::tempdir().unwrap();
        let p = src.path();
        for (f, c) in [
            ("server.js", "x"),
            ("tests/keep.js", "t"),
            ("node_modules/a/index.js", "a"),
            ("node_modules/a/README.md", "r"),
            ("node_modules/a/index.js.map", "m"),
            ("node_modules/a/test/t.js", "t"),
            ("node_modules/a/build/Release/a.node", "\0"),
        ] {
            std::fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
            std::fs::write(p.join(f), c).unwrap();
        }
        std::os::unix::fs::symlink(p.join("server.js"), p.join("link.js")).unwrap();
        let db = tempfile::tempdir().unwrap();
        let mut conn = db::open(&db.path().join("h.db")).unwrap();
        let report = import_tree(&mut conn, p, &ImportOptions::default(), &mut |_, _| {}).unwrap();
        let paths: Vec<String> = db::list_files(&conn)
            .unwrap()
            .into_iter()
            .map(|m| m.path)
            .collect();
        assert_eq!(
            paths,
            [
                "link.js",
                "node_modules/a/index.js",
                "server.js",
                "tests/keep.js"
            ]
        );
        assert_eq!(report.files, 4);
        assert_eq!(report.skipped.len(), 4);
        let addons: String = conn
            .query_row(
                "SELECT value FROM _hbf_config WHERE key = 'native_addons'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(addons, r#"["node_modules/a/build/Release/a.node"]"#);

        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), p.join("leak")).unwrap();
        let err = import_tree(&mut conn, p, &ImportOptions::default(), &mut |_, _| {}).unwrap_err();
        assert!(
            err.to_string().contains("leak") && err.to_string().contains("outside"),
            "{err}"
        );
        std::fs::remove_file(p.join("leak")).unwrap();

        std::fs::write(p.join("bad..name.js"), "x").unwrap();
        let err = import_tree(&mut conn, p, &ImportOptions::default(), &mut |_, _| {}).unwrap_err();
        assert!(
            err.to_string().contains("bad..name.js") && err.to_string().contains(".."),
            "{err}"
        );
        std::fs::remove_file(p.join("bad..name.js")).unwrap();

        let small = ImportOptions {
            prune: false,
            max_bytes: 3,
        };
        let err = import_tree(&mut conn, p, &small, &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("--max_import_mb"), "{err}");
    }

    #[test]
    fn a_50_mb_node_modules_imports_within_the_limit_and_is_refused_over_it() {
        let src = tempfile::tempdir().unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for i in 0..50 {
            let dir = src.path().join(format!("node_modules/p{}/lib", i % 5));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("f{i}.js")), &chunk).unwrap();
        }
        let db = tempfile::tempdir().unwrap();
        let mut conn = db::open(&db.path().join("h.db")).unwrap();
        let tight = ImportOptions {
            prune: false,
            max_bytes: 40 << 20,
        };
        let err = import_tree(&mut conn, src.path(), &tight, &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("exceed 40 MiB"), "{err}");
        assert!(db::list_files(&conn).unwrap().is_empty());
        let report = import_tree(
            &mut conn,
            src.path(),
            &ImportOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!((report.files, report.bytes), (50, 50 << 20));
    }
}
