//! `node:crypto`, WebCrypto and `node:zlib` against real Node: `js-tests/crypto/run.js`
//! serves the bundled app (with the real jose and jsonwebtoken packages) from the real `hbf`
//! binary, compares its results with Node's, cross-checks signatures, JWTs, ciphertexts and
//! compressed data made on each side, and compares compressed request bodies with real
//! Express 5. Skipped with a note when Node is absent; the npm packages come from
//! `scripts/install-deps.sh` (`npm ci` in `js-tests/crypto`).

use std::path::Path;
use std::process::Command;

#[test]
fn crypto_and_zlib_match_node() {
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        eprintln!("note: node not found; crypto differential suite skipped");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-tests/crypto");
    assert!(
        dir.join("node_modules/jose").is_dir(),
        "js-tests/crypto/node_modules is missing: run scripts/install-deps.sh (npm ci there)"
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
