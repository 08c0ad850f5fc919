//! npm HTTP clients against real Node: `js-tests/fetch/run.js` bundles an Express app using
//! node-fetch and axios, serves it with the real `hbf` binary, runs the same cases under Node
//! against the same local upstream, and compares every result. Skipped with a note when Node or
//! python3 is absent; the npm packages come from `scripts/install-deps.sh` (`npm ci` in
//! `js-tests/fetch`).

use std::path::Path;
use std::process::Command;

#[test]
fn node_fetch_and_axios_match_node() {
    let have = |p: &str| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("node") || !have("python3") {
        eprintln!("note: node or python3 not found; fetch differential suite skipped");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-tests/fetch");
    assert!(
        dir.join("node_modules/axios").is_dir(),
        "js-tests/fetch/node_modules is missing: run scripts/install-deps.sh (npm ci there)"
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
