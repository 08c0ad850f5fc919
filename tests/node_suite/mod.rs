//! Runs a Node-driven differential suite (`js-tests/<suite>/run.js`) against the real `hbf`
//! binary: the suites of `tests/crypto_js.rs` and `tests/fetch_js.rs` share it.

use std::path::Path;
use std::process::Command;

/// Whether `program --version` runs.
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `node run.js` in `js-tests/<suite>` with `HBF_BIN` set; asserts it passed with
/// `, 0 failed` in its output. `package` must be installed there (`npm ci` by install-deps.sh).
pub fn run_node_suite(suite: &str, package: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("js-tests")
        .join(suite);
    assert!(
        dir.join("node_modules").join(package).is_dir(),
        "js-tests/{suite}/node_modules is missing: run scripts/install-deps.sh (npm ci there)"
    );
    let out = Command::new("node")
        .arg("run.js")
        .env("HBF_BIN", env!("CARGO_BIN_EXE_hbf"))
        .current_dir(&dir)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains(", 0 failed"),
        "{text}"
    );
}
