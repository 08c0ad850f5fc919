//! Express's `trust proxy` on top of HBF's `--trust_proxy`: the app's setting starts from the
//! address HBF resolved (the connection's peer, or the client a trusted front proxy named)
//! and sees only the X-Forwarded-For hops HBF did not consume. (Express's behaviour without
//! a front proxy is checked against real Express in js-tests/modules/apps/trust-proxy.)

mod common;

use common::apps::{put_file, start_app_server};
use common::TempDir;
use hbf::IpNet;

const SERVER_JS: &str = r#"
const express = require('express');
const app = express();
const report = (req, res) => res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol, hostname: req.hostname });
for (const [name, value] of Object.entries({ none: false, ten: '10.0.0.0/8', one: 1, all: true })) {
  const sub = express();
  sub.set('trust proxy', value);
  sub.get('/', report);
  app.use('/' + name, sub);
}
module.exports = app;
"#;

#[test]
fn app_trust_starts_after_hbf_trust_proxy() {
    let dir = TempDir::new("trust");
    put_file(dir.path(), "server.js", SERVER_JS.as_bytes());
    let app = start_app_server(dir, false, |c| {
        c.trust_proxy = vec!["127.0.0.0/8".parse::<IpNet>().unwrap()];
    });
    let headers = [
        ("X-Forwarded-For", "203.0.113.9, 10.0.0.2"),
        ("X-Forwarded-Proto", "https"),
    ];
    let get = |path: &str| app.request("GET", path, &headers, b"").json();
    // HBF trusts its loopback peer: the client is 10.0.0.2, over https.
    let none = get("/none/");
    assert_eq!(none["ip"], "10.0.0.2");
    assert_eq!(none["ips"], serde_json::json!([]));
    assert_eq!(none["protocol"], "https");
    // The app trusts 10/8 as well: one more hop.
    let ten = get("/ten/");
    assert_eq!(ten["ip"], "203.0.113.9");
    assert_eq!(ten["ips"], serde_json::json!(["203.0.113.9"]));
    assert_eq!(get("/one/")["ip"], "203.0.113.9");
    assert_eq!(get("/all/")["ips"], serde_json::json!(["203.0.113.9"]));
    // Without forwarding headers, the peer.
    let plain = app.get("/ten/").json();
    assert_eq!(
        (plain["ip"].as_str(), plain["protocol"].as_str()),
        (Some("127.0.0.1"), Some("http"))
    );
}
