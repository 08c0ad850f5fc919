//! Host functions of the built-in `ejs` module (`src/js/lib/ejs.js`): a template file's
//! content hash (the key of its compiled form, so an edit is seen on the next render and an
//! unchanged file is never recompiled) and its text. Paths are henv paths (`/` is the henv
//! root); `..` stops at the root as in the `fs` built-in.

use std::rc::Rc;

use rquickjs::{Ctx, Function, Object};

use super::modules::{join, ModuleHost};
use crate::db;

/// `templateHash(path)` and `templateText(path)` on the host object.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Object<'js>,
    modules: &Rc<ModuleHost>,
) -> rquickjs::Result<()> {
    let m = modules.clone();
    host.set(
        "templateHash",
        // The file's content hash, or undefined when there is no such file.
        Function::new(ctx.clone(), move |path: String| -> Option<String> {
            db::file_hash(&m.conn, &henv_path(&path)).ok().flatten()
        })?,
    )?;
    let m = modules.clone();
    host.set(
        "templateText",
        // The file's text (UTF-8, lossy), or undefined when there is no such file.
        Function::new(ctx.clone(), move |path: String| -> Option<String> {
            db::read_file(&m.conn, &henv_path(&path))
                .ok()
                .flatten()
                .map(|f| String::from_utf8_lossy(&f.content).into_owned())
        })?,
    )?;
    Ok(())
}

/// `/views/../x.ejs` → `x.ejs`: the stored path of an absolute or relative henv path.
fn henv_path(path: &str) -> String {
    join("", path)
}
