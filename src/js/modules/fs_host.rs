//! Host functions of the read-only `fs` built-in: the henv's files are the whole file
//! system (`/` is the henv root; directories are the prefixes of stored paths). Nothing
//! outside the henv is reachable: paths are normalised and `..` stops at the root.

use std::rc::Rc;

use rquickjs::{Ctx, Function, Object, TypedArray, Value};

use super::resolve::join;
use super::ModuleHost;

/// `fsRead(path)`, `fsStat(path)`, `fsReaddir(path)` on the host object.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Object<'js>,
    modules: &Rc<ModuleHost>,
) -> rquickjs::Result<()> {
    let m = modules.clone();
    host.set(
        "fsRead",
        // The bytes of a file, or undefined when there is no such file.
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, path: String| {
            match m.file(&join("", &path)) {
                Some(f) => TypedArray::<u8>::new(ctx, f.content).map(|a| a.into_value()),
                None => Ok(Value::new_undefined(ctx)),
            }
        })?,
    )?;
    let m = modules.clone();
    host.set(
        "fsStat",
        // [isFile, size, mtime seconds] or undefined; a directory is [false, 0, newest mtime].
        Function::new(ctx.clone(), move |path: String| -> rquickjs::Result<Option<Vec<f64>>> {
            let rel = join("", &path);
            let conn = &m.conn;
            if rel.is_empty() {
                return Ok(Some(vec![0.0, 0.0, 0.0]));
            }
            let file = conn
                .prepare_cached("SELECT size, modified_at FROM _hbf_files WHERE path = ?1")
                .and_then(|mut st| {
                    st.query_row([&rel], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                });
            if let Ok((size, mtime)) = file {
                return Ok(Some(vec![1.0, size as f64, mtime as f64]));
            }
            let (lo, hi) = prefix_range(&rel);
            let dir = conn
                .prepare_cached(
                    "SELECT max(modified_at), count(*) FROM _hbf_files WHERE path >= ?1 AND path < ?2",
                )
                .and_then(|mut st| {
                    st.query_row([&lo, &hi], |r| {
                        Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))
                    })
                });
            match dir {
                Ok((mtime, n)) if n > 0 => Ok(Some(vec![0.0, 0.0, mtime.unwrap_or(0) as f64])),
                _ => Ok(None),
            }
        })?,
    )?;
    let m = modules.clone();
    host.set(
        "fsReaddir",
        // The names in a directory (sorted, files and subdirectories), or undefined.
        Function::new(
            ctx.clone(),
            move |path: String| -> rquickjs::Result<Option<Vec<String>>> {
                let rel = join("", &path);
                let (lo, hi) = if rel.is_empty() {
                    (String::new(), "\u{10ffff}".to_owned())
                } else {
                    prefix_range(&rel)
                };
                let Ok(mut st) = m.conn.prepare_cached(
                    "SELECT path FROM _hbf_files WHERE path >= ?1 AND path < ?2 ORDER BY path",
                ) else {
                    return Ok(None);
                };
                let rows = st.query_map([&lo, &hi], |r| r.get::<_, String>(0));
                let Ok(rows) = rows else { return Ok(None) };
                let mut names: Vec<String> = Vec::new();
                for p in rows.flatten() {
                    let rest = &p[lo.len()..];
                    let name = rest.split('/').next().unwrap_or(rest);
                    if names.last().map(String::as_str) != Some(name) {
                        names.push(name.to_owned());
                    }
                }
                if names.is_empty() {
                    return Ok(None);
                }
                names.sort();
                names.dedup();
                Ok(Some(names))
            },
        )?,
    )?;
    Ok(())
}

/// `["dir/", "dir0")`: the paths under directory `dir`.
fn prefix_range(dir: &str) -> (String, String) {
    (format!("{dir}/"), format!("{dir}0"))
}
