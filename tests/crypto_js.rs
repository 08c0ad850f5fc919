//! `node:crypto`, WebCrypto and `node:zlib` against real Node: `js-tests/crypto/run.js`
//! serves the bundled app (with the real jose and jsonwebtoken packages) from the real `hbf`
//! binary, compares its results with Node's, cross-checks signatures, JWTs, ciphertexts and
//! compressed data made on each side, and compares compressed request bodies with real
//! Express 5. Skipped with a note when Node is absent; the npm packages come from
//! `scripts/install-deps.sh` (`npm ci` in `js-tests/crypto`).

mod node_suite;

#[test]
fn crypto_and_zlib_match_node() {
    if !node_suite::have("node") {
        eprintln!("note: node not found; crypto differential suite skipped");
        return;
    }
    node_suite::run_node_suite("crypto", "jose");
}
