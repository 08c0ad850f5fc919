//! SECURITY.md's table of limits and timeouts must match the binary: every row's default is
//! the one `hbf serve --help` prints (clap, from src/config.rs), and every flag that limits or
//! times something has a row. Regenerate the table with `scripts/limits_table.py --write
//! SECURITY.md`.

use std::collections::BTreeMap;
use std::process::Command;

const BEGIN: &str = "<!-- limits-table:begin";
const END: &str = "<!-- limits-table:end -->";

/// flag name -> default, from clap's long help.
fn help_defaults() -> BTreeMap<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_hbf"))
        .args(["serve", "--help"])
        .output()
        .expect("run hbf serve --help");
    assert!(out.status.success(), "hbf serve --help failed");
    let text = String::from_utf8(out.stdout).expect("help is UTF-8");
    let mut flags = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("--") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            flags.insert(name.clone(), String::new());
            current = Some(name);
        } else if let (Some(name), Some(d)) = (&current, t.strip_prefix("[default: ")) {
            flags.insert(name.clone(), d.trim_end_matches(']').to_string());
        }
    }
    flags
}

/// flag name -> default cell, from SECURITY.md's generated table.
fn doc_rows() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SECURITY.md"))
        .expect("read SECURITY.md");
    let start = doc
        .find(BEGIN)
        .expect("SECURITY.md has the limits-table markers");
    let end = doc
        .find(END)
        .expect("SECURITY.md has the limits-table end marker");
    let mut rows = BTreeMap::new();
    for line in doc[start..end].lines() {
        let Some(rest) = line.strip_prefix("| `--") else {
            continue;
        };
        let name: String = rest.chars().take_while(|c| *c != '`').collect();
        let default = line.split('|').nth(2).unwrap_or("").trim().to_string();
        rows.insert(name, default);
    }
    rows
}

#[test]
fn security_md_limits_table_matches_hbf_serve_help() {
    let help = help_defaults();
    let rows = doc_rows();
    assert!(rows.len() >= 20, "limits table looks empty: {rows:?}");
    for (name, default) in &rows {
        let want = help
            .get(name)
            .unwrap_or_else(|| panic!("SECURITY.md lists --{name}, which hbf serve does not have"));
        let want = if want.is_empty() { "(none)" } else { want };
        assert_eq!(
            default, want,
            "SECURITY.md says --{name} defaults to {default}, hbf serve --help says {want}; \
             run scripts/limits_table.py --write SECURITY.md"
        );
    }
    // Names that look like limits but are not resource limits: a response header's value.
    let not_limits = ["hsts_max_age"];
    let limit_like = |n: &str| {
        !not_limits.contains(&n)
            && [
                "timeout", "max", "limit", "backoff", "queue", "workers", "idle", "_mb", "backlog",
            ]
            .iter()
            .any(|k| n.contains(k))
    };
    for name in help.keys().filter(|n| limit_like(n)) {
        assert!(
            rows.contains_key(name),
            "--{name} looks like a limit but SECURITY.md's table has no row for it"
        );
    }
}
