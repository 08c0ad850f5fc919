//! Measures what one `/login` costs in Argon2id: hashing and verification with the default
//! parameters (m=19456 KiB, t=2, p=1) and a few others, on this machine.
//!
//! Run: `cargo run --release --example argon2_cost`

use std::time::Instant;

use hbf::auth::password::{self, Argon2Params};

fn main() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("command: cargo run --release --example argon2_cost");
    println!("machine: {cpu}, {cores} cores");
    for params in [
        Argon2Params::default(),
        Argon2Params {
            m_kib: 47_104,
            t: 1,
            p: 1,
        },
        Argon2Params {
            m_kib: 65_536,
            t: 3,
            p: 1,
        },
    ] {
        let phc = password::hash("correct horse battery staple", &params).unwrap();
        let rounds = 20;
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            assert!(password::verify("correct horse battery staple", &phc));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "m={} KiB t={} p={}: verify median {:.1} ms, min {:.1} ms, max {:.1} ms ({rounds} runs)",
            params.m_kib,
            params.t,
            params.p,
            times[rounds / 2],
            times[0],
            times[rounds - 1]
        );
    }
}
