//! The JavaScript side, checked with Node (present on CI machines; skipped with a note if not):
//! the node:test unit suites under `js-tests/`, and the differential suite — the same Express
//! apps answered by the real `hbf` binary over HTTP compared with real Express 5's answers
//! (`js-tests/differential/expected/node.json`).

use std::path::Path;
use std::process::Command;

fn node() -> Option<Command> {
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: node not found; JavaScript suites skipped");
    }
    ok.then(|| Command::new("node"))
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn node_unit_suites_pass() {
    let Some(mut cmd) = node() else { return };
    cmd.args(["--test", "js-tests/"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let text = run(cmd);
    assert!(text.contains("# fail 0"), "{text}");
}

#[test]
fn hbf_answers_like_express_5() {
    let Some(mut cmd) = node() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-tests/differential");
    let out = std::env::temp_dir().join(format!("hbf-differential-{}.json", std::process::id()));
    cmd.arg("run-hbf.js")
        .arg("--out")
        .arg(&out)
        .env("HBF_BIN", env!("CARGO_BIN_EXE_hbf"))
        .current_dir(&dir);
    run(cmd);
    let mut compare = Command::new("node");
    compare
        .arg("compare.js")
        .arg("expected/node.json")
        .arg(&out)
        .arg("--hbf")
        .current_dir(&dir);
    let text = run(compare);
    let _ = std::fs::remove_file(&out);
    assert!(text.contains(" 0 failed"), "{text}");
}

/// Multi-file apps, ES modules, require cycles and real npm packages (installed from
/// `js-tests/modules/package-lock.json` on first run, cached in its gitignored
/// `node_modules/`), answered by real Node + Express 5 and by the `hbf` binary.
#[test]
fn modules_and_npm_packages_answer_like_node() {
    let Some(mut cmd) = node() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-tests/modules");
    cmd.arg("run.js")
        .env("HBF_BIN", env!("CARGO_BIN_EXE_hbf"))
        .current_dir(&dir);
    let text = run(cmd);
    if text.contains("SKIP:") {
        eprintln!("note: {text}");
        return;
    }
    assert!(text.contains(" 0 failed"), "{text}");
}

/// The built-in Node modules (`src/js/lib/node/`) answer like Node itself: every case of
/// `js-tests/builtins/cases/` run under this Node and inside a real `hbf` server.
#[test]
fn builtins_answer_like_node() {
    let Some(mut cmd) = node() else { return };
    cmd.arg("js-tests/builtins/run.js")
        .env("HBF_BIN", env!("CARGO_BIN_EXE_hbf"))
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let text = run(cmd);
    assert!(text.contains(" 0 failed"), "{text}");
}

/// EJS templates (the built-in `ejs` against the real `ejs` package: every tag, option and
/// include form, malformed templates) and Express views (the same app on Node + Express 5 and
/// on `hbf`, with an npm engine): `js-tests/ejs/run.js`, its npm packages installed from
/// `js-tests/ejs/package-lock.json` on first run.
#[test]
fn ejs_and_views_answer_like_node() {
    let Some(mut cmd) = node() else { return };
    cmd.arg("js-tests/ejs/run.js")
        .env("HBF_BIN", env!("CARGO_BIN_EXE_hbf"))
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let text = run(cmd);
    if text.contains("SKIP:") {
        eprintln!("note: {text}");
        return;
    }
    assert!(text.contains(" 0 failed"), "{text}");
}
