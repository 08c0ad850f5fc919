//! Observability: counters and histograms behind a hook trait, Prometheus text, JSON logs.

mod log;
mod metrics;

pub use log::{format_line, rfc3339_millis, Field, Logger};
pub use metrics::{Event, Histogram, Hook, Metrics};

/// Resident set size of this process in bytes (0 where `/proc` is unavailable).
pub fn rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Open file descriptors of this process (0 where `/proc` is unavailable).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}
