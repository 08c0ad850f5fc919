//! express.js's parsers under fuzz input: cookies, both query-string parsers, `URLSearchParams`
//! (prelude.js) and the Express 5 path matcher (path-to-regexp).
//!
//! One QuickJS runtime per thread, built like an app's (host, loader, db, auth, prelude), then
//! express.js evaluated as source with one `return` appended to its CommonJS wrapper, which
//! hands its internal functions to `fuzzing.js` — express.js itself is not changed. Each input
//! runs under a deadline (the interrupt handler), so a pathological regexp shows up as a panic
//! rather than a hang. The invariants are in `fuzzing.js`.
//!
//! Compiled only for tests and with the `fuzzing` feature.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Function, Module, Object, Persistent, Runtime,
};
use rusqlite::Connection;

use super::host::{self, HostEnv, LogContext};
use crate::config::{LogFormat, LogLevel};
use crate::db::{self, authz::Authz};
use crate::observe::Logger;

const HARNESS_JS: &str = include_str!("fuzzing.js");
/// express.js internals the harness uses (all top-level declarations of express.js).
const INTERNALS: &str =
    "parseCookies, parseSimpleQuery, qsParse, parsePath, pathToRegexp, stringMatcher, parseUrlString";
/// Longest one input may run: far beyond any sane parse, short enough to flag a ReDoS.
const DEADLINE: Duration = Duration::from_secs(2);

/// Which parser an input goes to (the first input byte, modulo 6).
pub const PARSERS: [&str; 6] = [
    "cookies",
    "simple query",
    "extended query / urlencoded",
    "URLSearchParams",
    "path",
    "url",
];

struct Harness {
    // Field order: the persistent handle drops before the context and runtime.
    check: Persistent<Function<'static>>,
    context: Context,
    _runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
}

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fn build() -> Result<Harness, String> {
    let runtime = Runtime::new().map_err(|e| e.to_string())?;
    runtime.set_memory_limit(256 << 20);
    runtime.set_max_stack_size(1024 * 1024);
    let deadline = Rc::new(Cell::new(None::<Instant>));
    let watch = deadline.clone();
    runtime.set_interrupt_handler(Some(Box::new(move || {
        watch.get().is_some_and(|d| Instant::now() >= d)
    })));
    let context = Context::full(&runtime).map_err(|e| e.to_string())?;
    let mut conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
    db::migrate(&mut conn, ":memory:").map_err(|e| e.to_string())?;
    let authz = Authz::install(&mut conn).map_err(|e| e.to_string())?;
    let env = HostEnv::new(
        Rc::new(conn),
        Rc::new(authz),
        Rc::default(),
        Arc::new(Logger::new(LogLevel::Error, LogFormat::Text).map_err(|e| e.to_string())?),
        Rc::new(RefCell::new(LogContext::default())),
        Default::default(),
    );
    let check = context.with(|ctx| -> Result<_, String> {
        let err = |e: CaughtError<'_>| e.to_string();
        let host_obj = host::install(&ctx, &env).map_err(|e| e.to_string())?;
        run_module(&ctx, "loader.js", super::LOADER_JS)?;
        let bind_host: Function = ctx
            .eval("(function (host) { __hbf_define('hbf:host', function (e, r, module) { module.exports = host; }); })")
            .catch(&ctx)
            .map_err(err)?;
        bind_host.call::<_, ()>((host_obj,)).catch(&ctx).map_err(err)?;
        for (name, source) in [
            ("db.js", super::DB_JS),
            ("auth.js", super::AUTH_JS),
            ("documents.js", super::DOCUMENTS_JS),
            ("prelude.js", super::PRELUDE_JS),
        ] {
            run_module(&ctx, name, source)?;
        }
        // The app wrapper (compile_commonjs) plus a return of the internals; same line numbers.
        let wrapped = format!(
            "(function (exports, require, module, __filename, __dirname) {{{}\nreturn {{ {INTERNALS} }};\n}})",
            super::EXPRESS_JS
        );
        let factory: Function = ctx.eval(wrapped).catch(&ctx).map_err(err)?;
        let require: Function = ctx.globals().get("require").map_err(|e| e.to_string())?;
        let module = Object::new(ctx.clone()).map_err(|e| e.to_string())?;
        let exports = Object::new(ctx.clone()).map_err(|e| e.to_string())?;
        module.set("exports", exports.clone()).map_err(|e| e.to_string())?;
        let internals: Object = factory
            .call((exports, require, module, "/express", "/"))
            .catch(&ctx)
            .map_err(err)?;
        let harness: Function = ctx.eval(HARNESS_JS).catch(&ctx).map_err(err)?;
        let check: Function = harness.call((internals,)).catch(&ctx).map_err(err)?;
        Ok(Persistent::save(&ctx, check))
    })?;
    Ok(Harness {
        check,
        context,
        _runtime: runtime,
        deadline,
    })
}

fn run_module(ctx: &Ctx<'_>, name: &str, source: &str) -> Result<(), String> {
    let module = Module::declare(ctx.clone(), name, source)
        .catch(ctx)
        .map_err(|e| format!("{name}: {e}"))?;
    let (_module, promise) = module
        .eval()
        .catch(ctx)
        .map_err(|e| format!("{name}: {e}"))?;
    while ctx.execute_pending_job() {}
    promise
        .finish::<()>()
        .catch(ctx)
        .map_err(|e| format!("{name}: {e}"))
}

/// Runs one fuzz input: byte 0 picks the parser (`PARSERS`), byte 1 its options, the rest
/// (as lossy UTF-8) is the input; for `path` a newline separates the pattern from the path.
/// Panics when an invariant of `fuzzing.js` fails, on an undocumented exception, or when the
/// input runs past the deadline.
pub fn run_parser(data: &[u8]) {
    let [which, flags, rest @ ..] = data else {
        return;
    };
    let input = String::from_utf8_lossy(rest);
    HARNESS.with(|cell| {
        let mut slot = cell.borrow_mut();
        let harness = slot.get_or_insert_with(|| build().expect("building the JS harness"));
        harness.deadline.set(Some(Instant::now() + DEADLINE));
        let outcome = harness.context.with(|ctx| {
            let check = harness
                .check
                .clone()
                .restore(&ctx)
                .expect("harness function");
            let result = check
                .call::<_, ()>((*which, &*input, *flags))
                .catch(&ctx)
                .map_err(|e| e.to_string());
            while ctx.execute_pending_job() {}
            result
        });
        harness.deadline.set(None);
        if let Err(message) = outcome {
            let parser = PARSERS[usize::from(*which) % PARSERS.len()];
            panic!("{parser} parser, flags {flags:#04x}, input {input:?}: {message}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(which: u8, flags: u8, input: &str) {
        let mut data = vec![which, flags];
        data.extend_from_slice(input.as_bytes());
        run_parser(&data);
    }

    #[test]
    fn seeds_hold_their_invariants() {
        run(
            0,
            0,
            "a=1; b=\"two\"; __proto__=x; constructor=j:{\"x\":1}; c=%E0%A4%A",
        );
        run(1, 0, "a=1&a=2&b&=c&%zz=%41+b&__proto__=1");
        run(
            2,
            0,
            "a[b][c]=1&a[]=2&__proto__[x]=1&constructor[prototype][y]=2&x[0]=a&x[1]=b",
        );
        run(2, 0x31, "a[b][c][d][e][f]=1&a[25]=z");
        run(3, 0, "?a=1&b=%20c&d+e=f&g");
        run(4, 0, "/users/:id/books/:bookId\n/users/7/books/9");
        run(4, 0, "/files/*path\n/files/a/b%20c");
        run(4, 1, "/api{/:version}/x\n/api/v2/x/y");
        run(4, 2, "/:a-:b.:c\n/x-y.z");
        run(4, 0, "/:a(\n/x"); // a PathError is documented
        run(4, 0, "/:a\n/%zz"); // a 400 URIError is documented
        run(2, 2, "a[b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q][r][s][t][u][v][w][x][y][z][0][1][2][3][4][5][6]=1");
        run(2, 3, "a[b]=1&c[]=2&c[]=3");
        run(2, 6, "a=%E9t%E9&b=%41");
        run(5, 0, "/a/b?c=d?e#f");
        run(5, 0, "http://example.com?x=1");
    }

    #[test]
    #[should_panic(expected = "INVARIANT: a built-in prototype changed")]
    fn prototype_pollution_is_caught() {
        run(0, 0, "a=1");
        HARNESS.with(|cell| {
            let slot = cell.borrow();
            let harness = slot.as_ref().expect("built by the first run");
            harness.context.with(|ctx| {
                let _: () = ctx
                    .eval("Object.prototype.polluted = 1")
                    .expect("evaluates");
            });
        });
        run(0, 0, "a=1");
    }

    #[test]
    fn committed_corpus_holds() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/express");
        for entry in std::fs::read_dir(dir).expect("fuzz/corpus/express") {
            let path = entry.expect("corpus entry").path();
            run_parser(&std::fs::read(&path).expect("corpus file"));
        }
    }
}
