//! npm HTTP clients against real Node: `js-tests/fetch/run.js` bundles an Express app using
//! node-fetch and axios, serves it with the real `hbf` binary, runs the same cases under Node
//! against the same local upstream, and compares every result. Skipped with a note when Node or
//! python3 is absent; the npm packages come from `scripts/install-deps.sh` (`npm ci` in
//! `js-tests/fetch`).

mod node_suite;

#[test]
fn node_fetch_and_axios_match_node() {
    if !node_suite::have("node") || !node_suite::have("python3") {
        eprintln!("note: node or python3 not found; fetch differential suite skipped");
        return;
    }
    node_suite::run_node_suite("fetch", "axios");
}
